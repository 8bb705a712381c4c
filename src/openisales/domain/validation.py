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
from datetime import date, datetime

from openisales.domain.called import parse_called
from openisales.domain.cells import Cell, cell_text, cells_as_text, number_digits, round_to_second
from openisales.domain.records import (
    CALL_DATA_MAX,
    CALLER_MAX,
    CUSTOM_FIELD_MAX,
    LOST_DIGITS_TEXT,
    PRIORITY_MAX,
    PRIORITY_MIN,
    SESSION_ID_MAX,
    WRONG_TYPE,
    WRONG_VALUE,
    CalledNumber,
    CallRecord,
    RowError,
    control_chars,
    lost_digits,
    parse_whole,
    show,
    too_long,
    wrong_cell,
)
from openisales.domain.template import ColumnMap
from openisales.domain.text import find_control, visible

__all__ = [
    "CallRecord",
    "CalledNumber",
    "RowError",
    "is_blank",
    "original_cells_as_text",
    "validate_row",
]

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.ASCII)


def is_blank(cells: Sequence[Cell]) -> bool:
    """True when every cell is empty or only whitespace."""
    for cell in cells:
        if cell is not None and (type(cell) is not str or (cell and not cell.isspace())):
            return False
    return True


def original_cells_as_text(cells: Sequence[Cell]) -> list[str]:
    """The row as a person saw it, for the failure report (numbers without ``.0``, dates as text);
    a control character shows as U+FFFD."""
    return [visible(text) for text in cells_as_text(cells)]


def validate_row(
    cells: Sequence[Cell],
    columns: ColumnMap,
    row: int,
    *,
    call_data_must_be_json: bool,
    default_region: str | None = None,
) -> CallRecord | list[RowError]:
    """Validate one data row; ``row`` is the sheet row number used in the errors.

    ``default_region``: the tenant's, when it has one: the numbers are read with libphonenumber.
    """
    errors: list[RowError] = []
    n = len(cells)
    called = parse_called(
        cells[columns.called] if columns.called < n else None, row, errors, default_region
    )
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
    call_data = None if i is None or i >= n else _call_data(cells[i], row, errors)
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
    value: Cell,
    column: str,
    limit: int,
    row: int,
    errors: list[RowError],
    phone: bool = False,
    *,
    free_text: bool = False,
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
    # isprintable() first, inline: this runs for ~4 cells of every row, and most are printable.
    bad = None if text.isprintable() else find_control(text, line_breaks=free_text)
    if bad is not None:
        errors.append(control_chars(row, column, text, bad))
        return None
    if len(text) > limit:
        errors.append(too_long(row, column, column, text, limit))
        return None
    if phone and ("E" in text or "e" in text) and LOST_DIGITS_TEXT.fullmatch(text):
        errors.append(lost_digits(row, column, text))
        return None
    return text


def _call_data(value: Cell, row: int, errors: list[RowError]) -> str | None:
    return _text(value, "callData", CALL_DATA_MAX, row, errors, free_text=True)


def _cell_as_text(
    value: Cell, column: str, row: int, errors: list[RowError], phone: bool
) -> str | None:
    """A non-text cell of a text field, as text; None (with an error) when that is unsafe."""
    if type(value) is float:
        digits = number_digits(value)
        if digits is not None:
            return digits
        if phone or not -1e15 < value < 1e15:
            errors.append(lost_digits(row, column, format(value, ".15g")))
            return None
        return format(value, ".15g")
    if type(value) is int:
        return str(value)
    if phone:
        errors.append(wrong_cell(row, column, value, "a number stored as text"))
        return None
    return cell_text(value)


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
                f"callData {show(text)} is not a JSON object; this campaign needs JSON such as "
                '{"name":"value"}.',
            )
        )


def _recycle_time(value: Cell, row: int, errors: list[RowError]) -> datetime | None:
    if type(value) is str:
        return _recycle_time_text(value.strip(), row, errors)
    if type(value) is datetime:
        return round_to_second(value.replace(tzinfo=None))
    if type(value) is date:
        return datetime(value.year, value.month, value.day)
    if value is None:
        return None
    errors.append(
        wrong_cell(
            row, "recycleTime", value, "a date cell or text in the format yyyy-mm-dd hh:mm:ss"
        )
    )
    return None


def _recycle_time_text(text: str, row: int, errors: list[RowError]) -> datetime | None:
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
                    f"recycleTime {show(text)} is not a real date and time.",
                )
            )
            return None
    bad = find_control(text)
    if bad is not None:
        errors.append(control_chars(row, "recycleTime", text, bad))
        return None
    errors.append(
        RowError(
            row,
            "recycleTime",
            WRONG_TYPE,
            "recycleTime.format",
            f"recycleTime {show(text)} is not in the format yyyy-mm-dd hh:mm:ss "
            "(for example 2024-06-01 18:00:00).",
        )
    )
    return None


def _priority(value: Cell, row: int, errors: list[RowError]) -> int | None:
    if type(value) is str and (bad := find_control(value.strip())) is not None:
        errors.append(control_chars(row, "priority", value.strip(), bad))
        return None
    return parse_whole(value, row, "priority", errors, PRIORITY_MIN, PRIORITY_MAX)
