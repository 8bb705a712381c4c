"""Console cookies and tokens: the signed session cookie, its CSRF token, the sign-in form's token.

The session itself is server-side (``services.console_access``); the cookie carries its random
id, signed with a key derived from the master key so that a guessed or altered value is refused
before the database is asked. Each POST form of a session carries a CSRF token derived from that
id, so sign-out, which deletes the session, ends the token too.

The sign-in form has no session yet. It gets a token of its own, bound to a random value in a
second cookie (``SameSite=Strict``, set when the form is shown): another site can neither read
that cookie nor compute the token, so it cannot sign a browser in under the attacker's key
(login CSRF). An Origin/Referer check was not chosen: behind a reverse proxy that rewrites Host
(nginx's default) it would refuse every honest sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from openisales.services.console_access import LIFETIME as LIFETIME

COOKIE = "openisales_console"
SIGN_IN_COOKIE = "openisales_console_sign_in"
PURPOSE = "console-session-v1"
_RANDOM = re.compile(r"[A-Za-z0-9_-]{32,64}")


@dataclass(frozen=True)
class ConsoleSession:
    vdn_id: int
    access_key: str
    session_id: str  # the random id the cookie carries, which the CSRF token is derived from


def _mac(key: bytes, label: bytes, payload: str) -> str:
    digest = hmac.new(key, label + payload.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _same(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest((given or "").encode(), expected.encode())


def seal(key: bytes, session_id: str) -> str:
    """The cookie value for a session id: the id and its signature."""
    return f"{session_id}.{_mac(key, b'session:', session_id)}"


def unseal(key: bytes, value: str | None) -> str | None:
    """The session id a cookie value carries; None when absent, malformed or not ours."""
    if not value or len(value) > 256:
        return None
    session_id, _, signature = value.rpartition(".")
    if not _RANDOM.fullmatch(session_id):
        return None
    return session_id if _same(signature, _mac(key, b"session:", session_id)) else None


def csrf_token(key: bytes, session_id: str) -> str:
    """The token every POST form of this session carries; bound to the session."""
    return _mac(key, b"csrf:", session_id)


def csrf_ok(key: bytes, session: ConsoleSession, token: str | None) -> bool:
    """Whether a posted form carries this session's token."""
    return _same(token, csrf_token(key, session.session_id))


def sign_in_nonce(value: str | None) -> str:
    """The sign-in cookie's random value when it is well formed, or a new one."""
    return value if value and _RANDOM.fullmatch(value) else secrets.token_urlsafe(32)


def sign_in_token(key: bytes, nonce: str) -> str:
    """The sign-in form's token, bound to the sign-in cookie's value."""
    return _mac(key, b"sign-in:", nonce)


def sign_in_token_ok(key: bytes, nonce: str | None, token: str | None) -> bool:
    """Whether a posted sign-in form carries the token of the browser's sign-in cookie."""
    return (
        bool(nonce)
        and _RANDOM.fullmatch(nonce or "") is not None
        and _same(token, sign_in_token(key, nonce or ""))
    )
