"""Validation of one outbound call data row against seed Tables 2 and 3.

``validate_row`` turns a row of raw cells into a ``CallRecord`` or reports every problem of the
row as ``RowError``s. Each error carries the seed's Table 8 code, a stable dotted ``rule`` that
tests and reports can rely on, and a sentence naming the value and the limit.

Lenient where the meaning is certain (ARCHITECTURE.md, "Lenient reading"):

* ``called`` is a JSON array of ``{"calledNo", "delayTime", "type"}`` objects; also accepted are
  the documentation's single-quoted form ``[{'calledNo':1234566}]`` (converted token by token,
  never evaluated), a single object without the array, numeric ``calledNo``/``delayTime``/``type``,
  and a bare number (a number cell or text of digits, ``*`` and ``#``).
* Number cells keep every digit (13800001234.0 -> "13800001234"); a number that may have lost
  digits (a fraction in a phone number, 10**15 or more, text such as ``1.38E+10``) is an error.
* ``recycleTime`` is text in exactly ``yyyy-mm-dd hh:mm:ss`` or a real date cell (a date-only
  cell means midnight); a plain number is not read as an Excel date serial.

A cell of the wrong kind for its field (a date cell in ``caller``, a number in ``recycleTime``)
is the rule ``<field>.cell_type``.

This runs for each of up to 500,000 rows of a file, so the common case takes short paths: no
``strptime``, no regex where a string method will do, no object beyond the record itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openisales.domain.cells import (
    Cell,
    cell_text,
    cells_as_text,
    number_digits,
    round_to_second,
)
from openisales.domain.template import ColumnMap

# Seed Table 8.
EMPTY = "02000001"
INVALID_CHARS = "02000002"
TOO_LONG = "02000003"
WRONG_TYPE = "02000006"
WRONG_VALUE = "02000007"
CONVERSION = "02000008"

SESSION_ID_MAX = 32
CALLED_NO_MAX = 24
CALLER_MAX = 24
CUSTOM_FIELD_MAX = 200
CALL_DATA_MAX = 1024
DELAY_TIME_MAX = 7200
PRIORITY_MIN, PRIORITY_MAX = 1, 5

_CALLED_NO = re.compile(r"[0-9*#]+")
_NOT_CALLED_NO_CHAR = re.compile(r"[^0-9*#]")
_LOST_DIGITS_TEXT = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.ASCII)
_INTEGER_TEXT = re.compile(r"[+-]?\d+", re.ASCII)
_QUOTED = re.compile(r"""'((?:[^'\\]|\\.)*)'|"(?:[^"\\]|\\.)*\"""", re.DOTALL)
_SINGLE_QUOTED_PART = re.compile(r"""\\(.)|\"""", re.DOTALL)
_CALLED_EXAMPLE = '[{"calledNo":"13800001234"}]'
_SHOW_CHARS = 40


# The two record types below are frozen dataclasses with a hand-written __init__: the generated
# one of a frozen dataclass sets every field through object.__setattr__, which costs about twice
# as much as writing the slots directly, and one or more of each is made for every row.


@dataclass(frozen=True, slots=True, init=False)
class CalledNumber:
    """One element of ``called``: the number, the delay before dialling it, its type."""

    called_no: str
    delay_time: int = 0
    type: str | None = None

    def __init__(self, called_no: str, delay_time: int = 0, type: str | None = None) -> None:
        _set_called_no(self, called_no)
        _set_delay_time(self, delay_time)
        _set_type(self, type)


@dataclass(frozen=True, slots=True, init=False)
class CallRecord:
    """A valid row: one customer with one or more numbers to call."""

    session_id: str
    called: tuple[CalledNumber, ...]
    caller: str | None
    custom_field: str | None
    recycle_time: datetime | None
    call_data: str | None
    priority: int | None

    def __init__(
        self,
        session_id: str,
        called: tuple[CalledNumber, ...],
        caller: str | None,
        custom_field: str | None,
        recycle_time: datetime | None,
        call_data: str | None,
        priority: int | None,
    ) -> None:
        _set_session_id(self, session_id)
        _set_called(self, called)
        _set_caller(self, caller)
        _set_custom_field(self, custom_field)
        _set_recycle_time(self, recycle_time)
        _set_call_data(self, call_data)
        _set_priority(self, priority)


def _slot_setter(cls: type, name: str) -> Any:
    return cls.__dict__[name].__set__


_set_called_no = _slot_setter(CalledNumber, "called_no")
_set_delay_time = _slot_setter(CalledNumber, "delay_time")
_set_type = _slot_setter(CalledNumber, "type")
_set_session_id = _slot_setter(CallRecord, "session_id")
_set_called = _slot_setter(CallRecord, "called")
_set_caller = _slot_setter(CallRecord, "caller")
_set_custom_field = _slot_setter(CallRecord, "custom_field")
_set_recycle_time = _slot_setter(CallRecord, "recycle_time")
_set_call_data = _slot_setter(CallRecord, "call_data")
_set_priority = _slot_setter(CallRecord, "priority")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row: where (row, column), the Table 8 code, a stable rule, a sentence."""

    row: int
    column: str
    code: str
    rule: str
    message: str


class _JsonFloat(str):
    """A JSON number with a fraction or exponent, kept as its literal so no digit is lost."""

    __slots__ = ()


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


_DECODER = json.JSONDecoder(parse_float=_JsonFloat, parse_constant=_no_constants)
_RAW_DECODE = _DECODER.raw_decode
_CALLED_NO_MATCH = _CALLED_NO.fullmatch
_INVALID = object()


def is_blank(cells: Sequence[Cell]) -> bool:
    """True when every cell is empty or only whitespace."""
    for cell in cells:
        if cell is not None and (type(cell) is not str or (cell and not cell.isspace())):
            return False
    return True


def original_cells_as_text(cells: Sequence[Cell]) -> list[str]:
    """The row as a person saw it, for the failure report (numbers without ``.0``, dates as text)."""
    return cells_as_text(cells)


def validate_row(
    cells: Sequence[Cell],
    columns: ColumnMap,
    row: int,
    *,
    call_data_must_be_json: bool,
) -> CallRecord | list[RowError]:
    """Validate one data row; ``row`` is the sheet row number used in the errors."""
    errors: list[RowError] = []
    n = len(cells)
    called = _called(cells[columns.called] if columns.called < n else None, row, errors)
    # Indexes are read inline rather than through a helper call: this runs for every row.
    i = columns.session_id
    session_id = (
        None if i is None or i >= n else _text(cells[i], "sessionId", SESSION_ID_MAX, row, errors)
    )
    i = columns.caller
    caller = (
        None if i is None or i >= n else _text(cells[i], "caller", CALLER_MAX, row, errors, True)
    )
    i = columns.custom_field
    custom_field = (
        None
        if i is None or i >= n
        else _text(cells[i], "customField", CUSTOM_FIELD_MAX, row, errors)
    )
    i = columns.call_data
    call_data = (
        None if i is None or i >= n else _text(cells[i], "callData", CALL_DATA_MAX, row, errors)
    )
    if call_data is not None and call_data_must_be_json:
        _check_json_object(call_data, row, errors)
    i = columns.recycle_time
    recycle_time = None if i is None or i >= n else _recycle_time(cells[i], row, errors)
    i = columns.priority
    priority = None if i is None or i >= n else _priority(cells[i], row, errors)
    if errors or called is None:
        return errors
    return CallRecord(
        session_id or "", called, caller, custom_field, recycle_time, call_data, priority
    )


# --- plain text fields ----------------------------------------------------------------------


def _text(
    value: Cell, column: str, limit: int, row: int, errors: list[RowError], phone: bool = False
) -> str | None:
    if type(value) is str:
        text = value.strip()
    elif value is None:
        return None
    else:
        converted = _cell_as_text(value, column, row, errors, phone)
        if converted is None:
            return None
        text = converted
    if not text:
        return None
    if len(text) > limit:
        errors.append(_too_long(row, column, column, text, limit))
        return None
    if phone and ("E" in text or "e" in text) and _LOST_DIGITS_TEXT.fullmatch(text):
        errors.append(_lost_digits(row, column, text))
        return None
    return text


def _cell_as_text(
    value: Cell, column: str, row: int, errors: list[RowError], phone: bool
) -> str | None:
    """A non-text cell of a text field, as text; None (with an error) when that is unsafe."""
    if type(value) is float:
        digits = number_digits(value)
        if digits is not None:
            return digits
        if phone or not -1e15 < value < 1e15:
            errors.append(_lost_digits(row, column, format(value, ".15g")))
            return None
        return format(value, ".15g")
    if type(value) is int:
        return str(value)
    if phone:
        errors.append(_wrong_cell(row, column, value, "a number stored as text"))
        return None
    return cell_text(value)


# --- called ---------------------------------------------------------------------------------


def _called(value: Cell, row: int, errors: list[RowError]) -> tuple[CalledNumber, ...] | None:
    if type(value) is str:
        text = value.strip()
        if text[:1] in ("[", "{"):
            return _called_json(text, row, errors)
        if text:
            number = _called_no(text, "called", row, errors)
            return None if number is None else (CalledNumber(number),)
    elif type(value) is float:
        digits = number_digits(value)
        if digits is None:
            errors.append(_lost_digits(row, "called", format(value, ".15g")))
            return None
        number = _called_no(digits, "called", row, errors)
        return None if number is None else (CalledNumber(number),)
    elif type(value) is int:
        number = _called_no(str(value), "called", row, errors)
        return None if number is None else (CalledNumber(number),)
    elif value is not None:
        errors.append(_wrong_cell(row, "called", value, f"a JSON array such as {_CALLED_EXAMPLE}"))
        return None
    errors.append(
        RowError(
            row,
            "called",
            EMPTY,
            "called.required",
            f"called is empty; it must list at least one number, e.g. {_CALLED_EXAMPLE}.",
        )
    )
    return None


def _called_json(text: str, row: int, errors: list[RowError]) -> tuple[CalledNumber, ...] | None:
    data = _decode_called(text)
    if type(data) is list:
        items: list[Any] = data
    elif type(data) is dict:
        items = [data]
    else:
        errors.append(
            RowError(
                row,
                "called",
                WRONG_TYPE,
                "called.json",
                f"called {_show(text)} is not a JSON array of numbers such as {_CALLED_EXAMPLE}.",
            )
        )
        return None
    if not items:
        errors.append(
            RowError(
                row,
                "called",
                EMPTY,
                "called.required",
                f"called is an empty list; it must hold at least one number, e.g. {_CALLED_EXAMPLE}.",
            )
        )
        return None
    numbers: list[CalledNumber] = []
    failed = False
    for position, item in enumerate(items, 1):
        # Fast path: a clean {"calledNo": "digits", "delayTime": int, "type": "text"} object.
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
                and (kind is None or (type(kind) is str and kind and kind == kind.strip()))
            ):
                numbers.append(CalledNumber(number, delay, kind))
                continue
        checked = _called_item(item, position, row, errors)
        if checked is None:
            failed = True
        else:
            numbers.append(checked)
    return None if failed else tuple(numbers)


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


def _called_item(item: Any, position: int, row: int, errors: list[RowError]) -> CalledNumber | None:
    where = f"called[{position}]"
    if type(item) is not dict:
        errors.append(
            RowError(
                row,
                where,
                WRONG_TYPE,
                "called.item",
                f"Element {position} of called ({_show(json.dumps(item, ensure_ascii=False))}) "
                'is not an object such as {"calledNo":"13800001234"}.',
            )
        )
        return None
    called_no = _json_called_no(item.get("calledNo"), item, where, row, errors)
    delay_time = _delay_time(item.get("delayTime"), where, row, errors)
    number_type, type_ok = _number_type(item.get("type"), where, row, errors)
    if called_no is None or delay_time is None or not type_ok:
        return None
    return CalledNumber(called_no, delay_time, number_type)


def _json_called_no(
    value: Any, item: dict[str, Any], where: str, row: int, errors: list[RowError]
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
                f"{where} has no calledNo (keys found: {_show_plain(keys)}).",
            )
        )
        return None
    if type(value) is str:
        return _called_no(value.strip(), column, row, errors)
    if type(value) is int:
        return _called_no(str(value), column, row, errors)
    if type(value) is _JsonFloat:
        digits = _integral_literal(value)
        if digits is None:
            errors.append(_lost_digits(row, column, value))
            return None
        return _called_no(digits, column, row, errors)
    errors.append(
        RowError(
            row,
            column,
            WRONG_TYPE,
            "called.calledNo.type",
            f"calledNo {_show(json.dumps(value, ensure_ascii=False))} is not a number or a text of digits.",
        )
    )
    return None


def _called_no(text: str, column: str, row: int, errors: list[RowError]) -> str | None:
    """Check a calledNo: at most 24 characters, only digits, * and #. Reports both problems."""
    if len(text) <= CALLED_NO_MAX and _CALLED_NO.fullmatch(text):
        return text
    if _LOST_DIGITS_TEXT.fullmatch(text):
        errors.append(_lost_digits(row, column, text))
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
                f"calledNo {_show(text)} contains {shown}; only digits 0-9, * and # are allowed.",
            )
        )
    if len(text) > CALLED_NO_MAX:
        errors.append(
            _too_long(row, column, "calledNo", text, CALLED_NO_MAX, "called.calledNo.length")
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
        if _INTEGER_TEXT.fullmatch(text):
            seconds = int(text)
    elif type(value) is _JsonFloat and (digits := _integral_literal(value)) is not None:
        seconds = int(digits)
    if seconds is None:
        errors.append(
            RowError(
                row,
                column,
                WRONG_TYPE,
                "called.delayTime.type",
                f"delayTime {_show(_json_text(value))} is not a whole number of seconds.",
            )
        )
        return None
    if not 0 <= seconds <= DELAY_TIME_MAX:
        errors.append(
            RowError(
                row,
                column,
                WRONG_VALUE,
                "called.delayTime.range",
                f"delayTime {seconds} is out of range; it must be 0 to {DELAY_TIME_MAX} seconds.",
            )
        )
        return None
    return seconds


def _number_type(
    value: Any, where: str, row: int, errors: list[RowError]
) -> tuple[str | None, bool]:
    if value is None:
        return None, True
    if type(value) is str:
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
            f"type {_show(json.dumps(value, ensure_ascii=False))} is not a text or a number.",
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
    return str(int(whole))


# --- callData, recycleTime, priority --------------------------------------------------------


def _check_json_object(text: str, row: int, errors: list[RowError]) -> None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if type(value) is not dict:
        errors.append(
            RowError(
                row,
                "callData",
                WRONG_TYPE,
                "callData.json",
                f"callData {_show(text)} is not a JSON object; this campaign needs JSON such as "
                '{"name":"value"}.',
            )
        )


def _recycle_time(value: Cell, row: int, errors: list[RowError]) -> datetime | None:
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if len(text) == 19 and _TIMESTAMP.fullmatch(text):
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                errors.append(
                    RowError(
                        row,
                        "recycleTime",
                        WRONG_VALUE,
                        "recycleTime.value",
                        f"recycleTime {_show(text)} is not a real date and time.",
                    )
                )
                return None
        errors.append(
            RowError(
                row,
                "recycleTime",
                WRONG_TYPE,
                "recycleTime.format",
                f"recycleTime {_show(text)} is not in the format yyyy-mm-dd hh:mm:ss "
                "(for example 2024-06-01 18:00:00).",
            )
        )
        return None
    if type(value) is datetime:
        return round_to_second(value.replace(tzinfo=None))
    if type(value) is date:
        return datetime(value.year, value.month, value.day)
    if value is None:
        return None
    errors.append(
        _wrong_cell(
            row, "recycleTime", value, "a date cell or text in the format yyyy-mm-dd hh:mm:ss"
        )
    )
    return None


def _priority(value: Cell, row: int, errors: list[RowError]) -> int | None:
    number: int | None = None
    if type(value) is int:
        number = value
    elif type(value) is float:
        number = int(value) if value.is_integer() else None
    elif type(value) is str:
        text = value.strip()
        if not text:
            return None
        number = int(text) if _INTEGER_TEXT.fullmatch(text) else None
    elif value is None:
        return None
    if number is None:
        errors.append(
            RowError(
                row,
                "priority",
                WRONG_TYPE,
                "priority.type",
                f"priority {_show(_json_text(value))} is not a whole number from "
                f"{PRIORITY_MIN} to {PRIORITY_MAX}.",
            )
        )
        return None
    if not PRIORITY_MIN <= number <= PRIORITY_MAX:
        errors.append(
            RowError(
                row,
                "priority",
                WRONG_VALUE,
                "priority.range",
                f"priority {number} is out of range; it must be {PRIORITY_MIN} to {PRIORITY_MAX}.",
            )
        )
        return None
    return number


# --- messages -------------------------------------------------------------------------------


def _show_plain(text: str) -> str:
    return text if len(text) <= _SHOW_CHARS else text[:_SHOW_CHARS] + "…"


def _show(text: str) -> str:
    return '"' + _show_plain(text) + '"'


def _json_text(value: Any) -> str:
    if type(value) is str or type(value) is _JsonFloat:
        return str(value)
    if isinstance(value, bool | int | float | list | dict):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


def _too_long(
    row: int, column: str, name: str, text: str, limit: int, rule: str | None = None
) -> RowError:
    return RowError(
        row,
        column,
        TOO_LONG,
        rule or f"{column}.length",
        f"{name} {_show(text)} has {len(text)} characters; the limit is {limit}.",
    )


def _lost_digits(row: int, column: str, shown: str) -> RowError:
    if "." in shown and "e" not in shown.lower():
        problem = "is a number with a fraction, not a number that kept its digits"
    else:
        problem = (
            "is a number that has lost digits (Excel keeps 15 significant digits and shows "
            "long numbers as 1.38E+10)"
        )
    return RowError(
        row,
        column,
        CONVERSION,
        "number.lost_digits",
        f"{column} {_show(shown)} {problem}; format the column as Text and type the numbers again.",
    )


def _wrong_cell(row: int, column: str, value: Cell, expected: str) -> RowError:
    kind = {
        bool: "a TRUE/FALSE cell",
        datetime: "a date cell",
        date: "a date cell",
        float: "a number cell",
        int: "a number cell",
    }.get(type(value), "a time cell")
    return RowError(
        row,
        column,
        WRONG_TYPE,
        f"{column}.cell_type",
        f"{column} is {kind} ({_show(cell_text(value))}); expected {expected}.",
    )
