"""Request bodies of the dialer interface (extension): lease numbers, report results."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from openisales.api.schemas import Strict
from openisales.api.validators import fail, int_rule, text_rule
from openisales.errors import ResultCode
from openisales.services.dispatch import MAX_LEASE
from openisales.services.dispatch_results import MAX_RESULTS, Report

DIALER_ID = re.compile(r"[A-Za-z0-9._:@-]+")
DIGITS = re.compile(r"[0-9]+")
CALL_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _call_time(value: Any) -> Any:
    """``yyyy-MM-dd HH:mm:ss``, a real date and time (the dialer's clock, pushed on as given)."""
    text = text_rule(max_len=19, min_len=1)(value)
    if text is None:
        raise fail(ResultCode.EMPTY, "is required")
    if not CALL_TIME.fullmatch(text):
        raise fail(ResultCode.WRONG_TYPE, f"must be yyyy-MM-dd HH:mm:ss, got {text!r}")
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise fail(ResultCode.WRONG_VALUE, f"{text!r} is not a real date and time") from None
    return text


def _result_list(value: Any) -> Any:
    if value is None:
        raise fail(ResultCode.EMPTY, "is required")
    if not isinstance(value, list):
        raise fail(ResultCode.WRONG_TYPE, "must be a list of results")
    if not value:
        raise fail(ResultCode.EMPTY, "must hold at least one result")
    if len(value) > MAX_RESULTS:
        raise fail(
            ResultCode.TOO_MANY_PARAMETERS,
            f"at most {MAX_RESULTS} results per request, got {len(value)}",
        )
    return value


class LeaseBody(Strict):
    dialer_id: Annotated[
        str,
        BeforeValidator(
            text_rule(
                max_len=64, min_len=1, allowed=DIALER_ID, allowed_desc="letters, digits and ._:@-"
            )
        ),
    ] = Field(alias="dialerId")
    limit: Annotated[int, BeforeValidator(int_rule(minimum=1, maximum=MAX_LEASE))]
    lease_seconds: Annotated[int, BeforeValidator(int_rule(minimum=10, maximum=3600))] = Field(
        alias="leaseSeconds"
    )


class ResultItem(Strict):
    lease_id: Annotated[str, BeforeValidator(text_rule(max_len=32, min_len=1))] = Field(
        alias="leaseId"
    )
    call_status: Annotated[int, BeforeValidator(int_rule(minimum=5, maximum=6))] = Field(
        alias="callStatus"
    )
    fail_code: Annotated[
        str,
        BeforeValidator(text_rule(max_len=16, min_len=1, allowed=DIGITS, allowed_desc="digits")),
    ] = Field(alias="failCode")
    call_id: Annotated[str, BeforeValidator(text_rule(max_len=64, min_len=1))] = Field(
        alias="callId"
    )
    call_time_str: Annotated[str, BeforeValidator(_call_time)] = Field(alias="callTimeStr")
    record_path: Annotated[str | None, BeforeValidator(text_rule(max_len=1024))] = Field(
        default=None, alias="recordPath"
    )

    def to_report(self) -> Report:
        """The validated result as the service's Report; an empty record path becomes None."""
        return Report(
            self.lease_id,
            self.call_status,
            self.fail_code,
            self.call_id,
            self.call_time_str,
            self.record_path or None,
        )


class ResultsBody(Strict):
    results: Annotated[list[ResultItem], BeforeValidator(_result_list)]
