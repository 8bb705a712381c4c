"""The blocklist template (cec_07_0748) and the validation of one blocklist entry. Pure.

Columns, by their Chinese or English header names (matched like the call-data template: any
case, surrounding spaces and a BOM ignored, so is a trailing ``(Optional)``/``(Mandatory)`` or
Chinese 可选/必填, a unit such as ``(小时)``/``(hours)``, and a ``*`` marking a mandatory column):

* 黑名单号码 / ``number`` / ``blocklistNo``: mandatory, at most 24 of ``0-9*#``.
* 到期时间 / ``expiryTime`` / ``validityExpirationTime``: ``yyyy-mm-dd hh:mm:ss`` text or a date
  cell, in the tenant's time zone; must lie in the future. It wins over the validity.
* 有效时长 / ``validityTime``: hours from now, 1 to 120.
* 限制次数 / ``restrictTimes`` (1 to 100) and 限制周期 / ``restrictPeriod`` (0 hourly, 1 daily):
  both or neither.

Neither expiry nor validity means the entry never expires. The same checks serve the JSON
interface (``services.blocklist``), which passes its own field names as the column labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from types import MappingProxyType

from openisales.domain.cells import Cell, cell_text, number_digits, round_to_second
from openisales.domain.records import (
    COMBINATION,
    EMPTY,
    INVALID_CHARS,
    LOST_DIGITS_TEXT,
    WRONG_TYPE,
    WRONG_VALUE,
    RowError,
    json_text,
    lost_digits,
    parse_whole,
    show,
    too_long,
    wrong_cell,
)
from openisales.domain.template import TemplateError, locate_columns

NUMBER_MAX = 24
VALIDITY_MIN, VALIDITY_MAX = 1, 120
RESTRICT_TIMES_MIN, RESTRICT_TIMES_MAX = 1, 100
RESTRICT_PERIODS = {"0": "hourly", "1": "daily"}

FIELDS: tuple[str, ...] = (
    "number",
    "expiryTime",
    "validityTime",
    "restrictTimes",
    "restrictPeriod",
)
_HEADER_NAMES = {
    "黑名单号码": "number",
    "number": "number",
    "blocklistno": "number",
    "blacklistno": "number",
    "到期时间": "expiryTime",
    "expirytime": "expiryTime",
    "validityexpirationtime": "expiryTime",
    "有效时长": "validityTime",
    "validitytime": "validityTime",
    "限制次数": "restrictTimes",
    "restricttimes": "restrictTimes",
    "限制周期": "restrictPeriod",
    "restrictperiod": "restrictPeriod",
}
_SUFFIX = re.compile(
    r"\s*[(（]\s*(?:optional|mandatory|可选|选填|必填|必选|hours?|小时|h)\s*[)）]$",
    re.IGNORECASE,
)
_TRIM = " \t\r\n\ufeff\u200b\u3000*"
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.ASCII)
_NUMBER = re.compile(r"[0-9*#]+")
_SHOWN_COLUMNS = 12


@dataclass(frozen=True)
class BlocklistColumns:
    """Where each template field sits in a row (0-based indexes), and the header as text."""

    indexes: Mapping[str, int]
    header: tuple[str, ...]
    number: int = field(init=False, repr=False, compare=False)
    expiry: int | None = field(init=False, repr=False, compare=False)
    validity: int | None = field(init=False, repr=False, compare=False)
    restrict_times: int | None = field(init=False, repr=False, compare=False)
    restrict_period: int | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        indexes = MappingProxyType(dict(self.indexes))
        if "number" not in indexes:
            raise TemplateError('The column map has no "number" column.')
        set_ = object.__setattr__
        set_(self, "indexes", indexes)
        set_(self, "number", indexes["number"])
        set_(self, "expiry", indexes.get("expiryTime"))
        set_(self, "validity", indexes.get("validityTime"))
        set_(self, "restrict_times", indexes.get("restrictTimes"))
        set_(self, "restrict_period", indexes.get("restrictPeriod"))


@dataclass(frozen=True, slots=True)
class BlocklistRecord:
    """A valid entry: the number, when it stops blocking (None: never), its call restriction."""

    number: str
    expires_at: datetime | None
    restrict_times: int | None
    restrict_period: str | None


def field_for_header(cell: Cell) -> str | None:
    """The template field a header cell names, or None for a column the template does not know."""
    text = cell_text(cell).strip(_TRIM)
    for _ in range(3):  # "有效时长(小时)(可选)": a unit and a marker
        shorter = _SUFFIX.sub("", text).strip(_TRIM)
        if shorter == text:
            break
        text = shorter
    return _HEADER_NAMES.get(text.lower())


def map_blocklist_header(header: Sequence[Cell]) -> BlocklistColumns:
    """Map a header row to template fields; raise ``TemplateError`` if it cannot be used."""
    indexes, texts = locate_columns(header, field_for_header)
    if "number" not in indexes:
        raise TemplateError(_no_number_message(texts))
    return BlocklistColumns(indexes, texts)


def _no_number_message(texts: tuple[str, ...]) -> str:
    names = [f'"{text.strip()}"' for text in texts if text.strip()]
    expected = "黑名单号码 (number), 到期时间, 有效时长, 限制次数, 限制周期"
    if not names:
        return f"The header row is empty; the first row must name the columns: {expected}."
    shown = ", ".join(names[:_SHOWN_COLUMNS])
    if len(names) > _SHOWN_COLUMNS:
        shown += f" and {len(names) - _SHOWN_COLUMNS} more"
    return (
        "The header row has no 黑名单号码 (number) column, the mandatory blocklisted numbers. "
        f"Columns found: {shown}. Expected the template's columns: {expected}."
    )


def validate_blocklist_row(
    cells: Sequence[Cell], columns: BlocklistColumns, row: int, *, now: datetime, zone: tzinfo
) -> BlocklistRecord | list[RowError]:
    """Validate one data row; ``now`` is an aware instant, ``zone`` the tenant's time zone."""
    errors: list[RowError] = []

    def cell(index: int | None) -> Cell:
        return cells[index] if index is not None and index < len(cells) else None

    number = parse_number(cell(columns.number), row, "number", errors)
    expires_at = parse_expiry(cell(columns.expiry), row, "expiryTime", errors, now=now, zone=zone)
    validity = parse_whole(
        cell(columns.validity), row, "validityTime", errors, VALIDITY_MIN, VALIDITY_MAX
    )
    times = parse_whole(
        cell(columns.restrict_times),
        row,
        "restrictTimes",
        errors,
        RESTRICT_TIMES_MIN,
        RESTRICT_TIMES_MAX,
    )
    period = parse_period(cell(columns.restrict_period), row, "restrictPeriod", errors)
    if not errors:
        check_restriction(times, period, row, errors, ("restrictTimes", "restrictPeriod"))
    if errors or number is None:
        return errors
    return BlocklistRecord(number, expiry_instant(expires_at, validity, now), times, period)


def expiry_instant(
    expires_at: datetime | None, validity_hours: int | None, now: datetime
) -> datetime | None:
    """The expiry wins over the validity; neither means the entry never expires."""
    if expires_at is not None:
        return expires_at
    if validity_hours is not None:
        return now + timedelta(hours=validity_hours)
    return None


# --- single values --------------------------------------------------------------------------


def parse_number(value: Cell, row: int, column: str, errors: list[RowError]) -> str | None:
    """A blocklisted number: text or a number cell of at most 24 of ``0-9*#``."""
    if type(value) is str:
        text = value.strip()
    elif type(value) is int:
        text = str(value)
    elif type(value) is float:
        digits = number_digits(value)
        if digits is None:
            errors.append(lost_digits(row, column, format(value, ".15g")))
            return None
        text = digits
    elif value is None:
        text = ""
    else:
        errors.append(wrong_cell(row, column, value, "digits, * and # as text"))
        return None
    if not text:
        errors.append(RowError(row, column, EMPTY, "number.empty", f"{column} is empty."))
        return None
    if ("E" in text or "e" in text) and LOST_DIGITS_TEXT.fullmatch(text):
        errors.append(lost_digits(row, column, text))
        return None
    if len(text) > NUMBER_MAX:
        errors.append(too_long(row, column, column, text, NUMBER_MAX, "number.length"))
        return None
    if not _NUMBER.fullmatch(text):
        errors.append(
            RowError(
                row,
                column,
                INVALID_CHARS,
                "number.chars",
                f"{column} {show(text)} may contain only digits, * and #.",
            )
        )
        return None
    return text


def parse_expiry(
    value: Cell,
    row: int,
    column: str,
    errors: list[RowError],
    *,
    now: datetime,
    zone: tzinfo,
) -> datetime | None:
    """A local ``yyyy-mm-dd hh:mm:ss`` (text or date cell) in ``zone``, as an aware UTC instant."""
    if type(value) is str:
        local = _timestamp_text(value, row, column, errors)
    elif type(value) is datetime:
        local = round_to_second(value.replace(tzinfo=None))
    elif type(value) is date:
        local = datetime(value.year, value.month, value.day)
    elif value is None:
        return None
    else:
        errors.append(
            wrong_cell(row, column, value, "a date cell or text such as 2024-06-01 18:00:00")
        )
        return None
    if local is None:
        return None
    instant = local.replace(tzinfo=zone).astimezone(UTC)
    if instant <= now:
        errors.append(
            RowError(
                row,
                column,
                WRONG_VALUE,
                "expiryTime.past",
                f"{column} {show(local.isoformat(' '))} has already passed; an expiry must lie "
                "in the future.",
            )
        )
        return None
    return instant


def _timestamp_text(value: str, row: int, column: str, errors: list[RowError]) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    if _TIMESTAMP.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            errors.append(
                RowError(
                    row,
                    column,
                    WRONG_VALUE,
                    "expiryTime.value",
                    f"{column} {show(text)} is not a real date and time.",
                )
            )
            return None
    errors.append(
        RowError(
            row,
            column,
            WRONG_TYPE,
            "expiryTime.format",
            f"{column} {show(text)} is not in the format yyyy-mm-dd hh:mm:ss "
            "(for example 2024-06-01 18:00:00).",
        )
    )
    return None


def parse_period(value: Cell, row: int, column: str, errors: list[RowError]) -> str | None:
    """``restrictPeriod``: "0" (hourly) or "1" (daily), as text or a number cell; empty is None."""
    text = cell_text(value).strip() if type(value) in (str, int, float) else None
    if value is None or text == "":
        return None
    if text in RESTRICT_PERIODS:
        return text
    errors.append(
        RowError(
            row,
            column,
            WRONG_VALUE,
            "restrictPeriod.value",
            f"{column} {show(json_text(value))} must be 0 (hourly) or 1 (daily).",
        )
    )
    return None


def check_restriction(
    times: int | None,
    period: str | None,
    row: int,
    errors: list[RowError],
    labels: tuple[str, str],
) -> None:
    """``restrictTimes`` and ``restrictPeriod`` come together or not at all."""
    if (times is None) == (period is None):
        return
    given, missing = labels if period is None else labels[::-1]
    errors.append(
        RowError(
            row,
            missing,
            COMBINATION,
            "restrict.combination",
            f"{given} is set but {missing} is not; give both (a number of calls per period) "
            "or neither.",
        )
    )
