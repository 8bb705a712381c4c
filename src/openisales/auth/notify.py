"""The signature of an import notification (``notifyUrl``): what the receiver checks.

Pure module (standard library only), shared by the pusher that signs and the receiver helper
(``openisales.client.receiver``) that checks.

The key is the tenant's *notify key*, derived from its secret key (SK) so that a receiver can
be given it without being able to sign API requests::

    notifyKey = hex(HMAC-SHA256(key=SK, msg="openisales-import-notify-v1"))   # lower-case hex

Each notification carries one header::

    X-Openisales-Signature: t=<unix seconds>,v1=<hex(HMAC-SHA256(key=notifyKey, msg="<t>.<body>"))>

where ``<body>`` is the exact bytes of the request body and the key is the hex text of the
notify key (its UTF-8 bytes). A receiver recomputes ``v1`` over ``t``, a dot and the raw body,
compares in constant time, and refuses a ``t`` too far from its own clock (a replay).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Openisales-Signature"
KEY_LABEL = b"openisales-import-notify-v1"
#: How far a receiver accepts ``t`` from its clock, by default (as the API's signature window).
DEFAULT_TOLERANCE_SECONDS = 15 * 60


class BadNotifySignature(ValueError):
    """The header is missing, malformed, out of the time window, or does not match the body."""


def notify_key(secret_key: str) -> str:
    """The tenant's notify key: the HMAC key of its notifications, derived from its SK."""
    return hmac.new(secret_key.encode("utf-8"), KEY_LABEL, hashlib.sha256).hexdigest()


def _mac(key: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(key: str, body: bytes, timestamp: int) -> str:
    """The value of ``X-Openisales-Signature`` for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_mac(key, timestamp, body)}"


def _parts(header: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep or not name or name in parts:
            raise BadNotifySignature(f"{HEADER}: expected t=<unix>,v1=<hex>, got {header!r}")
        parts[name] = value
    return parts


def verify(
    key: str,
    header: str | None,
    body: bytes,
    now: float,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check a notification's header against its body; its timestamp, or BadNotifySignature."""
    if not header:
        raise BadNotifySignature(f"the {HEADER} header is missing")
    parts = _parts(header)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not given:
        raise BadNotifySignature(f"{HEADER}: expected t=<unix>,v1=<hex>, got {header!r}")
    timestamp = int(stamp)
    if abs(now - timestamp) > tolerance_seconds:
        raise BadNotifySignature(f"{HEADER}: t={timestamp} is outside the accepted window")
    if not hmac.compare_digest(_mac(key, timestamp, body), given.lower()):
        raise BadNotifySignature(f"{HEADER}: the signature does not match the body")
    return timestamp
