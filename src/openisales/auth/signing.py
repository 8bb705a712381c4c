"""The ``auth-v2`` request signature used by the CC-iSales OpenAPI (C2 authentication).

Pure module (standard library only), shared by the signing client and the server's check.

Header layout::

    Authorization: auth-v2/{AK}/{timestamp}/{SignedHeaders}/{signature}

* ``timestamp`` is UTC ``yyyy-MM-ddTHH:mm:ss.SSSZ``.
* ``SignedHeaders`` lists the signed header names, lower-cased, sorted, joined by ``;``.
  It always contains ``host``.
* ``normalize`` is RFC 3986 percent-encoding of the UTF-8 bytes. Only ``A-Z a-z 0-9 - . _ ~``
  stay as they are.

Canonical request for the ``"hex"`` variant (the default)::

    METHOD \\n path \\n CanonicalQuery \\n SignedHeaders \\n CanonicalHeaders \\n normalize(body)

* ``path`` is the request path exactly as sent on the wire, without the query. It is not
  normalized: the reference test vector only matches with the path left as it is.
* ``CanonicalQuery`` is the sorted list of ``normalize(k)=normalize(v)`` strings, joined by ``&``.
  The line is empty when there is no query, but it is still present.
* ``CanonicalHeaders`` is ``normalize(name):normalize(trim(value))`` for each signed header in
  sorted order, joined by ``\\n``. There is no trailing newline.
* The body is percent-encoded byte by byte. For valid UTF-8 this is the same as
  ``normalize(body.decode("utf-8"))``. Invalid UTF-8 is encoded as the raw bytes, not
  replaced, so every byte of the body still counts in the signature.

Signing steps for the ``"hex"`` variant::

    prefix     = "auth-v2/{AK}/{timestamp}/{SignedHeaders}"
    signingKey = hex(HMAC-SHA256(key=SK, msg=prefix))               # lower-case hex string
    signature  = hex(HMAC-SHA256(key=signingKey, msg=CanonicalRequest))  # key = the hex text

The ``"base64"`` variant differs in three ways:

* Every canonical header line ends in ``\\n``, and one more ``\\n`` follows the header block.
  So the request reads ``...SignedHeaders\\nh1:v1\\nh2:v2\\nhost:v3\\n\\nnormalize(body)``.
  That is exactly one empty line between the headers and the body, as in HTTP.
* The signing key is the raw HMAC bytes.
* The signature is the standard Base64 encoding of the raw HMAC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote

__all__ = [
    "DEFAULT_SIGNED_HEADERS",
    "SCHEME",
    "AuthorizationHeader",
    "SignatureFormatError",
    "Variant",
    "canonical_request",
    "format_timestamp",
    "normalize",
    "parse_authorization",
    "parse_timestamp",
    "sign",
    "verify",
]

SCHEME = "auth-v2"
Variant = Literal["hex", "base64"]

#: Headers a client signs by default (when present on the request).
DEFAULT_SIGNED_HEADERS: tuple[str, ...] = ("content-length", "content-type", "host")

# The unreserved set of RFC 3986, minus the letters and digits that quote() always keeps.
_UNRESERVED = "-._~"
# Java's String.trim() removes every code point <= U+0020. The reference demo is Java, so we
# trim the same set rather than Python's wider Unicode whitespace.
_JAVA_TRIM = "".join(chr(i) for i in range(0x21))
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)
_HEX_SIGNATURE_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
_BASE64_SIGNATURE_RE = re.compile(r"[A-Za-z0-9+/]{43}=", re.ASCII)
# RFC 9110 token characters. Lower-case only, because SignedHeaders must be lower-cased.
_HEADER_NAME_RE = re.compile(r"[a-z0-9!#$%&'*+\-.^_`|~]+", re.ASCII)


class SignatureFormatError(ValueError):
    """Raised for a malformed Authorization header or timestamp. The message says what is wrong."""


@dataclass(frozen=True)
class AuthorizationHeader:
    """The parsed parts of an ``auth-v2`` Authorization value."""

    access_key: str
    timestamp: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def prefix(self) -> str:
        """``auth-v2/{AK}/{timestamp}/{SignedHeaders}``, the message of the signing-key HMAC."""
        return _prefix(self.access_key, self.timestamp, self.signed_headers)

    @property
    def variant(self) -> Variant:
        """The variant the signature's form implies (64 lower-case hex digits means ``hex``)."""
        return "hex" if _HEX_SIGNATURE_RE.fullmatch(self.signature) else "base64"


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as UTC ``yyyy-MM-ddTHH:mm:ss.SSSZ``. Milliseconds are truncated."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime would silently be read as local time and give signatures that are
        # off by hours.
        raise ValueError("format_timestamp needs a timezone-aware datetime")
    utc = moment.astimezone(UTC)
    # Build the string by hand: strftime's %Y does not zero-pad years below 1000 on every platform.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def parse_timestamp(text: str) -> datetime:
    """Parse a strict ``yyyy-MM-ddTHH:mm:ss.SSSZ`` timestamp into an aware UTC datetime."""
    if not _TIMESTAMP_RE.fullmatch(text):
        raise SignatureFormatError(
            f"timestamp {text!r} is not in the form yyyy-MM-ddTHH:mm:ss.SSSZ (UTC)"
        )
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as exc:  # the layout is right, but e.g. month 13 or 25 o'clock
        raise SignatureFormatError(f"timestamp {text!r} is not a valid date/time: {exc}") from exc
    return parsed.replace(tzinfo=UTC)


def normalize(text: str) -> str:
    """Percent-encode the UTF-8 bytes of *text*, except ``A-Z a-z 0-9 - . _ ~`` (upper-case hex)."""
    return quote(text, safe=_UNRESERVED)


def _normalize_bytes(data: bytes) -> str:
    return quote(data, safe=_UNRESERVED)


def _prefix(access_key: str, timestamp: str, signed_headers: Sequence[str]) -> str:
    return f"{SCHEME}/{access_key}/{timestamp}/{';'.join(signed_headers)}"


def canonical_query(query: Sequence[tuple[str, str]]) -> str:
    """Return the sorted ``normalize(k)=normalize(v)`` strings joined by ``&`` (``""`` if none)."""
    # Sort the encoded "k=v" strings, not the (k, v) pairs. This is the documented reading, and
    # it decides the order when one key is a prefix of another.
    return "&".join(sorted(f"{normalize(k)}={normalize(v)}" for k, v in query))


def canonical_request(
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
    variant: Variant = "hex",
) -> str:
    """Build the canonical request string.

    Header lookup ignores case. Raises ``KeyError`` if a signed header is missing from *headers*.
    """
    by_name = {name.lower(): value for name, value in headers.items()}
    names = sorted({name.lower() for name in signed_headers})
    lines = []
    for name in names:
        if name not in by_name:
            raise KeyError(f"signed header {name!r} is not present in the request")
        lines.append(f"{normalize(name)}:{normalize(by_name[name].strip(_JAVA_TRIM))}")
    if variant == "hex":
        header_block = "\n".join(lines) + "\n"
    else:
        # Each line ends in "\n", then one more "\n" closes the block (see the module docstring).
        header_block = "".join(line + "\n" for line in lines) + "\n"
    return (
        f"{method.upper()}\n{path}\n{canonical_query(query)}\n{';'.join(names)}\n"
        f"{header_block}{_normalize_bytes(body)}"
    )


def _signature(secret_key: str, prefix: str, canonical: str, variant: Variant) -> str:
    key_mac = hmac.new(secret_key.encode("utf-8"), prefix.encode("utf-8"), hashlib.sha256)
    if variant == "hex":
        # The key for the second HMAC is the hex *text* of the first one, not its raw bytes.
        signing_key = key_mac.hexdigest().encode("utf-8")
        return hmac.new(signing_key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    raw = hmac.new(key_mac.digest(), canonical.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(raw).decode("ascii")


def _check_signed_names(names: Sequence[str]) -> None:
    for name in names:
        if not _HEADER_NAME_RE.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid header name to sign")
    if "host" not in names:
        raise ValueError("the signed headers must include 'host'")


def sign(
    *,
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str],
    body: bytes = b"",
    timestamp: str,
    signed_headers: Sequence[str] | None = None,
    variant: Variant = "hex",
) -> str:
    """Sign a request and return the whole ``Authorization`` value.

    *signed_headers* defaults to whichever of content-length, content-type and host are present
    in *headers*. Host must be present. Raises ``ValueError`` (``SignatureFormatError`` for a
    bad timestamp) on input that could not produce a parseable header.
    """
    if not access_key or "/" in access_key:
        raise ValueError("the access key must be non-empty and must not contain '/'")
    parse_timestamp(timestamp)  # fail at the signer, not at the far end's parser
    present = {name.lower() for name in headers}
    if signed_headers is None:
        names = sorted(name for name in DEFAULT_SIGNED_HEADERS if name in present)
    else:
        names = sorted({name.lower() for name in signed_headers})
    _check_signed_names(names)
    missing = [name for name in names if name not in present]
    if missing:
        raise ValueError(f"signed headers missing from the request: {', '.join(missing)}")
    canonical = canonical_request(method, path, query, headers, names, body, variant)
    signature = _signature(secret_key, _prefix(access_key, timestamp, names), canonical, variant)
    return f"{_prefix(access_key, timestamp, names)}/{signature}"


def parse_authorization(value: str) -> AuthorizationHeader:
    """Parse an ``auth-v2`` Authorization value strictly. Raises ``SignatureFormatError``."""
    # A Base64 signature may itself contain '/'. The other fields cannot, so split at most 4 times.
    parts = value.strip(" \t").split("/", 4)
    if len(parts) != 5:
        raise SignatureFormatError(
            "Authorization must be auth-v2/{AK}/{timestamp}/{SignedHeaders}/{signature}"
            f" (got {len(parts)} '/'-separated parts)"
        )
    scheme, access_key, timestamp, signed, signature = parts
    if scheme != SCHEME:
        raise SignatureFormatError(f"unsupported authorization scheme {scheme!r}, need {SCHEME!r}")
    if not access_key:
        raise SignatureFormatError("the access key (AK) is empty")
    parse_timestamp(timestamp)
    names = tuple(signed.split(";"))
    for name in names:
        if not name:
            raise SignatureFormatError(f"SignedHeaders {signed!r} has an empty header name")
        if not _HEADER_NAME_RE.fullmatch(name):
            raise SignatureFormatError(
                f"SignedHeaders entry {name!r} is not a lower-case header name"
            )
    if list(names) != sorted(set(names)):
        raise SignatureFormatError(f"SignedHeaders {signed!r} is not sorted or has duplicates")
    if "host" not in names:
        raise SignatureFormatError(f"SignedHeaders {signed!r} does not include 'host'")
    if not signature:
        raise SignatureFormatError("the signature is empty")
    if not (_HEX_SIGNATURE_RE.fullmatch(signature) or _is_base64_signature(signature)):
        raise SignatureFormatError(
            "the signature is neither 64 lower-case hex digits nor Base64 of a 32-byte HMAC"
        )
    return AuthorizationHeader(access_key, timestamp, names, signature)


def _is_base64_signature(text: str) -> bool:
    if not _BASE64_SIGNATURE_RE.fullmatch(text):
        return False
    try:
        return len(base64.b64decode(text, validate=True)) == hashlib.sha256().digest_size
    except binascii.Error:
        return False


def verify(
    header: AuthorizationHeader,
    *,
    secret_key: str,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> bool:
    """Check *header*'s signature against the request. The comparison is constant-time.

    The variant (hex or Base64) follows from the signature's form. Returns ``False`` when a
    signed header is missing from the request. Timestamp freshness is the caller's policy.
    """
    variant = header.variant
    try:
        canonical = canonical_request(
            method, path, query, headers, header.signed_headers, body, variant
        )
    except KeyError:
        return False
    expected = _signature(secret_key, header.prefix, canonical, variant)
    return hmac.compare_digest(expected.encode("utf-8"), header.signature.encode("utf-8"))
