"""Request bodies of the V2 campaign interfaces (cec_07_0722 add, cec_07_0724 modify).

V2 is V1 plus what the published V2 example sends: ``callerNo`` as a list of
``{accessCode, priority}``, the campaign's ``priority`` (1-5), ``retryPolicy`` (checked and
normalised by ``domain.retry_policy`` in the service), ``callPolicy`` (kept as given) and an
``initStatus`` that may be 0 (the example's value: the default, started).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from openisales.api.schemas import (
    CampaignFields,
    CampaignName,
    DateTimeText,
    DeviceType,
    Lenient,
)
from openisales.api.validators import DIALLABLE, fail, int_rule, text_rule
from openisales.errors import ResultCode

MAX_CALLERS = 100  # the callerNo interfaces take at most 100 numbers per call


def _caller_list(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, list):
        raise fail(ResultCode.WRONG_TYPE, "must be a list of {accessCode, priority}")
    if not value:
        raise fail(ResultCode.EMPTY, "must hold at least one calling number")
    if len(value) > MAX_CALLERS:
        raise fail(
            ResultCode.TOO_MANY_PARAMETERS,
            f"at most {MAX_CALLERS} calling numbers, got {len(value)}",
        )
    return value


def _object(value: Any) -> Any:
    if value is not None and not isinstance(value, dict):
        raise fail(ResultCode.WRONG_TYPE, "must be an object")
    return value


def _init_status(value: Any) -> Any:
    """0 (the published example), 2 started or 3 paused; 0 means the default, started."""
    checked = int_rule(minimum=0, maximum=3)(value)
    if checked == 1:
        raise fail(ResultCode.WRONG_VALUE, "must be 0, 2 or 3, got 1")
    return None if checked == 0 else checked


class CallerNumber(Lenient):
    access_code: Annotated[
        str,
        BeforeValidator(
            text_rule(max_len=24, min_len=1, allowed=DIALLABLE, allowed_desc="digits, * and #")
        ),
    ] = Field(alias="accessCode")
    priority: Annotated[int | None, BeforeValidator(int_rule(minimum=1, maximum=100))] = None


class CampaignV2Fields(CampaignFields):
    """Fields common to the V2 create and modify; documented ones not declared are kept as given."""

    caller_no: Annotated[list[CallerNumber] | None, BeforeValidator(_caller_list)] = Field(  # type: ignore[assignment]
        default=None, alias="callerNo"
    )
    priority: Annotated[int | None, BeforeValidator(int_rule(minimum=1, maximum=5))] = None
    retry_policy: Annotated[dict[str, Any] | None, BeforeValidator(_object)] = Field(
        default=None, alias="retryPolicy"
    )
    call_policy: Annotated[dict[str, Any] | None, BeforeValidator(_object)] = Field(
        default=None, alias="callPolicy"
    )
    init_status: Annotated[int | None, BeforeValidator(_init_status)] = Field(
        default=None, alias="initStatus"
    )

    def first_caller(self) -> str | None:
        """The calling number a lease offers when a record names none: the first listed."""
        return self.caller_no[0].access_code if self.caller_no else None


class CreateCampaignV2Request(CampaignV2Fields):
    name: CampaignName
    str_begin_time: DateTimeText = Field(alias="strBeginTime")
    str_end_time: DateTimeText = Field(alias="strEndTime")
    device_type: DeviceType = Field(alias="deviceType")
