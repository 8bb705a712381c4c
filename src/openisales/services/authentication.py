"""Who is calling: checks an auth-v2 signed request and names the tenant it acts for."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openisales.auth import signing
from openisales.errors import AuthenticationError
from openisales.storage import tenants as tenant_rows
from openisales.storage.crypto import SecretBox

MUTATING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]  # by lower-cased name; the first of a repeated header
    body: bytes
    repeated_headers: frozenset[str] = frozenset()  # lower-cased names sent more than once


def authenticate(
    session: Session,
    box: SecretBox,
    request: SignedRequest,
    *,
    now: datetime,
    skew: timedelta,
    remember: Callable[[str, datetime], bool],
) -> int:
    """The vdnId of the key that signed ``request``; AuthenticationError when anything is off.

    ``remember`` records a mutating request's signature and says False for one seen before.
    """
    _refuse_repeated(request.repeated_headers & {"authorization"})
    header = _parse(request.headers.get("authorization"))
    _refuse_repeated(request.repeated_headers & set(header.signed_headers))
    signed_at = _check_clock(header.timestamp, now, skew)
    tenant = tenant_rows.get_by_access_key(session, header.access_key)
    if tenant is None:
        raise AuthenticationError("unknown access key")
    valid = signing.verify(
        header,
        secret_key=box.open(tenant.secret_key_enc),
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        body=request.body,
    )
    if not valid:
        raise AuthenticationError("signature does not match the request")
    # Remember the signature for as long as its timestamp would pass the clock check: up to
    # ``skew`` after the later of now and the signing time (a client clock may run ahead).
    if request.method in MUTATING_METHODS and not remember(
        header.signature, max(now, signed_at) + skew
    ):
        raise AuthenticationError("replayed request: this signature was already used")
    return tenant.vdn_id


def sign_in(session: Session, box: SecretBox, access_key: str, secret_key: str) -> int:
    """The vdnId of the tenant whose AK/SK pair this is (console sign-in); AuthenticationError
    otherwise, with the same message whichever half is wrong."""
    tenant = tenant_rows.get_by_access_key(session, access_key) if access_key else None
    stored = box.open(tenant.secret_key_enc) if tenant is not None else ""
    # Compare even for an unknown key, so the answer's timing does not say which half was wrong.
    matches = hmac.compare_digest(stored.encode("utf-8"), secret_key.encode("utf-8"))
    if tenant is None or not stored or not matches:
        raise AuthenticationError("wrong access key or secret key")
    return tenant.vdn_id


def key_is_current(session: Session, vdn_id: int, access_key: str) -> bool:
    """Whether ``access_key`` is still the tenant's key (a rotated key ends console sessions)."""
    tenant = tenant_rows.get(session, vdn_id)
    return tenant is not None and hmac.compare_digest(tenant.access_key, access_key)


def _refuse_repeated(names: frozenset[str]) -> None:
    """A signed header sent twice: which copy was signed and which one is used would be a guess."""
    if names:
        raise AuthenticationError(
            f"signed header {', '.join(sorted(names))} appears more than once in the request"
        )


def _parse(value: str | None) -> signing.AuthorizationHeader:
    if not value:
        raise AuthenticationError("missing Authorization header")
    try:
        return signing.parse_authorization(value)
    except signing.SignatureFormatError as exc:
        raise AuthenticationError(f"malformed Authorization header: {exc}") from exc


def _check_clock(timestamp: str, now: datetime, skew: timedelta) -> datetime:
    """The signing time, when it lies within ``skew`` of ``now``."""
    try:
        signed_at = signing.parse_timestamp(timestamp)
    except signing.SignatureFormatError as exc:
        raise AuthenticationError(f"malformed signature timestamp: {exc}") from exc
    if abs(now - signed_at) > skew:
        raise AuthenticationError(
            f"signature timestamp {timestamp} is outside the allowed window of "
            f"{int(skew.total_seconds())} s; check the client's clock"
        )
    return signed_at
