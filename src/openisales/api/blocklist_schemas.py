"""Request bodies of the blocklist interfaces (cec_07_0744-0749).

Types are checked here; the rules of the values themselves (characters and length of a number,
how many numbers, repeats, the expiry, restrictTimes with restrictPeriod) are the service's, so
the CLI and the API answer the same code for the same mistake.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from openisales.api.schemas import Lenient, Limit, Offset
from openisales.api.validators import fail, int_rule
from openisales.domain.blocklist_template import (
    RESTRICT_TIMES_MAX,
    RESTRICT_TIMES_MIN,
    VALIDITY_MAX,
    VALIDITY_MIN,
)
from openisales.errors import ResultCode


def _text_or_number(value: Any) -> Any:
    """A string, or a JSON integer that clients send for a number; checked by the service."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise fail(ResultCode.WRONG_TYPE, "must be a string")
    return str(value)


def _number_list(value: Any) -> Any:
    if value is not None and not isinstance(value, list):
        raise fail(ResultCode.WRONG_TYPE, "must be a list of numbers")
    return value


Text = Annotated[str, BeforeValidator(_text_or_number)]
OptText = Annotated[str | None, BeforeValidator(_text_or_number)]
NumberList = Annotated[list[Text], BeforeValidator(_number_list)]
OptNumberList = Annotated[list[Text] | None, BeforeValidator(_number_list)]
ValidityTime = Annotated[
    int | None, BeforeValidator(int_rule(minimum=VALIDITY_MIN, maximum=VALIDITY_MAX))
]
RestrictTimes = Annotated[
    int | None, BeforeValidator(int_rule(minimum=RESTRICT_TIMES_MIN, maximum=RESTRICT_TIMES_MAX))
]


class AddBlocklistRequest(Lenient):
    blocklist: NumberList
    validity_expiration_time: OptText = Field(default=None, alias="validityExpirationTime")
    validity_time: ValidityTime = Field(default=None, alias="validityTime")
    restrict_times: RestrictTimes = Field(default=None, alias="restrictTimes")
    restrict_period: OptText = Field(default=None, alias="restrictPeriod")


class DeleteBlocklistRequest(Lenient):
    blocklist_no: Text = Field(alias="blocklistNo")


class QueryBlocklistRequest(Lenient):
    """The documented optional filter, plus paging as an extension (offset 0, limit 100)."""

    blocklist: OptNumberList = None
    offset: Offset = 0
    limit: Limit = 100
