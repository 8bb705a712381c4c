"""Request bodies of the call-data interfaces (cec_07_0759-0761).

Here only the JSON shape is checked (a string where a string belongs, the size of the list);
the field rules themselves (lengths, characters, the time format, priority 1-5, callData as a
JSON object for intelligent IVR) are the file import's row rules, applied by the service.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from openisales.api.batch_schemas import BATCH_NAME_FORBIDDEN
from openisales.api.schemas import Lenient
from openisales.api.validators import DIALLABLE, fail, int_rule, text_rule
from openisales.errors import ResultCode
from openisales.i18n import text
from openisales.services.calldata import MAX_RECORDS_PER_ADD, NewRecord

BATCH_ID_MAX = 64


def _is_text(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _scalar(value: Any) -> Any:
    """A text field: a string (numbers are read as their digits), never a list, object or bool."""
    if value is None or _is_text(value):
        return value
    raise fail(ResultCode.WRONG_TYPE, "must be a string")


def _call_data(value: Any) -> Any:
    """callData is text; a JSON object sent as an object is accepted too (stored as text)."""
    return value if isinstance(value, dict) else _scalar(value)


def _one_number(value: Any) -> Any:
    if value is None:
        raise fail(ResultCode.EMPTY, "is required")
    value = _scalar(value)
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        raise fail(
            ResultCode.WRONG_TYPE,
            "must be one number such as 13800001234; the V2 interface takes a list",
        )
    return value


def _numbers(value: Any) -> Any:
    """V2's called: a list of numbers, or of {calledNo, delayTime, type} objects (or one number)."""
    if not isinstance(value, list):
        return _one_number(value)
    for position, item in enumerate(value):
        if not (isinstance(item, dict) or _is_text(item)):
            raise fail(
                ResultCode.WRONG_TYPE,
                f"element {position + 1} must be a number or an object such as "
                '{"calledNo":"13800001234"}',
            )
    return value


def _record_list(value: Any) -> Any:
    if value is None:
        raise fail(ResultCode.EMPTY, "is required")
    if not isinstance(value, list):
        raise fail(ResultCode.WRONG_TYPE, "must be a list of records")
    if not value:
        raise fail(ResultCode.EMPTY, "must hold at least one record")
    if len(value) > MAX_RECORDS_PER_ADD:
        raise fail(
            ResultCode.TOO_MANY_PARAMETERS,
            f"at most {MAX_RECORDS_PER_ADD} records per request, got {len(value)}",
        )
    return value


Text = Annotated[str | int | float | None, BeforeValidator(_scalar)]
CallDataText = Annotated[str | int | float | dict[str, Any] | None, BeforeValidator(_call_data)]
OneNumber = Annotated[str | int | float, BeforeValidator(_one_number)]
Numbers = Annotated[
    list[str | int | float | dict[str, Any]] | str | int | float, BeforeValidator(_numbers)
]
BatchId = Annotated[str | None, BeforeValidator(text_rule(max_len=BATCH_ID_MAX))]


class _RecordFields(Lenient):
    FREE_TEXT = frozenset({"call_data"})

    session_id: Text = Field(default=None, alias="sessionId")
    caller: Text = None
    custom_field: Text = Field(default=None, alias="customField")
    recycle_time: Text = Field(default=None, alias="recycleTime")
    call_data: CallDataText = Field(default=None, alias="callData")
    priority: Text = None


class RecordV1(_RecordFields):
    called: OneNumber

    def to_new(self) -> NewRecord:
        """The validated V1 record as the service's NewRecord (no batch id)."""
        return NewRecord(
            self.session_id,
            self.called,
            self.caller,
            self.custom_field,
            self.recycle_time,
            self.call_data,
            self.priority,
        )


def _v2_custom_field(value: Any) -> Any:
    """V2's customField takes no special characters (cec_07_0760; the page names none, so the
    set is the one iSales publishes for a batch name, cec_07_0770). V1 keeps taking them."""
    if isinstance(value, str):
        bad = sorted({ch for ch in value if ch in V2_CUSTOM_FIELD_FORBIDDEN})
        if bad:
            raise fail(ResultCode.INVALID_CHARS, text("field.forbidden", chars=repr("".join(bad))))
    return _scalar(value)


V2_CUSTOM_FIELD_FORBIDDEN = BATCH_NAME_FORBIDDEN
V2CustomField = Annotated[str | int | float | None, BeforeValidator(_v2_custom_field)]


class RecordV2(_RecordFields):
    called: Numbers
    custom_field: V2CustomField = Field(default=None, alias="customField")
    batch_id: BatchId = Field(default=None, alias="batchId")

    def to_new(self, default_batch_id: str | None) -> NewRecord:
        """The validated V2 record as a NewRecord, in the request's batch when it names none."""
        return NewRecord(
            self.session_id,
            self.called,
            self.caller,
            self.custom_field,
            self.recycle_time,
            self.call_data,
            self.priority,
            self.batch_id or default_batch_id,
        )


RecordsV1 = Annotated[list[RecordV1], BeforeValidator(_record_list)]
RecordsV2 = Annotated[list[RecordV2], BeforeValidator(_record_list)]


class AddCallDataV1Request(Lenient):
    call_data_list: RecordsV1 = Field(alias="callDataList")


class AddCallDataV2Request(Lenient):
    call_data_list: RecordsV2 = Field(alias="callDataList")
    # The batch (add-batch interface) of every record that does not name its own.
    batch_id: BatchId = Field(default=None, alias="batchId")


class DeleteCallDataRequest(Lenient):
    session_id: Annotated[str | None, BeforeValidator(text_rule(max_len=32))] = Field(
        default=None, alias="sessionId"
    )
    called: Annotated[
        str | None,
        BeforeValidator(text_rule(max_len=24, allowed=DIALLABLE, allowed_desc="digits, * and #")),
    ] = None
    custom_field: Annotated[str | None, BeforeValidator(text_rule(max_len=200))] = Field(
        default=None, alias="customField"
    )
    recycle_time: Annotated[str | None, BeforeValidator(text_rule(max_len=19))] = Field(
        default=None, alias="recycleTime"
    )
    recycle_type: Annotated[int | None, BeforeValidator(int_rule(minimum=1, maximum=3))] = Field(
        default=None, alias="recycleType"
    )
    archive_history: Annotated[int, BeforeValidator(int_rule(minimum=0, maximum=1))] = Field(
        default=0, alias="archiveHistory"
    )
