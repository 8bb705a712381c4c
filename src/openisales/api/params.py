"""The path and query parameter types of the routes, each declared once.

A vdnId (in the path, one rule for the gate and the routes) is 1 to 10 ASCII digits.
``str.isdigit`` alone is not the rule: it is true for ``²`` and other Unicode digits that ``int``
refuses, and ``int`` refuses more than 4,300 digits; pydantic's own parsing accepts ``+12``,
`` 12 ``, ``12.0`` and ``1_2``. Anything else is 02000006.

A campaignId is a String in the seed (Table 4): the digits of an id the campaign interfaces
issued, leading zeros allowed (``"0046"`` is 46). Text that names no campaign, digits or not, is
answered as a campaign that does not exist (0200007, the service's own CampaignNotFound), never
as a type error: a client cannot tell "not digits" from "not there" by the id it was given.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator, WithJsonSchema

from openisales.api.validators import fail
from openisales.errors import CampaignNotFound, ResultCode, WrongType

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


def campaign_number(text: str) -> int | None:
    """The campaign id ``text`` names (ASCII digits, leading zeros allowed), else None."""
    if not (text.isascii() and text.isdigit()):
        return None
    significant = text.lstrip("0")  # before int(): 5,000 zeros and "46" is still 46
    if not 0 < len(significant) <= MAX_ID_DIGITS:
        return None
    number = int(significant)
    return number if number <= CAMPAIGN_MAX else None


def _campaign_id(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    number = campaign_number(value)
    if number is None:
        # Raised as the domain's not-found error, which the envelope handler answers as it does
        # for a well-formed id that names no campaign; it is not a validation error.
        shown = value if len(value) <= 20 else value[:20] + "..."
        raise CampaignNotFound(repr(shown))
    return number


_DIGITS = "^[0-9]+$"
VdnId = Annotated[int, BeforeValidator(_path_id), Path(ge=1, le=VDN_MAX)]
CampaignId = Annotated[int, BeforeValidator(_campaign_id), Path(ge=1, le=CAMPAIGN_MAX)]
# The calldatafile paths' campaignId, a String there (seed Table 4): the same rule, described
# to code generators as the digit string it is.
CampaignIdText = Annotated[
    int,
    BeforeValidator(_campaign_id),
    WithJsonSchema({"type": "string", "pattern": _DIGITS, "examples": ["46"]}),
    Path(),
]
CampaignIdQuery = Annotated[int | None, BeforeValidator(_campaign_id), Query()]
ObjectId = Annotated[str, Path(max_length=OBJECT_ID_MAX)]
OffsetQuery = Annotated[int, Query(ge=0, le=OFFSET_MAX)]
LimitQuery = Annotated[int, Query(ge=1, le=LIMIT_MAX)]


def vdn_in_path(text: str) -> int:
    """The vdnId of a path segment; WrongType (02000006) unless it is an id of 1 to 9999."""
    number = parse_id(text)
    if number is None or not 1 <= number <= VDN_MAX:
        raise WrongType(f"vdnId: must be an integer from 1 to {VDN_MAX}, got {text[:20]!r}")
    return number
