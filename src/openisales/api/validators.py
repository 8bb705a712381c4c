"""Annotated field types whose failures carry the iSales result code (seed Table 8).

Pydantic's own error types are mapped to codes in ``api.errors``; these validators cover the
rules pydantic cannot phrase with the right code: empty versus too short, length ranges,
forbidden characters and the numbers-as-strings that iSales clients send. ``refuse_controls``
is the control-character rule (``domain.text``) for any JSON value, keys included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic_core import PydanticCustomError

from openisales.domain.text import find_control_in
from openisales.errors import ResultCode
from openisales.i18n import Text, phrase, text

ISALES_ERROR = "isales"
DIALLABLE = re.compile(r"[0-9*#]+")


def fail(code: ResultCode, message: str | Text) -> PydanticCustomError:
    """A validation error that names its result code, and its Chinese text when the message
    comes from the table (api.errors answers it in the request's language)."""
    message = phrase(message) if isinstance(message, str) else message
    if isinstance(message, Text):
        zh = message.render("zh")
        return PydanticCustomError(ISALES_ERROR, message.render("en"), {"code": code, "zh": zh})
    return PydanticCustomError(ISALES_ERROR, message, {"code": code})


def text_rule(
    *,
    max_len: int,
    min_len: int = 0,
    forbidden: str = "",
    allowed: re.Pattern[str] | None = None,
    allowed_desc: str = "",
    strip: bool = True,
) -> Callable[[Any], Any]:
    """A before-validator for a string field with iSales' length and character rules."""

    def check(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise fail(ResultCode.WRONG_TYPE, text("field.not_string"))
        value = str(value).strip() if strip else str(value)
        if value == "" and min_len > 0:
            raise fail(ResultCode.EMPTY, text("field.not_empty"))
        if min_len > 1 and not min_len <= len(value) <= max_len:
            raise fail(
                ResultCode.LENGTH_RANGE,
                text("field.length_range", min=min_len, max=max_len, got=len(value)),
            )
        if len(value) > max_len:
            raise fail(ResultCode.TOO_LONG, text("field.too_long", max=max_len, got=len(value)))
        bad = sorted({ch for ch in value if ch in forbidden})
        if bad:
            raise fail(ResultCode.INVALID_CHARS, text("field.forbidden", chars=repr("".join(bad))))
        if allowed is not None and value and not allowed.fullmatch(value):
            raise fail(ResultCode.INVALID_CHARS, text("field.only", allowed=phrase(allowed_desc)))
        return value

    return check


def int_rule(*, minimum: int, maximum: int) -> Callable[[Any], Any]:
    """A before-validator for an integer sent as a JSON number or a digit string."""

    def check(value: Any) -> Any:
        if value is None:
            return None
        number = as_int(value)
        if number is None:
            raise fail(ResultCode.WRONG_TYPE, text("field.not_integer", got=repr(value)[:96]))
        if not minimum <= number <= maximum:
            raise fail(
                ResultCode.WRONG_VALUE, text("field.range", min=minimum, max=maximum, got=number)
            )
        return number

    return check


def as_int(value: Any) -> int | None:
    """``value`` as an int when it is an integer number or a string of digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", value):
        return int(value)
    return None


def refuse_controls(value: Any, *, line_breaks: bool = False) -> None:
    """Raise 02000002 when a string in ``value`` (lists and objects walked, keys included) holds
    a control character; ``line_breaks`` allows LF, CR and TAB (free-text fields)."""
    found = find_control_in(value, line_breaks=line_breaks)
    if found is not None:
        raise fail(ResultCode.INVALID_CHARS, found)
