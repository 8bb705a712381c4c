"""Console access: server-side sessions, and repeated wrong secrets slowed down.

A session is a row of the side store (``storage.side``) named by the hash of a random id that
only the browser's cookie holds. Signing out deletes the row, so the cookie and its CSRF token
stop working at once; sessions also end after ``LIFETIME`` and when the tenant's key rotates.

Wrong secrets are counted per client address (an IPv6 address by its /64, which one host
usually holds whole) and per access key typed, in the database, so every API process behind a
load balancer counts into the same rows. ``MAX_FAILURES`` wrong secrets within ``WINDOW`` pause
sign-in for that address or key: ``FIRST_PAUSE``, doubling with each further pause up to
``LONGEST_PAUSE``. During a pause no secret is checked, not even the right one; after it the
right secret signs in as before. A day without failures forgets the subject.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openisales.storage import console as rows
from openisales.storage.models import ConsoleSession, SignInFailures

LIFETIME = timedelta(hours=8)
MAX_FAILURES = 5
WINDOW = timedelta(minutes=10)
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(minutes=30)
FORGET_AFTER = timedelta(days=1)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# -- sessions ----------------------------------------------------------------------------------


def open_session(side: Session, vdn_id: int, access_key: str, now: datetime) -> str:
    """Start a session for a tenant who just signed in; the random id its cookie carries."""
    rows.delete_expired_sessions(side, now)
    session_id = secrets.token_urlsafe(32)
    rows.add_session(side, _hash(session_id), vdn_id, access_key, now, now + LIFETIME)
    return session_id


def find_session(side: Session, session_id: str, now: datetime) -> ConsoleSession | None:
    """The live session with this id; None once it was closed or has expired."""
    return rows.live_session(side, _hash(session_id), now)


def close_session(side: Session, session_id: str) -> None:
    """End a session (sign-out): its cookie and CSRF token are refused from now on."""
    rows.delete_session(side, _hash(session_id))


# -- wrong secrets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Paused:
    """Sign-in is paused for ``reason`` (from this address, or for this access key) until ``until``."""

    reason: str
    until: datetime


def _subjects(address: str, access_key: str) -> dict[str, str]:
    """The hashed subjects an attempt counts for, with what each one means to the user."""
    return {
        _hash("address:" + _address_bucket(address)): "from this address",
        _hash("key:" + access_key): "for this access key",
    }


def _address_bucket(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP address (a test client, a Unix socket): counted as given
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def pause_of(side: Session, address: str, access_key: str, now: datetime) -> Paused | None:
    """The pause, if any, that refuses an attempt from ``address`` with ``access_key`` now."""
    subjects = _subjects(address, access_key)
    paused = [
        Paused(subjects[row.subject], row.locked_until)
        for row in rows.failures(side, list(subjects))
        if row.locked_until is not None and row.locked_until > now
    ]
    return max(paused, key=lambda p: p.until, default=None)


def record_failure(side: Session, address: str, access_key: str, now: datetime) -> Paused | None:
    """Count a wrong secret; the pause it starts, if it is one too many."""
    rows.forget_failures_before(side, now - FORGET_AFTER)
    started = None
    for subject, reason in _subjects(address, access_key).items():
        row = rows.failures_for_update(side, subject, now)
        if count_failure(row, now):
            assert row.locked_until is not None
            started = Paused(reason, row.locked_until)
    return started


def count_failure(row: SignInFailures, now: datetime) -> bool:
    """Add one wrong secret to ``row``; True when that starts a pause (set in the row)."""
    if row.window_start is None or now - row.window_start > WINDOW:
        row.window_start, row.failures = now, 0
    if now - row.last_failure_at > FORGET_AFTER:
        row.lockouts = 0
    row.failures += 1
    row.last_failure_at = now
    if row.failures < MAX_FAILURES:
        return False
    row.lockouts += 1
    doublings = min(row.lockouts - 1, 16)  # bounded: a timedelta overflows long before 2**64
    row.locked_until = now + min(FIRST_PAUSE * 2**doublings, LONGEST_PAUSE)
    row.failures, row.window_start = 0, None
    return True


def record_success(side: Session, access_key: str) -> None:
    """The right secret: the key's count starts again (the address's count runs on, and past
    pauses still lengthen the next one)."""
    rows.reset_failures(side, _hash("key:" + access_key))
