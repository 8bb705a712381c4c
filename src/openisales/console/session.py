"""Console sessions: an HMAC-signed cookie naming the tenant, with an expiry; CSRF tokens.

No session table: the cookie carries ``vdnId``, the access key it was opened with and its expiry,
signed with a key derived from the master key. A rotated access key ends every session of the
tenant (checked on each request); a new master key ends all of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

COOKIE = "openisales_console"
LIFETIME = timedelta(hours=8)
PURPOSE = "console-session-v1"


@dataclass(frozen=True)
class ConsoleSession:
    vdn_id: int
    access_key: str
    expires: int  # Unix seconds
    token: str  # the cookie value, which the CSRF token is derived from


def _mac(key: bytes, label: bytes, payload: str) -> str:
    digest = hmac.new(key, label + payload.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue(key: bytes, vdn_id: int, access_key: str, now: datetime) -> str:
    """A signed cookie value for a tenant who just signed in."""
    expires = int((now + LIFETIME).timestamp())
    payload = f"{vdn_id}.{access_key}.{expires}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{_mac(key, b'session:', payload)}"


def read(key: bytes, value: str | None, now: datetime) -> ConsoleSession | None:
    """The session a cookie value names; None when absent, forged, malformed or expired."""
    if not value or len(value) > 512:
        return None
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _mac(key, b"session:", payload).encode()):
        return None
    parts = payload.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[2].isdigit():
        return None
    vdn_id, access_key, expires = int(parts[0]), parts[1], int(parts[2])
    if expires <= now.timestamp():
        return None
    return ConsoleSession(vdn_id, access_key, expires, value)


def csrf_token(key: bytes, session: ConsoleSession) -> str:
    """The token every POST form of this session carries; bound to the cookie."""
    return _mac(key, b"csrf:", session.token)


def csrf_ok(key: bytes, session: ConsoleSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(
        (token or "").encode(), csrf_token(key, session).encode()
    )
