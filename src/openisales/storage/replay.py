"""The replay guard: signatures of mutating requests seen inside the clock window, each with the
first answer it got.

The ``seen_signatures`` table of the side store (``storage.side``): on SQLite in a file of its
own, so that a request's replay check never waits for an import's write lock. A signature is
claimed (state PROCESSING) before its request is carried out, and its answer is stored once it is
known (ANSWERED), or marked NOT_KEPT when it cannot be (too large, never completed). The
housekeeping purge drops expired signatures and their answers with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from openisales.storage.db import Database
from openisales.storage.models import SeenSignature


class ReplayState(IntEnum):
    NOT_KEPT = 0  # the answer is not known (too large, lost, or remembered before answers were)
    PROCESSING = 1  # the first request is still being carried out
    ANSWERED = 2  # the first answer is stored


@dataclass(frozen=True)
class Seen:
    """What is remembered of a signature seen before."""

    state: ReplayState
    request_digest: str | None
    status: int | None
    content_type: str | None
    answer: bytes | None


class ReplayGuard:
    def __init__(self, side: Database) -> None:
        self._db = side

    def claim(self, signature: str, request_digest: str, until: datetime) -> Seen | None:
        """Record a new signature as being processed until ``until``; None when it is new,
        else what was remembered of it (a replay)."""
        row = SeenSignature(
            signature=signature,
            expires_at=until,
            state=ReplayState.PROCESSING,
            request_digest=request_digest,
        )
        try:
            with self._db.transaction() as session:
                session.add(row)
        except IntegrityError:
            return self._seen(signature)
        return None

    def answer(
        self, signature: str, status: int, content_type: str | None, body: bytes | None
    ) -> None:
        """Store the first answer of a claimed signature; ``body`` None: it is not kept."""
        state = ReplayState.NOT_KEPT if body is None else ReplayState.ANSWERED
        values = {"state": state, "status": status, "content_type": content_type, "answer": body}
        with self._db.transaction() as session:
            statement = update(SeenSignature).where(SeenSignature.signature == signature)
            session.execute(statement.values(**values))

    def forget_expired(self, now: datetime) -> int:
        """Drop the remembered signatures (and their answers) that have expired; how many."""
        with self._db.transaction() as session:
            result = session.execute(delete(SeenSignature).where(SeenSignature.expires_at < now))
            return int(getattr(result, "rowcount", 0) or 0)

    def _seen(self, signature: str) -> Seen:
        with self._db.read() as session:
            row = session.scalars(
                select(SeenSignature).where(SeenSignature.signature == signature)
            ).one_or_none()
            if row is None:  # purged between the insert and this read: known, answer unknown
                return Seen(ReplayState.NOT_KEPT, None, None, None, None)
            return Seen(
                ReplayState(row.state), row.request_digest, row.status, row.content_type, row.answer
            )
