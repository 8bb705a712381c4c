"""Who is calling: checks an auth-v2 signed request and names the tenant it acts for.

A signed mutating request is accepted once. The same request sent again inside the clock window
(a client's automatic retry after a lost answer) is not carried out again: it gets the first
answer again when that is known, ``RequestInProgress`` (409) while the first is still being
carried out, and 401 "replayed request" when the answer was not kept (over
``ANSWER_MAX_BYTES``, or never completed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from openisales.auth import signing
from openisales.errors import AuthenticationError, RequestInProgress
from openisales.storage import tenants as tenant_rows
from openisales.storage.crypto import SecretBox
from openisales.storage.replay import ReplayState, Seen

MUTATING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# The largest first answer kept for replays; a replay of a larger one is refused with 401.
ANSWER_MAX_BYTES = 64 * 1024
REPLAYED = "replayed request: this signature was already used"


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]  # by lower-cased name; the first of a repeated header
    body: bytes
    repeated_headers: frozenset[str] = frozenset()  # lower-cased names sent more than once


@dataclass(frozen=True)
class Answer:
    """An answer as it was sent: HTTP status, Content-Type and body bytes."""

    status: int
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class Admission:
    """A request that passed the signature check.

    ``replay_key``: record the answer of this request under it (a new signed mutating request).
    ``answer``: the first answer of the identical request, to send again instead of carrying it
    out.
    """

    vdn_id: int
    replay_key: str | None = None
    answer: Answer | None = None


class Replays(Protocol):
    """The replay guard (storage.replay.ReplayGuard)."""

    def claim(self, signature: str, request_digest: str, until: datetime) -> Seen | None: ...

    def answer(
        self, signature: str, status: int, content_type: str | None, body: bytes | None
    ) -> None: ...


def keep_answer(replays: Replays, replay_key: str, answer: Answer | None) -> None:
    """Store the first answer of a request for its replays; None (or too large): not kept."""
    if answer is None or len(answer.body) > ANSWER_MAX_BYTES:
        replays.answer(replay_key, 0, None, None)
    else:
        replays.answer(replay_key, answer.status, answer.content_type, answer.body)


def request_digest(request: SignedRequest) -> str:
    """SHA-256 of what makes two requests the same one: method, path, query and body bytes."""
    head = json.dumps([request.method, request.path, list(request.query)]).encode("utf-8")
    return hashlib.sha256(head + b"\n" + request.body).hexdigest()


def authenticate(
    session: Session,
    box: SecretBox,
    request: SignedRequest,
    *,
    now: datetime,
    skew: timedelta,
    replays: Replays,
) -> Admission:
    """The tenant whose key signed ``request``, and what to do about a replay; errors:
    AuthenticationError (401) when anything is off, RequestInProgress (409) for a retry of a
    request still being carried out."""
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
    if request.method not in MUTATING_METHODS:
        return Admission(tenant.vdn_id)
    # Remember the signature for as long as its timestamp would pass the clock check: up to
    # ``skew`` after the later of now and the signing time (a client clock may run ahead).
    digest = request_digest(request)
    seen = replays.claim(header.signature, digest, max(now, signed_at) + skew)
    if seen is None:
        return Admission(tenant.vdn_id, replay_key=header.signature)
    return Admission(tenant.vdn_id, answer=_first_answer(seen, digest))


def _first_answer(seen: Seen, digest: str) -> Answer:
    """The stored answer of the identical request seen before, or why there is none."""
    if seen.request_digest != digest:
        # A valid signature over other bytes cannot be made; a row remembered before digests
        # were kept has none. Either way: not the same request, refused as any replay.
        raise AuthenticationError(REPLAYED)
    if seen.state is ReplayState.PROCESSING:
        raise RequestInProgress()
    if seen.state is not ReplayState.ANSWERED or seen.answer is None or seen.status is None:
        raise AuthenticationError(
            f"{REPLAYED}; its answer was not kept (larger than {ANSWER_MAX_BYTES} bytes, or "
            "not completed)"
        )
    return Answer(seen.status, seen.content_type, seen.answer)


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
