"""Request bodies of the calling-number (cec_07_0735/0736) and call-batch (cec_07_0770-0775)
interfaces.

Types, lengths and characters are checked here, with the codes the pages list; the rules between
values (repeats, numbers on the campaign, names taken, states) are the services'.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from openisales.api.campaign_v2_schemas import MAX_CALLERS
from openisales.api.schemas import Lenient, Limit, Offset
from openisales.api.validators import DIALLABLE, fail, int_rule, text_rule
from openisales.errors import ResultCode

BATCH_NAME_MAX = 255
BATCH_NAME_FORBIDDEN = '<>!@#$%^&*?;"~/\\'  # cec_07_0770: not allowed in a batch name
BATCH_ID_MAX = 32  # the ids openisales issues (storage.ids: 30 digits)


def _callers(value: Any) -> Any:
    """A list of 1 to 100 calling numbers."""
    if not isinstance(value, list):
        raise fail(ResultCode.WRONG_TYPE, "must be a list of {accessCode, priority}")
    if not value:
        raise fail(ResultCode.EMPTY, "must hold at least one calling number")
    if len(value) > MAX_CALLERS:
        raise fail(
            ResultCode.TOO_MANY_PARAMETERS,
            f"at most {MAX_CALLERS} calling numbers a call, got {len(value)}",
        )
    return value


AccessCode = Annotated[
    str,
    BeforeValidator(
        text_rule(max_len=24, min_len=1, allowed=DIALLABLE, allowed_desc="digits, * and #")
    ),
]
CallerPriority = Annotated[int | None, BeforeValidator(int_rule(minimum=1, maximum=5))]
BatchName = Annotated[
    str,
    BeforeValidator(text_rule(max_len=BATCH_NAME_MAX, min_len=1, forbidden=BATCH_NAME_FORBIDDEN)),
]
OptBatchName = Annotated[
    str | None, BeforeValidator(text_rule(max_len=BATCH_NAME_MAX, forbidden=BATCH_NAME_FORBIDDEN))
]
BatchIdText = Annotated[str, BeforeValidator(text_rule(max_len=BATCH_ID_MAX, min_len=1))]
BatchStatusValue = Annotated[int | None, BeforeValidator(int_rule(minimum=1, maximum=2))]


class CallerEntry(Lenient):
    """One calling number: ``accessCode`` as a campaign's ``callerNo``, ``priority`` 1-5."""

    access_code: AccessCode = Field(alias="accessCode")
    priority: CallerPriority = None


class CallerNoRequest(Lenient):
    """The body of both calling-number interfaces; delete reads only the ``accessCode``s."""

    caller_no: Annotated[list[CallerEntry], BeforeValidator(_callers)] = Field(alias="callerNo")


class CreateBatchRequest(Lenient):
    name: BatchName
    status: BatchStatusValue = None  # 1 started, 2 paused (the default)


class UpdateBatchRequest(Lenient):
    id: BatchIdText
    name: BatchName


class BatchRequest(Lenient):
    """The body of delete, pause and resume: the batch's ``id``."""

    id: BatchIdText


class ListBatchesRequest(Lenient):
    status: BatchStatusValue = None
    name: OptBatchName = None  # a fragment of the name
    offset: Offset = 0
    limit: Limit = 100
