"""The replay guard: signatures of mutating requests seen inside the clock window.

The ``seen_signatures`` table of the side store (``storage.side``): on SQLite in a file of its
own, so that a request's replay check never waits for an import's write lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from openisales.storage.db import Database
from openisales.storage.models import SeenSignature


class ReplayGuard:
    def __init__(self, side: Database) -> None:
        self._db = side

    def remember(self, signature: str, until: datetime) -> bool:
        """Record a signature until ``until``; False when it was seen before (a replay)."""
        try:
            with self._db.transaction() as session:
                session.add(SeenSignature(signature=signature, expires_at=until))
        except IntegrityError:
            return False
        return True

    def forget_expired(self, now: datetime) -> int:
        """Drop the remembered signatures that have expired; returns how many."""
        with self._db.transaction() as session:
            result = session.execute(delete(SeenSignature).where(SeenSignature.expires_at < now))
            return int(getattr(result, "rowcount", 0) or 0)
