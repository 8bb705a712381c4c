"""Typed errors and the CC-iSales result codes they map to.

Every failure the service reports is one of these, raised where it is found and turned into
the iSales envelope (``resultCode``/``resultDesc``/``returnCode``/``returnDesc``) in one place,
the API's error handler. The hierarchy::

    ISalesError
    ├── ParameterError        request values (seed Table 8 codes 0200001, 02000001-02000011)
    ├── AuthenticationError   signature, key, clock window, replay: HTTP 401
    ├── ForbiddenError        a valid key asking for another tenant: HTTP 403
    ├── NotFoundError         file server, campaign, call data, import task absent (or another tenant's)
    ├── ConflictError         already exists (names, addresses, numbers)
    └── StateError            the object's state forbids the operation (campaign started, completed...)
"""

from __future__ import annotations

from typing import ClassVar


class ResultCode:
    """Result codes: the documented iSales codes, then openisales' own (``02001xx``)."""

    SUCCESS = "0200000"
    PARAMETER = "0200001"
    EMPTY = "02000001"
    INVALID_CHARS = "02000002"
    TOO_LONG = "02000003"
    TOO_SHORT = "02000004"
    LENGTH_RANGE = "02000005"
    WRONG_TYPE = "02000006"
    WRONG_VALUE = "02000007"
    CONVERSION = "02000008"
    COMBINATION = "02000009"
    HOUR_MINUTE = "02000010"
    TOO_MANY_PARAMETERS = "02000011"
    SERVER_NOT_FOUND = "0200006"
    CAMPAIGN_NOT_FOUND = "0200007"
    CALL_DATA_NOT_FOUND = "0200033"
    # openisales' own codes, beside the documented ones.
    UNAUTHORIZED = "0200101"
    FORBIDDEN = "0200103"
    PATH_NOT_FOUND = "0200104"
    METHOD_NOT_ALLOWED = "0200105"
    UNSUPPORTED_MEDIA_TYPE = "0200115"
    REQUEST_TIMEOUT = "0200116"
    BODY_TOO_LARGE = "0200113"
    ALREADY_EXISTS = "0200109"
    WRONG_STATE = "0200110"
    IMPORT_TASK_NOT_FOUND = "0200111"
    SCHEDULE_NOT_FOUND = "0200112"
    BLOCKLIST_NUMBER_NOT_FOUND = "0200114"
    INTERNAL = "0200199"
    BLOCKLISTED = "0200120"
    PENDING_LIMIT = "0200121"
    LEASE_NOT_FOUND = "0200130"
    ALREADY_RECORDED = "0200131"


DESCRIPTIONS: dict[str, str] = {
    ResultCode.SUCCESS: "success",
    ResultCode.PARAMETER: "Parameter error.",
    ResultCode.EMPTY: "Empty parameter.",
    ResultCode.INVALID_CHARS: "The parameter contains invalid characters.",
    ResultCode.TOO_LONG: "The parameter length cannot exceed the maximum length.",
    ResultCode.TOO_SHORT: "The parameter length cannot be less than the minimum length.",
    ResultCode.LENGTH_RANGE: "The parameter length must be within the specified range.",
    ResultCode.WRONG_TYPE: "Incorrect parameter type.",
    ResultCode.WRONG_VALUE: "Incorrect parameter value.",
    ResultCode.CONVERSION: "Parameter conversion error.",
    ResultCode.COMBINATION: "Incorrect parameter combination.",
    ResultCode.HOUR_MINUTE: "The hour and minute parameters must be set at the same time.",
    ResultCode.TOO_MANY_PARAMETERS: "The number of parameters cannot exceed the specified number.",
    ResultCode.SERVER_NOT_FOUND: "The server configuration does not exist.",
    ResultCode.CAMPAIGN_NOT_FOUND: "The outbound campaign does not exist.",
    ResultCode.CALL_DATA_NOT_FOUND: "The outbound call data does not exist.",
    ResultCode.UNAUTHORIZED: "Authentication failed.",
    ResultCode.FORBIDDEN: "The access key may not act for this VDN.",
    ResultCode.PATH_NOT_FOUND: "No such interface.",
    ResultCode.METHOD_NOT_ALLOWED: "The interface does not support this method.",
    ResultCode.UNSUPPORTED_MEDIA_TYPE: "Content-Type must be application/json; charset=UTF-8.",
    ResultCode.BODY_TOO_LARGE: "The request body is too large.",
    ResultCode.REQUEST_TIMEOUT: "The request body did not arrive in time.",
    ResultCode.ALREADY_EXISTS: "The object already exists.",
    ResultCode.WRONG_STATE: "The object's state does not allow this operation.",
    ResultCode.IMPORT_TASK_NOT_FOUND: "The import task does not exist.",
    ResultCode.SCHEDULE_NOT_FOUND: "The import schedule does not exist.",
    ResultCode.BLOCKLIST_NUMBER_NOT_FOUND: "The number is not on the blocklist.",
    ResultCode.INTERNAL: "Internal error; the request was not carried out.",
    ResultCode.BLOCKLISTED: "A called number is on the tenant's blocklist; nothing was added.",
    ResultCode.PENDING_LIMIT: "The campaign cannot hold more incomplete call records.",
    ResultCode.LEASE_NOT_FOUND: "No such lease, or it has ended; its number may be leased again.",
    ResultCode.ALREADY_RECORDED: "The result of this lease was already recorded.",
}


class ISalesError(Exception):
    """A failure reported to the client with a result code and a message naming the cause."""

    default_code: ClassVar[str] = ResultCode.PARAMETER
    http_status: ClassVar[int] = 200

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class ParameterError(ISalesError):
    """A request value breaks a documented rule; ``message`` names the field and the rule."""

    default_code = ResultCode.PARAMETER


class AuthenticationError(ISalesError):
    """The request is not signed by a known key, or the signature does not hold."""

    default_code = ResultCode.UNAUTHORIZED
    http_status = 401


class ForbiddenError(ISalesError):
    """A valid key asked to act for a tenant (vdnId) that is not its own."""

    default_code = ResultCode.FORBIDDEN
    http_status = 403


class NotFoundError(ISalesError):
    """The object does not exist for this tenant (another tenant's object looks the same)."""

    default_code = ResultCode.PARAMETER


class ConflictError(ISalesError):
    """The object would duplicate one that exists."""

    default_code = ResultCode.ALREADY_EXISTS


class StateError(ISalesError):
    """The object's current state forbids the operation."""

    default_code = ResultCode.WRONG_STATE
