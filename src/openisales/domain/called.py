"""The ``called`` column: a customer's numbers, as JSON or in the lenient forms users write.

Accepted: a JSON array of ``{"calledNo", "delayTime", "type"}`` objects (seed Table 3); the
documentation's single-quoted form ``[{'calledNo':1234566}]`` (rewritten string by string into
JSON, never evaluated); a single object without the array; ``calledNo``, ``delayTime`` and
``type`` as numbers; a bare number (a number cell or text of digits, ``*`` and ``#``).
JSON numbers are kept as their literal text, so ``1.38E+10`` is caught as a number that lost
digits instead of becoming 13800000000.

With a default region (the tenant's ``defaultRegion``) a calledNo may also start with ``+``
(``+8613800001234``), and every number is read with libphonenumber (``domain.phone_numbers``):
one that cannot exist is the rule ``called.calledNo.invalid``; the others carry their E.164
form, type and time zone. Without a region nothing of this runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from openisales.domain.cells import Cell, number_digits
from openisales.domain.phone_numbers import read_number
from openisales.domain.records import (
    CALLED_NO_MAX,
    DELAY_TIME_MAX,
    EMPTY,
    INTEGER_TEXT,
    INVALID_CHARS,
    LOST_DIGITS_TEXT,
    WRONG_TYPE,
    WRONG_VALUE,
    CalledNumber,
    RowError,
    control_chars,
    json_text,
    lost_digits,
    show,
    show_plain,
    too_long,
    wrong_cell,
)
from openisales.domain.text import find_control

_CALLED_NO = re.compile(r"[0-9*#]+")
_NOT_CALLED_NO_CHAR = re.compile(r"[^0-9*#]")
_QUOTED = re.compile(r"""'((?:[^'\\]|\\.)*)'|"(?:[^"\\]|\\.)*\"""", re.DOTALL)
_SINGLE_QUOTED_PART = re.compile(r"""\\(.)|\"""", re.DOTALL)
CALLED_EXAMPLE = '[{"calledNo":"13800001234"}]'


class _JsonFloat(str):
    """A JSON number with a fraction or exponent, kept as its literal so no digit is lost."""

    __slots__ = ()


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


_DECODER = json.JSONDecoder(parse_float=_JsonFloat, parse_constant=_no_constants)
_RAW_DECODE = _DECODER.raw_decode
_CALLED_NO_MATCH = _CALLED_NO.fullmatch
_INVALID = object()
_MAX_DIGITS = 18  # a whole number longer than this is out of every range a called field has


def parse_called(
    value: Cell, row: int, errors: list[RowError], region: str | None = None
) -> tuple[CalledNumber, ...] | None:
    """The numbers of a ``called`` cell, or None after appending its errors to ``errors``.

    ``region``: the tenant's default region, when it has one (see the module's text).
    """
    if region is None:
        return _as_written(value, row, errors, False)
    numbers = _as_written(value, row, errors, True)
    if numbers is None:
        return None
    in_json = type(value) is str and value.strip()[:1] in ("[", "{")
    return _read_in_region(numbers, region, in_json, row, errors)


def _read_in_region(
    numbers: tuple[CalledNumber, ...], region: str, in_json: bool, row: int, errors: list[RowError]
) -> tuple[CalledNumber, ...] | None:
    """The numbers with what libphonenumber read in each; None when one cannot exist."""
    read: list[CalledNumber] = []
    for position, number in enumerate(numbers, 1):
        phone = read_number(number.called_no, region)
        if phone is None:
            column = f"called[{position}].calledNo" if in_json else "called"
            errors.append(
                RowError(
                    row,
                    column,
                    WRONG_VALUE,
                    "called.calledNo.invalid",
                    f"calledNo {show(number.called_no)} cannot exist as a phone number "
                    f"(read in the default region {region}).",
                )
            )
        else:
            read.append(replace(number, phone=phone))
    return None if len(read) < len(numbers) else tuple(read)


def _as_written(
    value: Cell, row: int, errors: list[RowError], plus: bool
) -> tuple[CalledNumber, ...] | None:
    """The numbers of a ``called`` cell as written; ``plus``: a leading ``+`` is allowed."""
    if type(value) is str:
        text = value.strip()
        bad = None if text.isprintable() else find_control(text)  # inline: every row
        if bad is not None:
            errors.append(control_chars(row, "called", text, bad))
            return None
        if text[:1] in ("[", "{"):
            return _called_json(text, row, errors, plus)
        if text:
            number = _called_no(text, "called", row, errors, plus)
            return None if number is None else (CalledNumber(number),)
    elif type(value) is float:
        digits = number_digits(value)
        if digits is None:
            errors.append(lost_digits(row, "called", format(value, ".15g")))
            return None
        number = _called_no(digits, "called", row, errors)
        return None if number is None else (CalledNumber(number),)
    elif type(value) is int:
        number = _called_no(str(value), "called", row, errors)
        return None if number is None else (CalledNumber(number),)
    elif value is not None:
        errors.append(wrong_cell(row, "called", value, f"a JSON array such as {CALLED_EXAMPLE}"))
        return None
    errors.append(
        RowError(
            row,
            "called",
            EMPTY,
            "called.required",
            f"called is empty; it must list at least one number, e.g. {CALLED_EXAMPLE}.",
        )
    )
    return None


def _not_a_list(text: str, row: int) -> RowError:
    """The error for called JSON that is neither an array nor one object (cold path)."""
    return RowError(
        row,
        "called",
        WRONG_TYPE,
        "called.json",
        f"called {show(text)} is not a JSON array of numbers such as {CALLED_EXAMPLE}.",
    )


def _empty_list(row: int) -> RowError:
    """The error for a called JSON array that holds no number (cold path)."""
    return RowError(
        row,
        "called",
        EMPTY,
        "called.required",
        f"called is an empty list; it must hold at least one number, e.g. {CALLED_EXAMPLE}.",
    )


def _called_json(
    text: str, row: int, errors: list[RowError], plus: bool = False
) -> tuple[CalledNumber, ...] | None:
    """The numbers of a JSON called cell; None (errors recorded) when any is refused."""
    data = _decode_called(text)
    if type(data) is list:
        items: list[Any] = data
    elif type(data) is dict:
        items = [data]
    else:
        errors.append(_not_a_list(text, row))
        return None
    if not items:
        errors.append(_empty_list(row))
        return None
    numbers: list[CalledNumber] = []
    failed = False
    for position, item in enumerate(items, 1):
        # Inline fast path (runs for every imported row): a clean calledNo/delayTime/type object.
        if type(item) is dict:
            number = item.get("calledNo")
            delay = item.get("delayTime", 0)
            kind = item.get("type")
            if (
                type(number) is str
                and len(number) <= CALLED_NO_MAX
                and ((number.isdigit() and number.isascii()) or _CALLED_NO_MATCH(number))
                and type(delay) is int
                and 0 <= delay <= DELAY_TIME_MAX
                and (
                    kind is None
                    or (type(kind) is str and kind and kind == kind.strip() and kind.isprintable())
                )
            ):
                numbers.append(CalledNumber(number, delay, kind))
                continue
        checked = _called_item(item, position, row, errors, plus)
        if checked is None:
            failed = True
        else:
            numbers.append(checked)
    return None if failed else tuple(numbers)


def decode_lenient_json(text: str) -> Any:
    """Strict JSON, or the documentation's single-quoted form; ValueError when it is neither.

    Numbers with a fraction or exponent come back as their literal text (``_JsonFloat``).
    """
    data = _decode_called(text.strip())
    if data is _INVALID:
        raise ValueError("not JSON")
    return data


def _decode_called(text: str) -> Any:
    try:
        data, end = _RAW_DECODE(text)
        if end == len(text):  # text is stripped: anything left over is garbage
            return data
    except (ValueError, RecursionError):
        pass
    if "'" not in text:
        return _INVALID
    try:
        return _DECODER.decode(_QUOTED.sub(_double_quoted, text))
    except (ValueError, RecursionError):
        return _INVALID


def _double_quoted(match: re.Match[str]) -> str:
    """A single-quoted string (the documentation's form) rewritten as a JSON string."""
    inner = match.group(1)
    if inner is None:
        return match.group(0)
    return '"' + _SINGLE_QUOTED_PART.sub(_escape_part, inner) + '"'


def _escape_part(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if escaped is None:  # a bare double quote inside single quotes
        return '\\"'
    return "'" if escaped == "'" else match.group(0)


def _called_item(
    item: Any, position: int, row: int, errors: list[RowError], plus: bool = False
) -> CalledNumber | None:
    where = f"called[{position}]"
    if type(item) is not dict:
        errors.append(
            RowError(
                row,
                where,
                WRONG_TYPE,
                "called.item",
                f"Element {position} of called ({show(json.dumps(item, ensure_ascii=False))}) "
                'is not an object such as {"calledNo":"13800001234"}.',
            )
        )
        return None
    called_no = _json_called_no(item.get("calledNo"), item, where, row, errors, plus)
    delay_time = _delay_time(item.get("delayTime"), where, row, errors)
    number_type, type_ok = _number_type(item.get("type"), where, row, errors)
    if called_no is None or delay_time is None or not type_ok:
        return None
    return CalledNumber(called_no, delay_time, number_type)


def _json_called_no(
    value: Any, item: dict[str, Any], where: str, row: int, errors: list[RowError], plus: bool
) -> str | None:
    column = f"{where}.calledNo"
    if value is None or (type(value) is str and not value.strip()):
        keys = ", ".join(item) or "none"
        errors.append(
            RowError(
                row,
                column,
                EMPTY,
                "called.calledNo.required",
                f"{where} has no calledNo (keys found: {show_plain(keys)}).",
            )
        )
        return None
    if type(value) is str:
        return _called_no(value.strip(), column, row, errors, plus)
    if type(value) is int:
        return _called_no(str(value), column, row, errors)
    if type(value) is _JsonFloat:
        digits = _integral_literal(value)
        if digits is None:
            errors.append(lost_digits(row, column, value))
            return None
        return _called_no(digits, column, row, errors)
    errors.append(
        RowError(
            row,
            column,
            WRONG_TYPE,
            "called.calledNo.type",
            f"calledNo {show(json.dumps(value, ensure_ascii=False))} is not a number or a text of digits.",
        )
    )
    return None


def _called_no(
    text: str, column: str, row: int, errors: list[RowError], plus: bool = False
) -> str | None:
    """Check a calledNo: at most 24 characters, only digits, * and # (and a leading + when
    ``plus``). Reports both problems."""
    if len(text) <= CALLED_NO_MAX and _CALLED_NO.fullmatch(text):
        return text
    if plus and text[:1] == "+" and len(text) <= CALLED_NO_MAX and _CALLED_NO.fullmatch(text[1:]):
        return text
    if LOST_DIGITS_TEXT.fullmatch(text):
        errors.append(lost_digits(row, column, text))
        return None
    bad = sorted(set(_NOT_CALLED_NO_CHAR.findall(text)))
    if bad:
        shown = " ".join(repr(char) for char in bad[:5])
        errors.append(
            RowError(
                row,
                column,
                INVALID_CHARS,
                "called.calledNo.chars",
                f"calledNo {show(text)} contains {shown}; only digits 0-9, * and # are allowed.",
            )
        )
    if len(text) > CALLED_NO_MAX:
        errors.append(
            too_long(row, column, "calledNo", text, CALLED_NO_MAX, "called.calledNo.length")
        )
    return None


def _delay_time(value: Any, where: str, row: int, errors: list[RowError]) -> int | None:
    column = f"{where}.delayTime"
    if value is None:
        return 0
    seconds: int | None = None
    if type(value) is int:
        seconds = value
    elif type(value) is str:
        text = value.strip()
        if not text:
            return 0
        if INTEGER_TEXT.fullmatch(text):
            if len(text.lstrip("+-").lstrip("0")) > _MAX_DIGITS:  # int() refuses thousands
                errors.append(_delay_out_of_range(row, column, show(text)))
                return None
            seconds = int(text)
    elif type(value) is _JsonFloat and (digits := _integral_literal(value)) is not None:
        if len(digits) > _MAX_DIGITS:
            errors.append(_delay_out_of_range(row, column, show(digits)))
            return None
        seconds = int(digits)
    if seconds is None:
        errors.append(
            RowError(
                row,
                column,
                WRONG_TYPE,
                "called.delayTime.type",
                f"delayTime {show(json_text(value))} is not a whole number of seconds.",
            )
        )
        return None
    if not 0 <= seconds <= DELAY_TIME_MAX:
        errors.append(_delay_out_of_range(row, column, str(seconds)))
        return None
    return seconds


def _delay_out_of_range(row: int, column: str, shown: str) -> RowError:
    return RowError(
        row,
        column,
        WRONG_VALUE,
        "called.delayTime.range",
        f"delayTime {shown} is out of range; it must be 0 to {DELAY_TIME_MAX} seconds.",
    )


def _number_type(
    value: Any, where: str, row: int, errors: list[RowError]
) -> tuple[str | None, bool]:
    if value is None:
        return None, True
    if type(value) is str:
        bad = find_control(value)  # a JSON escape such as \u0000 in the cell's text
        if bad is not None:
            errors.append(control_chars(row, f"{where}.type", value, bad))
            return None, False
        return (value.strip() or None), True
    if type(value) is int:
        return str(value), True
    if type(value) is _JsonFloat:
        return (_integral_literal(value) or str(value)), True
    errors.append(
        RowError(
            row,
            f"{where}.type",
            WRONG_TYPE,
            "called.type.type",
            f"type {show(json.dumps(value, ensure_ascii=False))} is not a text or a number.",
        )
    )
    return None, False


def _integral_literal(literal: str) -> str | None:
    """Digits of a JSON number literal such as ``30.0``; None for ``30.5`` or ``1.38E+10``."""
    if "e" in literal or "E" in literal:
        return None
    whole, _, fraction = literal.partition(".")
    if fraction.strip("0"):
        return None
    # A JSON number's whole part has no leading zeros: only "-0" differs from int()'s text,
    # and int() would refuse a literal of thousands of digits.
    return "0" if whole == "-0" else whole
