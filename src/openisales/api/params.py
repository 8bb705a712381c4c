"""The path and query parameter types of the routes, each declared once.

The numeric ids of a request path (vdnId, campaignId) have one rule for the gate and the routes.

An id is 1 to 10 ASCII digits. ``str.isdigit`` alone is not the rule: it is true for ``²`` and
other Unicode digits that ``int`` refuses, and ``int`` refuses more than 4,300 digits; pydantic's
own parsing accepts ``+12``, `` 12 ``, ``12.0`` and ``1_2``. Anything else is 02000006.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator

from openisales.api.validators import fail
from openisales.errors import ResultCode, WrongType

MAX_ID_DIGITS = 10
VDN_MAX = 9999
CAMPAIGN_MAX = 2**31 - 1
# The bounds of a page, for query parameters here and request bodies (api/schemas.py) alike.
OFFSET_MAX = 10**9  # the databases take no larger offset
LIMIT_MAX = 100
OBJECT_ID_MAX = 32  # the ids openisales makes (tasks, schedules, file servers)
_RULE = f"a whole number of at most {MAX_ID_DIGITS} ASCII digits"


def parse_id(text: str) -> int | None:
    """``text`` as an id when it is 1 to 10 ASCII digits, else None."""
    if 0 < len(text) <= MAX_ID_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None


def _path_id(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    number = parse_id(value)
    if number is None:
        raise fail(ResultCode.WRONG_TYPE, f"must be {_RULE}, got {value[:20]!r}")
    return number


VdnId = Annotated[int, BeforeValidator(_path_id), Path(ge=1, le=VDN_MAX)]
CampaignId = Annotated[int, BeforeValidator(_path_id), Path(ge=1, le=CAMPAIGN_MAX)]
ObjectId = Annotated[str, Path(max_length=OBJECT_ID_MAX)]
OffsetQuery = Annotated[int, Query(ge=0, le=OFFSET_MAX)]
LimitQuery = Annotated[int, Query(ge=1, le=LIMIT_MAX)]


def vdn_in_path(text: str) -> int:
    """The vdnId of a path segment; WrongType (02000006) unless it is an id of 1 to 9999."""
    number = parse_id(text)
    if number is None or not 1 <= number <= VDN_MAX:
        raise WrongType(f"vdnId: must be an integer from 1 to {VDN_MAX}, got {text[:20]!r}")
    return number
