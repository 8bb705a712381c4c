"""Request bodies of the iSales interfaces, with their documented rules and result codes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from openisales.api.params import LIMIT_MAX, OFFSET_MAX
from openisales.api.validators import (
    DIALLABLE,
    fail,
    int_rule,
    refuse_controls,
    text_rule,
)
from openisales.domain.text import find_control_in
from openisales.errors import ResultCode
from openisales.services.imports import ImportRequest

log = logging.getLogger("openisales.api")
# cec_07_0792: "cannot contain ~!@#$%^&*()+=|{}'":;<>/?.\[]!¥…"
USER_NAME_FORBIDDEN = "~!@#$%^&*()+=|{}'\":;<>/?.\\[]！¥…"
DESCRIPTION_FORBIDDEN = '"[]=;<>'
HOST_NAME = re.compile(r"[A-Za-z0-9.:\-\[\]%]+")

UserName = Annotated[
    str, BeforeValidator(text_rule(max_len=30, min_len=1, forbidden=USER_NAME_FORBIDDEN))
]
Password = Annotated[str, BeforeValidator(text_rule(max_len=80, min_len=8, strip=False))]
OptPassword = Annotated[str | None, BeforeValidator(text_rule(max_len=80, min_len=8, strip=False))]
HostAddress = Annotated[
    str,
    BeforeValidator(
        text_rule(
            max_len=255, min_len=1, allowed=HOST_NAME, allowed_desc="an IP address or host name"
        )
    ),
]
Port = Annotated[int, BeforeValidator(int_rule(minimum=1, maximum=65535))]
DefaultPath = Annotated[
    str, BeforeValidator(text_rule(max_len=1024, min_len=1, forbidden="\x00\\"))
]
ServerId = Annotated[str, BeforeValidator(text_rule(max_len=32, min_len=1))]
FileName = Annotated[str, BeforeValidator(text_rule(max_len=255, min_len=1))]
OptFilePath = Annotated[str | None, BeforeValidator(text_rule(max_len=1024))]
OptUrl = Annotated[str | None, BeforeValidator(text_rule(max_len=1024))]
Hour = Annotated[int | None, BeforeValidator(int_rule(minimum=0, maximum=23))]
Minute = Annotated[int | None, BeforeValidator(int_rule(minimum=0, maximum=59))]
Offset = Annotated[int, BeforeValidator(int_rule(minimum=0, maximum=OFFSET_MAX))]
Limit = Annotated[int, BeforeValidator(int_rule(minimum=1, maximum=LIMIT_MAX))]
CampaignName = Annotated[str, BeforeValidator(text_rule(max_len=100, min_len=1))]
Description = Annotated[
    str | None, BeforeValidator(text_rule(max_len=200, forbidden=DESCRIPTION_FORBIDDEN))
]
CallerNo = Annotated[
    str | None,
    BeforeValidator(text_rule(max_len=24, allowed=DIALLABLE, allowed_desc="digits, * and #")),
]
DateTimeText = Annotated[str, BeforeValidator(text_rule(max_len=19, min_len=1))]
OptDateTimeText = Annotated[str | None, BeforeValidator(text_rule(max_len=19))]
DeviceType = Annotated[int, BeforeValidator(int_rule(minimum=1, maximum=6))]
OptDeviceType = Annotated[int | None, BeforeValidator(int_rule(minimum=1, maximum=6))]
AlertingTime = Annotated[int | None, BeforeValidator(int_rule(minimum=5, maximum=120))]
InitStatus = Annotated[int | None, BeforeValidator(int_rule(minimum=2, maximum=3))]


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in get_args(annotation))


@cache
def _nested_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` that hold request models, which check their own text."""
    fields = model.model_fields.items()
    return frozenset(name for name, field in fields if _holds_model(field.annotation))


def _extra_text(value: Any) -> Any:
    refuse_controls(value)
    return value


def _refuse_control_in_names(data: Any) -> None:
    if isinstance(data, dict):
        found = find_control_in(dict.fromkeys(data))
        if found is not None:
            raise fail(ResultCode.INVALID_CHARS, found)


class Checked(BaseModel):
    """Every request body: no control character in any text, names included (02000002).

    The rule (``domain.text``) runs before any other, on the value as sent, for every field,
    object member, list element and kept unknown field. ``FREE_TEXT`` names the fields that may
    also hold line breaks and tabs.
    """

    FREE_TEXT: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_control_in_names(cls, data: Any) -> Any:
        _refuse_control_in_names(data)
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_in_text(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name or ""
        if name not in _nested_fields(cls):
            refuse_controls(value, line_breaks=name in cls.FREE_TEXT)
        return value


class Strict(Checked):
    """A body whose set of fields our documentation fixes: unknown fields are 02000011.

    Only the extension interfaces whose every client is openisales' own (the dialer): a field
    a dialer misspells must not be lost quietly.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


@cache
def _declared(model: type[BaseModel]) -> frozenset[str]:
    """Every name a field of ``model`` may be sent under: its alias and its own name."""
    names = {name for name in model.model_fields}
    names.update(field.alias for field in model.model_fields.values() if field.alias)
    return frozenset(names)


def _log_ignored(model: type[BaseModel], names: Iterable[str]) -> None:
    # Names only, never values: a value may be a password or a customer's number. repr()
    # keeps a name with odd characters on one log line; the slices bound the line.
    shown = ", ".join(repr(name[:64]) for name in list(names)[:20])
    log.debug("%s: ignored fields that are not parameters: %s", model.__name__, shown)


class Lenient(Checked):
    """A body of a documented iSales interface: unknown fields are accepted and ignored.

    A client of a newer CC-iSales edition sends fields this one does not know; they are left
    out before validation (their values are neither checked nor stored) and their names are
    logged at debug level. ``KEPT`` names documented fields that are not declared but stored
    as given (see ``Open``).
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    KEPT: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _leave_out_unknown(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # A subclass's validator runs before its base's: the names rule first, so an unknown
        # name with a control character is refused (02000002) like any other, not ignored.
        _refuse_control_in_names(data)
        known = _declared(cls) | cls.KEPT
        unknown = [key for key in data if key not in known]
        if not unknown:
            return data
        _log_ignored(cls, unknown)
        return {key: value for key, value in data.items() if key in known}


class Open(Lenient):
    """A body that also keeps the documented fields in ``KEPT`` it does not interpret, to store
    and return them as given."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_extra_text)]] = Field(init=False)


class ServerInfo(Lenient):
    ip: HostAddress
    port: Port
    file_path: DefaultPath = Field(alias="filePath")


class AddServerRequest(Lenient):
    user_name: UserName = Field(alias="userName")
    server_pwd: Password = Field(alias="serverPwd")
    server_info: ServerInfo = Field(alias="serverInfo")
    # Extension: imports from this server wait for "<file>.done" beside the file.
    require_done_marker: StrictBool | None = Field(default=None, alias="requireDoneMarker")


class UpdateServerRequest(Lenient):
    user_name: UserName = Field(alias="userName")
    server_pwd: OptPassword = Field(default=None, alias="serverPwd")
    server_info: ServerInfo = Field(alias="serverInfo")
    # Extension: left out, the stored setting is kept.
    require_done_marker: StrictBool | None = Field(default=None, alias="requireDoneMarker")


class PageRequest(Lenient):
    offset: Offset
    limit: Limit


# The published campaign fields (cec_07_0721/0722 tables and the V2 example) that no field of
# CampaignFields declares: kept as given and returned by the details. Any other field is ignored.
CAMPAIGN_KEPT = frozenset({"skillParam", "callBackUrl", "retryPolicy", "callPolicy", "priority"})


class CampaignFields(Open):
    """Fields common to create and modify (V1); the documented ones in ``KEPT`` stored as given."""

    FREE_TEXT = frozenset({"description"})
    KEPT = CAMPAIGN_KEPT

    name: CampaignName | None = None
    description: Description = None
    str_begin_time: OptDateTimeText = Field(default=None, alias="strBeginTime")
    str_end_time: OptDateTimeText = Field(default=None, alias="strEndTime")
    device_type: OptDeviceType = Field(default=None, alias="deviceType")
    caller_no: CallerNo = Field(default=None, alias="callerNo")
    max_alerting_time: AlertingTime = Field(default=None, alias="maxAlertingTime")
    schedule_param: dict[str, Any] | None = Field(default=None, alias="scheduleParam")
    ivr_param: dict[str, Any] | None = Field(default=None, alias="ivrParam")
    init_status: InitStatus = Field(default=None, alias="initStatus")
    # Extension: the calling windows on the tenant's clock (default) or on each number's own.
    window_time_zone: Literal["tenant", "number"] | None = Field(
        default=None, alias="windowTimeZone"
    )


class CreateCampaignRequest(CampaignFields):
    name: CampaignName
    str_begin_time: DateTimeText = Field(alias="strBeginTime")
    str_end_time: DateTimeText = Field(alias="strEndTime")
    device_type: DeviceType = Field(alias="deviceType")


class UploadFileServerRequest(Lenient):
    server_id: ServerId = Field(alias="serverId")
    file_path: OptFilePath = Field(default=None, alias="filePath")
    file_name: FileName = Field(alias="fileName")
    hour: Hour = None
    minute: Minute = None
    # Extension: a dry run that validates and counts the file and writes nothing.
    validate_only: StrictBool | None = Field(default=None, alias="validateOnly")
    # Extension: after the run, move the file on the server into done/ or failed/ beside it.
    move_after_import: StrictBool | None = Field(default=None, alias="moveAfterImport")
    # Extension: where the task's record is POSTed, signed, once the task ends.
    notify_url: OptUrl = Field(default=None, alias="notifyUrl")

    def as_import_request(self) -> ImportRequest:
        """The request as the import service takes it."""
        return ImportRequest(
            self.server_id,
            self.file_path,
            self.file_name,
            self.hour,
            self.minute,
            validate_only=bool(self.validate_only),
            move_after_import=bool(self.move_after_import),
            notify_url=self.notify_url or None,
        )


class QueryImportTasksRequest(Lenient):
    offset: Offset
    limit: Limit
    import_task_ids: (
        list[Annotated[str, BeforeValidator(text_rule(max_len=32, min_len=1))]] | None
    ) = Field(default=None, alias="importTaskIds", max_length=100)


class DeleteCampaignRequest(Lenient):
    """The optional body of a campaign delete (cec_07_4005)."""

    archive_history: Annotated[int, BeforeValidator(int_rule(minimum=0, maximum=1))] = Field(
        default=0, alias="archiveHistory"
    )
