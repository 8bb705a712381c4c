"""The row model: what validation produces (records and row errors), the seed's limits and
Table 8 codes, and the message helpers the validators share."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openisales.domain.cells import Cell, cell_text
from openisales.domain.phone_numbers import PhoneInfo
from openisales.domain.text import describe, visible
from openisales.errors import ResultCode

# The seed Table 8 codes row errors carry, under the short names the validators use.
EMPTY = ResultCode.EMPTY
INVALID_CHARS = ResultCode.INVALID_CHARS
TOO_LONG = ResultCode.TOO_LONG
WRONG_TYPE = ResultCode.WRONG_TYPE
WRONG_VALUE = ResultCode.WRONG_VALUE
CONVERSION = ResultCode.CONVERSION
COMBINATION = ResultCode.COMBINATION

# Seed Tables 2 and 3; priority from the 2025-11 edition (task-group import: 1-5).
SESSION_ID_MAX = 32
CALLED_NO_MAX = 24
CALLER_MAX = 24
CUSTOM_FIELD_MAX = 200
CALL_DATA_MAX = 1024
DELAY_TIME_MAX = 7200
PRIORITY_MIN, PRIORITY_MAX = 1, 5

LOST_DIGITS_TEXT = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
"""Text such as 1.38E+10: how Excel shows a long number, whose last digits are gone."""
INTEGER_TEXT = re.compile(r"[+-]?\d+", re.ASCII)
SHOW_CHARS = 40
_MAX_INTEGER_CHARS = 100


# The two record types below are frozen dataclasses with a hand-written __init__: the generated
# one of a frozen dataclass sets every field through object.__setattr__, which costs about twice
# as much as writing the slots directly, and one or more of each is made for every row.


@dataclass(frozen=True, slots=True, init=False)
class CalledNumber:
    """One element of ``called``: the number, the delay before dialling it, its type.

    ``phone`` is what libphonenumber read in the number when the tenant has a default region
    (``domain.phone_numbers``); None without one. ``called_no`` stays as the customer wrote it.
    """

    called_no: str
    delay_time: int = 0
    type: str | None = None
    phone: PhoneInfo | None = field(default=None, repr=False)

    def __init__(
        self,
        called_no: str,
        delay_time: int = 0,
        type: str | None = None,
        phone: PhoneInfo | None = None,
    ) -> None:
        _set_called_no(self, called_no)
        _set_delay_time(self, delay_time)
        _set_type(self, type)
        _set_phone(self, phone)


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
_set_phone = _slot_setter(CalledNumber, "phone")
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
    code: ResultCode
    rule: str
    message: str


# --- messages -------------------------------------------------------------------------------


def show_plain(text: str) -> str:
    """Cell text fit for a message: refused characters shown as U+FFFD, cut at SHOW_CHARS."""
    # A message never carries a control character of the cell (PostgreSQL cannot store a NUL).
    text = visible(text)
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS] + "…"


def control_chars(row: int, column: str, text: str, index: int) -> RowError:
    """The cell holds a character no text field may hold (``domain.text``)."""
    return RowError(
        row,
        column,
        INVALID_CHARS,
        f"{column}.control_chars",
        f"{column} {describe(text, index)}; remove it from the cell.",
    )


def show(text: str) -> str:
    """Cell text fit for a message (see ``show_plain``), in double quotes."""
    return '"' + show_plain(text) + '"'


def json_text(value: Any) -> str:
    """A cell value as it reads in JSON (strings as they are), for messages."""
    if isinstance(value, str):  # also a JSON number literal kept as text
        return str(value)
    if isinstance(value, bool | int | float | list | dict):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


def too_long(
    row: int, column: str, name: str, text: str, limit: int, rule: str | None = None
) -> RowError:
    """The error for a text over its length limit, naming its length and the limit."""
    return RowError(
        row,
        column,
        TOO_LONG,
        rule or f"{column}.length",
        f"{name} {show(text)} has {len(text)} characters; the limit is {limit}.",
    )


def lost_digits(row: int, column: str, shown: str) -> RowError:
    """The error for a number cell that lost digits (or has a fraction) where digits were meant."""
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
        f"{column} {show(shown)} {problem}; format the column as Text and type the numbers again.",
    )


def wrong_cell(row: int, column: str, value: Cell, expected: str) -> RowError:
    """The error for a typed cell (date, number, TRUE/FALSE) where ``expected`` was needed."""
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
        f"{column} is {kind} ({show(cell_text(value))}); expected {expected}.",
    )


def parse_whole(
    value: Cell, row: int, column: str, errors: list[RowError], minimum: int, maximum: int
) -> int | None:
    """A whole number from ``minimum`` to ``maximum`` (number cell or digits); empty is None."""
    number: int | None = None
    if type(value) is int:
        number = value
    elif type(value) is float:
        number = int(value) if value.is_integer() else None
    elif type(value) is str:
        text = value.strip()
        if not text:
            return None
        # int() refuses thousands of digits; such a number is out of every range here anyway
        fits = len(text) <= _MAX_INTEGER_CHARS and INTEGER_TEXT.fullmatch(text)
        number = int(text) if fits else None
    elif value is None:
        return None
    if number is None:
        errors.append(
            RowError(
                row,
                column,
                WRONG_TYPE,
                f"{column}.type",
                f"{column} {show(json_text(value))} is not a whole number from {minimum} to "
                f"{maximum}.",
            )
        )
        return None
    if not minimum <= number <= maximum:
        errors.append(_out_of_range(row, column, number, minimum, maximum))
        return None
    return number


def _out_of_range(row: int, column: str, number: int, minimum: int, maximum: int) -> RowError:
    """The error for a whole number outside ``minimum``..``maximum``."""
    return RowError(
        row,
        column,
        WRONG_VALUE,
        f"{column}.range",
        f"{column} {number} is out of range; it must be {minimum} to {maximum}.",
    )
