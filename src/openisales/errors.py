"""The result-code table, and the typed errors that carry its codes.

``ResultCode`` is the one table of every code the service answers with: the code, its HTTP
status, its English and Chinese description, and whether iSales documents it or it is
openisales' own (``02001xx``). Everything else is derived from it: an error's HTTP status, the
envelope's default text, and the code tables of the OpenAPI description, docs/api.md and
docs/architecture.md.

Every failure the service reports is one of the errors below, raised where it is found and
turned into the iSales envelope (``resultCode``/``resultDesc``/``returnCode``/``returnDesc``)
in one place, the API's error handler. The class says what went wrong and so carries the code;
the HTTP status is always the code's, never the class's. The hierarchy::

    ISalesError
    ├── ParameterError        0200001; seed Table 8: EmptyValue, InvalidCharacters, WrongType,
    │                         WrongValue, WrongCombination, HourMinuteUnpaired; NumberBlocklisted
    ├── AuthenticationError   signature, key, clock window, replay: HTTP 401
    ├── RequestInProgress     the same signed request is still being carried out: HTTP 409
    ├── ForbiddenError        a valid key asking for another tenant: HTTP 403
    ├── NotFoundError         ServerNotFound, CampaignNotFound, CallDataNotFound,
    │                         ImportTaskNotFound, ScheduleNotFound, NotOnBlocklist, TenantNotFound,
    │                         BatchNotFound
    ├── ConflictError         already exists (names, addresses, numbers); BatchNameTaken
    ├── StateError            the object's state forbids it (campaign started...); PendingLimitReached,
    │                         BatchNotAllowed, BatchLimitReached, BatchAlreadyPaused, BatchNotPaused
    └── BodyTooLarge, RequestTimeout, UnsupportedMediaType   the signed-request gate: 413, 408, 415
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum, unique
from typing import Any, ClassVar

from openisales.i18n import MESSAGES, Language, Message, Text, current, text

_Row = tuple[str, int, str, str, bool]


def _isales(code: str, en: str, zh: str) -> _Row:
    """A code iSales documents (seed Table 8, the reference): HTTP 200, as its clients expect."""
    return code, 200, en, zh, True


def _ours(code: str, http_status: int, en: str, zh: str) -> _Row:
    """One of openisales' own codes (``02001xx``), beside the documented ones."""
    return code, http_status, en, zh, False


@unique
class ResultCode(StrEnum):
    """Every result code, with its HTTP status, English and Chinese texts and its origin.

    Chinese texts: as the reference quotes them where it does (0200001, 02000010, 02000011,
    0200006, 0200007, 0200033, and the example of 02000005); the others say the same as the
    English in the reference's wording (参数, 外呼活动, 外呼数据, 黑名单).
    """

    _value_: str
    http_status: int
    en: str
    zh: str
    documented: bool

    def __new__(cls, code: str, http_status: int, en: str, zh: str, documented: bool) -> ResultCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.http_status = http_status
        member.en = en
        member.zh = zh
        member.documented = documented
        return member

    # One code a line, so that the table reads as one; the formatter leaves it alone.
    # fmt: off
    SUCCESS = _isales("0200000", "success", "成功")
    PARAMETER = _isales("0200001", "Parameter error.", "参数异常，异常详情在resultDesc中描述")
    EMPTY = _isales("02000001", "Empty parameter.", "参数值为空")
    INVALID_CHARS = _isales("02000002", "The parameter contains invalid characters.", "参数包含非法字符")
    TOO_LONG = _isales("02000003", "The parameter length cannot exceed the maximum length.", "参数长度不能大于规定长度")
    TOO_SHORT = _isales("02000004", "The parameter length cannot be less than the minimum length.", "参数长度不能小于规定长度")
    LENGTH_RANGE = _isales("02000005", "The parameter length must be within the specified range.", "参数长度需要介于规定的最小长度和最大长度之间")
    WRONG_TYPE = _isales("02000006", "Incorrect parameter type.", "参数类型不正确")
    WRONG_VALUE = _isales("02000007", "Incorrect parameter value.", "参数值大小不正确")
    CONVERSION = _isales("02000008", "Parameter conversion error.", "参数转换异常，请检查请求参数")
    COMBINATION = _isales("02000009", "Incorrect parameter combination.", "参数组合不正确，请检查请求参数")
    HOUR_MINUTE = _isales("02000010", "The hour and minute parameters must be set at the same time.", "hour和minute必须同时存在")
    TOO_MANY_PARAMETERS = _isales("02000011", "The number of parameters cannot exceed the specified number.", "参数个数不能大于规定个数")
    SERVER_NOT_FOUND = _isales("0200006", "The server configuration does not exist.", "服务器配置信息不存在")
    CAMPAIGN_NOT_FOUND = _isales("0200007", "The outbound campaign does not exist.", "外呼活动不存在")
    CALL_DATA_NOT_FOUND = _isales("0200033", "The outbound call data does not exist.", "外呼数据不存在")
    BATCH_NAME_TAKEN = _isales("03000001", "A batch with this name already exists.", "存在重复的批次名称")
    BATCH_NOT_ALLOWED = _isales("03000002", "The outbound campaign does not allow this batch operation.", "外呼活动不允许该批次操作")
    BATCH_LIMIT = _isales("03000003", "The campaign already holds the maximum number of batches.", "超出任务最大批次数量")
    BATCH_NOT_FOUND = _isales("03000004", "The batch does not exist.", "批次id不存在")
    BATCH_ALREADY_PAUSED = _isales("03000006", "The batch is already paused.", "批次已经暂停，不能重复暂停")
    UNAUTHORIZED = _ours("0200101", 401, "Authentication failed.", "鉴权失败")
    FORBIDDEN = _ours("0200103", 403, "The access key may not act for this VDN.", "该访问密钥无权操作此VDN")
    PATH_NOT_FOUND = _ours("0200104", 404, "No such interface.", "接口不存在")
    METHOD_NOT_ALLOWED = _ours("0200105", 405, "The interface does not support this method.", "该接口不支持此请求方法")
    ALREADY_EXISTS = _ours("0200109", 200, "The object already exists.", "对象已存在")
    WRONG_STATE = _ours("0200110", 200, "The object's state does not allow this operation.", "对象当前状态不允许此操作")
    IMPORT_TASK_NOT_FOUND = _ours("0200111", 200, "The import task does not exist.", "导入任务不存在")
    SCHEDULE_NOT_FOUND = _ours("0200112", 200, "The import schedule does not exist.", "定时导入任务不存在")
    BODY_TOO_LARGE = _ours("0200113", 413, "The request body is too large.", "请求体过大")
    BLOCKLIST_NUMBER_NOT_FOUND = _ours("0200114", 200, "The number is not on the blocklist.", "该号码不在黑名单中")
    UNSUPPORTED_MEDIA_TYPE = _ours("0200115", 415, "Content-Type must be application/json; charset=UTF-8.", "Content-Type必须为application/json; charset=UTF-8")
    REQUEST_TIMEOUT = _ours("0200116", 408, "The request body did not arrive in time.", "请求体未在规定时间内送达")
    HEADERS_TOO_LARGE = _ours("0200117", 431, "The request line and headers are too large.", "请求行和请求头过大")
    REQUEST_IN_PROGRESS = _ours("0200118", 409, "The same signed request is still being processed; send it again later for its answer.", "相同的签名请求仍在处理中，请稍后再次发送以获取其应答")
    IMPORT_NOT_FINISHED = _ours("0200119", 200, "The import task has not finished yet; try again once its status is 2 or 3.", "导入任务尚未结束，请在其状态为2或3后重试")
    BLOCKLISTED = _ours("0200120", 200, "A called number is on the tenant's blocklist; nothing was added.", "被叫号码在租户的黑名单中，未添加任何数据")
    PENDING_LIMIT = _ours("0200121", 200, "The campaign cannot hold more incomplete call records.", "外呼活动中未完成的外呼数据已达上限")
    CAMPAIGN_LIMIT = _ours("0200122", 200, "The tenant already holds the maximum number of campaigns of this kind.", "租户的此类外呼活动数量已达上限")
    LEASE_NOT_FOUND = _ours("0200130", 200, "No such lease, or it has ended; its number may be leased again.", "租约不存在或已结束，其号码可被再次租用")
    ALREADY_RECORDED = _ours("0200131", 200, "The result of this lease was already recorded.", "该租约的呼叫结果已记录")
    BATCH_NOT_PAUSED = _ours("0200140", 200, "The batch is not paused.", "批次未暂停，不能恢复")
    INTERNAL = _ours("0200199", 500, "Internal error; the request was not carried out.", "内部错误，请求未被执行")
    # fmt: on

    @classmethod
    def of(cls, text: str) -> ResultCode:
        """The member whose code is ``text`` (``KeyError`` if the table has none)."""
        return cls._value2member_map_[text]  # type: ignore[return-value]


class ISalesError(Exception):
    """A failure reported to the client with a result code and a message naming the cause.

    A subclass names its code as a class keyword (``class X(ISalesError, code=...)``); it may
    not name an HTTP status: that is its code's, from the table.
    """

    default_code: ClassVar[ResultCode]

    def __init_subclass__(cls, *, code: ResultCode | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "http_status" in vars(cls):
            raise TypeError(f"{cls.__name__}: the HTTP status is the code's (ResultCode)")
        if code is not None:
            cls.default_code = code

    def __init__(self, message: str | Message) -> None:
        english = message if isinstance(message, str) else message.render("en")
        super().__init__(english)
        self.message = english
        self.template = None if isinstance(message, str) else message
        self.code: ResultCode = self.default_code

    def text(self, language: Language | None = None) -> str:
        """The message in ``language`` (the request's by default; i18n).

        A message without a template is English only: in Chinese it follows its code's text.
        """
        chosen = language or current()
        if self.template is not None:
            return self.template.render(chosen)
        if chosen == "zh":
            return f"{self.code.zh}：{self.message}"
        return self.message

    @property
    def http_status(self) -> int:
        """The HTTP status of the answer: always the code's, from the table."""
        return self.code.http_status


# -- request values: the documented parameter codes --------------------------------------------


class ParameterError(ISalesError, code=ResultCode.PARAMETER):
    """A request value breaks a documented rule; ``message`` names the field and the rule."""

    @classmethod
    def of(cls, code: ResultCode, message: str | Message) -> ParameterError:
        """The error of the Table 8 code that validation chose (a row's first problem)."""
        error = cls(message)
        error.code = code
        return error


class EmptyValue(ParameterError, code=ResultCode.EMPTY):
    """A required value is missing or empty."""


class InvalidCharacters(ParameterError, code=ResultCode.INVALID_CHARS):
    """A value holds characters its field does not allow."""


class WrongType(ParameterError, code=ResultCode.WRONG_TYPE):
    """A value is not of its field's type or format (a date that is not yyyy-MM-dd...)."""


class WrongValue(ParameterError, code=ResultCode.WRONG_VALUE):
    """A value of the right type lies outside what its field accepts."""


class WrongCombination(ParameterError, code=ResultCode.COMBINATION):
    """Values that are each valid do not go together (begin after end, a repeated number)."""


class HourMinuteUnpaired(ParameterError, code=ResultCode.HOUR_MINUTE):
    """Only one of ``hour`` and ``minute`` was given."""

    def __init__(self) -> None:
        super().__init__(text("hour_minute"))


class NumberBlocklisted(ParameterError, code=ResultCode.BLOCKLISTED):
    """Called numbers of the request are on the tenant's blocklist; nothing was added."""

    def __init__(self, numbers: Sequence[str]) -> None:
        key = "blocklisted.one" if len(numbers) == 1 else "blocklisted.many"
        super().__init__(text(key, numbers=", ".join(numbers)))


# -- who may ask ---------------------------------------------------------------------------------


class AuthenticationError(ISalesError, code=ResultCode.UNAUTHORIZED):
    """The request is not signed by a known key, or the signature does not hold."""


class RequestInProgress(ISalesError, code=ResultCode.REQUEST_IN_PROGRESS):
    """An identical signed request (a retry) arrived while the first is still carried out."""

    def __init__(self) -> None:
        super().__init__(text("in_progress"))


class ForbiddenError(ISalesError, code=ResultCode.FORBIDDEN):
    """A valid key asked to act for a tenant (vdnId) that is not its own."""


# -- objects that are not there -------------------------------------------------------------------


class NotFoundError(ISalesError):
    """The object does not exist for this tenant (another tenant's object looks the same).

    Each subclass says which object, and so the code, and how the message names it; it is
    raised with the object's key.
    """

    noun: ClassVar[str]
    absent: ClassVar[str] = "does not exist"

    def __init_subclass__(
        cls, *, noun: str | None = None, absent: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.noun = noun or cls.noun
        cls.absent = absent or cls.absent

    def __init__(self, key: object, *, where: str | Text = "") -> None:
        # The English message is the noun's; the table (i18n.MESSAGES) holds one template a
        # class, under its name, in both languages.
        english = f"{self.noun} {key} {self.absent}{where}"
        name = type(self).__name__
        super().__init__(text(name, key=key, where=where) if name in MESSAGES else english)


class ServerNotFound(NotFoundError, code=ResultCode.SERVER_NOT_FOUND, noun="file server"):
    """No file server with this serverId."""


class CampaignNotFound(NotFoundError, code=ResultCode.CAMPAIGN_NOT_FOUND, noun="campaign"):
    """No campaign with this campaignId."""


class CallDataNotFound(NotFoundError, code=ResultCode.CALL_DATA_NOT_FOUND, noun="call data"):
    """No call data with this dataId in the campaign."""

    def __init__(self, data_id: str, campaign_id: int) -> None:
        super().__init__(data_id, where=text("where.campaign", campaign=campaign_id))


class ImportTaskNotFound(NotFoundError, code=ResultCode.IMPORT_TASK_NOT_FOUND, noun="import task"):
    """No import task with this id."""


class ScheduleNotFound(NotFoundError, code=ResultCode.SCHEDULE_NOT_FOUND, noun="import schedule"):
    """No import schedule with this id."""


class NotOnBlocklist(
    NotFoundError,
    code=ResultCode.BLOCKLIST_NUMBER_NOT_FOUND,
    noun="blocklistNo:",
    absent="is not on the blocklist",
):
    """The number to remove is not on the tenant's blocklist."""


class BatchNotFound(NotFoundError, code=ResultCode.BATCH_NOT_FOUND, noun="batch"):
    """No live batch with this id in the campaign (a deleted one reads the same)."""


class TenantNotFound(NotFoundError, code=ResultCode.PARAMETER, noun="tenant"):
    """No tenant with this vdnId.

    Tenants are no iSales object: only the CLI asks for one, and it shows the message, so the
    generic parameter code stands rather than a code of our own.
    """


# -- what the objects' state allows ---------------------------------------------------------------


class ConflictError(ISalesError, code=ResultCode.ALREADY_EXISTS):
    """The object would duplicate one that exists."""


class StateError(ISalesError, code=ResultCode.WRONG_STATE):
    """The object's current state forbids the operation."""


class ImportNotFinished(StateError, code=ResultCode.IMPORT_NOT_FINISHED):
    """What only a finished import has (its record mapping) was asked of a running one."""


class PendingLimitReached(StateError, code=ResultCode.PENDING_LIMIT):
    """The campaign would hold more incomplete call records than it may."""


class CampaignLimitReached(StateError, code=ResultCode.CAMPAIGN_LIMIT):
    """The tenant would hold more campaigns of a device type (or started ones) than it may."""


class BatchNameTaken(ConflictError, code=ResultCode.BATCH_NAME_TAKEN):
    """Another live batch of the campaign has this name."""


class BatchNotAllowed(StateError, code=ResultCode.BATCH_NOT_ALLOWED):
    """The campaign's state does not allow the batch operation (cec_07_0773: pausing in a paused campaign)."""


class BatchLimitReached(StateError, code=ResultCode.BATCH_LIMIT):
    """The campaign already holds its maximum of live batches."""


class BatchAlreadyPaused(StateError, code=ResultCode.BATCH_ALREADY_PAUSED):
    """Pausing a batch that is paused."""


class BatchNotPaused(StateError, code=ResultCode.BATCH_NOT_PAUSED):
    """Resuming a batch that is not paused."""


# -- the signed-request gate: raised with what it found -------------------------------------------


class BodyTooLarge(ISalesError, code=ResultCode.BODY_TOO_LARGE):
    """The request body is larger than the configured cap (bytes)."""

    def __init__(self, cap: int) -> None:
        super().__init__(text("body_too_large", cap=cap))


class RequestTimeout(ISalesError, code=ResultCode.REQUEST_TIMEOUT):
    """The request body did not arrive within the read timeout (seconds)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(text("request_timeout", seconds=f"{seconds:g}"))


class UnsupportedMediaType(ISalesError, code=ResultCode.UNSUPPORTED_MEDIA_TYPE):
    """A body that is not JSON in UTF-8; raised with the Content-Type sent."""

    def __init__(self, content_type: str | None) -> None:
        super().__init__(text("media_type", got=repr(content_type)))
