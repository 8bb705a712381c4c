"""Cell values as the readers deliver them, and how each one reads as text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

Cell = str | int | float | bool | datetime | date | time | timedelta | None
"""One spreadsheet cell: what python-calamine or the csv module hands over (empty is None)."""

# Excel keeps 15 significant digits. An integral number cell at or beyond 10**15 may already
# have lost its last digits, so it is never turned into digits.
_EXACT_BELOW = 1e15


def number_digits(value: float) -> str | None:
    """Digits of an integral number cell (13800001234.0 -> "13800001234"), or None.

    None means the number has a fraction or is too large for Excel to have kept every digit.
    """
    if value.is_integer() and -_EXACT_BELOW < value < _EXACT_BELOW:
        return str(int(value))
    return None


def round_to_second(value: datetime) -> datetime:
    """A date cell's datetime without the sub-second noise of Excel's floating-point serials."""
    if value.microsecond == 0:
        return value
    whole = value.replace(microsecond=0)
    return whole + timedelta(seconds=1) if value.microsecond >= 500_000 else whole


def cell_text(cell: Cell) -> str:
    """The text a person sees in the cell: numbers without ``.0``, dates as yyyy-mm-dd hh:mm:ss."""
    if type(cell) is str:
        return cell
    if cell is None:
        return ""
    if type(cell) is bool:
        return "TRUE" if cell else "FALSE"
    if type(cell) is int:
        return str(cell)
    if type(cell) is float:
        digits = number_digits(cell)
        return digits if digits is not None else format(cell, ".15g")
    return _temporal_text(cell)


def _temporal_text(cell: Cell) -> str:
    if isinstance(cell, datetime):
        return round_to_second(cell).isoformat(" ", "seconds")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, time):
        return cell.replace(microsecond=0).isoformat("seconds")
    if isinstance(cell, timedelta):
        seconds = round(cell.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return str(cell)


def cells_as_text(cells: Sequence[Cell]) -> list[str]:
    """Every cell of a row as text (see ``cell_text``)."""
    return [cell_text(cell) for cell in cells]


def column_letter(index: int) -> str:
    """Excel's name for a 0-based column index: 0 -> "A", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
