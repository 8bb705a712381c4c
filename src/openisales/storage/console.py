"""Console sessions and wrong-secret counts, in the side store (``storage.side``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from openisales.storage.models import ConsoleSession, SignInFailures

# -- sessions ----------------------------------------------------------------------------------


def add_session(
    session: Session, id_hash: str, vdn_id: int, access_key: str, now: datetime, expires: datetime
) -> None:
    """Store a console session under the hash of its id."""
    session.add(
        ConsoleSession(
            id_hash=id_hash,
            vdn_id=vdn_id,
            access_key=access_key,
            created_at=now,
            expires_at=expires,
        )
    )


def live_session(session: Session, id_hash: str, now: datetime) -> ConsoleSession | None:
    """The session with this id hash, when it exists and has not expired."""
    found = session.get(ConsoleSession, id_hash)
    return found if found is not None and found.expires_at > now else None


def delete_session(session: Session, id_hash: str) -> None:
    """Remove the console session with this id hash, if any."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == id_hash))


def delete_expired_sessions(session: Session, now: datetime) -> None:
    """Remove every console session whose expiry has passed."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))


# -- wrong secrets -----------------------------------------------------------------------------


def failures(session: Session, subjects: list[str]) -> list[SignInFailures]:
    """The counts kept for these subjects (none for a subject without a recent failure)."""
    query = select(SignInFailures).where(SignInFailures.subject.in_(subjects))
    return list(session.scalars(query))


def failures_for_update(session: Session, subject: str, now: datetime) -> SignInFailures:
    """The count of ``subject``, created at zero when absent, locked until the transaction ends.

    The insert ignores a row another process has just created, so two API processes counting the
    same address at once both add to one row.
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    fresh = {"subject": subject, "failures": 0, "lockouts": 0, "last_failure_at": now}
    session.execute(insert(SignInFailures).values(**fresh).on_conflict_do_nothing())
    query = select(SignInFailures).where(SignInFailures.subject == subject).with_for_update()
    return session.scalars(query).one()


def reset_failures(session: Session, subject: str) -> None:
    """Start the subject's count again; its past pauses still lengthen the next one."""
    session.execute(
        update(SignInFailures)
        .where(SignInFailures.subject == subject)
        .values(failures=0, window_start=None)
    )


def forget_failures_before(session: Session, moment: datetime) -> None:
    """Drop counts whose last failure is older than ``moment`` (and whose lock has ended)."""
    session.execute(
        delete(SignInFailures)
        .where(SignInFailures.last_failure_at < moment)
        .where((SignInFailures.locked_until.is_(None)) | (SignInFailures.locked_until < moment))
    )
