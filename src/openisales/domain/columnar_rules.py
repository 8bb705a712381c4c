"""The call-data template's rules as polars column expressions, for whole batches of rows.

``decide`` splits a ``CellBatch`` in two: the rows whose record the column rules can build with
certainty (``Decided.records``), and the positions of all other rows (``Decided.undecided``),
which the caller hands to the per-row validator (``domain.validation.validate_row``). That
validator defines what is correct; the rules here only recognise the common shapes of a valid
row and compute exactly the record it would give. They never reject a row: a row they cannot be
sure of is undecided, and its record or its errors come from the per-row validator. So a gap in
these rules costs speed, never correctness.

Recognised (everything else is undecided):

* ``called``: a JSON array of ``{"calledNo":"…","delayTime":N,"type":"…"}`` objects, or one such
  object alone, keys in that order, ``delayTime`` and ``type`` optional, spaces between tokens
  (as json.dumps writes them). ``calledNo`` is 1-24 of ``0-9 * #``; ``delayTime`` is a JSON
  integer or a string of ASCII digits (the documentation's example), 0-7200; ``type`` is text
  without quotes, backslashes, control characters or whitespace at its ends. No escape, no
  other key, no duplicate key can match, so the text means what it reads. Also a bare number:
  text of ``0-9 * #`` or an integral number cell from 0 to below 1e15.
* ``sessionId``, ``caller``, ``customField``, ``callData``: text, stripped as Python's
  ``str.strip`` strips (the exact set of characters ``str.isspace`` accepts, not the Unicode
  White_Space property Rust uses), without control characters, within the length limit counted
  in code points; an integral number cell below 1e15 as its digits. A caller holding an ``e`` or
  ``E`` is undecided (the validator's lost-digits rule looks at those).
* ``callData`` when the campaign needs JSON: a flat JSON object (string keys; string, number,
  ``true``, ``false`` or ``null`` values), which ``json.loads`` always reads as a dict.
* ``recycleTime``: text of exactly ``yyyy-mm-dd hh:mm:ss`` (ASCII digits) naming a real date and
  time (year 1 or later, the month's own last day, no leap second).
* ``priority``: text of an ASCII whole number from 1 to 5 (``+`` and a few leading zeros
  allowed), or a number cell 1.0-5.0.

With a tenant's default region every row is undecided: the validator reads each number with
libphonenumber, one number at a time, which no column expression reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from openisales.domain.records import (
    CALL_DATA_MAX,
    CALLED_NO_MAX,
    CALLER_MAX,
    CUSTOM_FIELD_MAX,
    SESSION_ID_MAX,
)
from openisales.domain.template import ColumnMap
from openisales.readers.cell_batch import ROW, CellBatch, number_column, text_column

__all__ = ["PYTHON_WHITESPACE", "RECORD_COLUMNS", "Decided", "decide", "records_schema"]

PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character for which ``str.isspace()`` is true (what ``str.strip()`` removes); a test
checks it against Python's own table. Rust's ``char::is_whitespace`` lacks U+001C-U+001F."""

RECORD_COLUMNS: tuple[str, ...] = (
    "row_number",
    "session_id",
    "called_key",
    "called",
    "caller",
    "custom_field",
    "recycle_time",
    "call_data",
    "priority",
    "numbers",
)

_EXACT_BELOW = 1e15  # as cells.number_digits: beyond it a number cell may have lost digits
_POSITION = "_position"
_OK = "_ok"


def records_schema() -> dict[str, pl.DataType]:
    """The columns of ``Decided.records`` and their types (those of ``frame_schema``)."""
    return {
        "row_number": pl.Int64(),
        "session_id": pl.Utf8(),
        "called_key": pl.Utf8(),
        "called": pl.Utf8(),
        "caller": pl.Utf8(),
        "custom_field": pl.Utf8(),
        "recycle_time": pl.Datetime("us"),
        "call_data": pl.Utf8(),
        "priority": pl.Int64(),
        "numbers": pl.List(pl.Utf8()),
    }


@dataclass(frozen=True)
class Decided:
    """The outcome of ``decide``: the records the rules built, and the rows left to the
    validator (positions in ``batch.frame``, UInt32)."""

    records: pl.DataFrame
    undecided: pl.Series


# --- regular expressions (Rust syntax: no \d, \s or \w, which are Unicode there) --------------


def _class_chars(chars: str) -> str:
    """``chars`` written for inside a Rust regex character class."""
    return "".join(f"\\x{{{ord(char):X}}}" for char in chars)


_WHITESPACE = _class_chars(PYTHON_WHITESPACE)
# The validator's control characters (domain.text), without the surrogates a Rust string cannot
# hold; free text (callData) may hold TAB, LF and CR.
_CONTROL = r"[\x00-\x1F\x7F-\x9F]"
_CONTROL_FREE_TEXT = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"

_SP = " *"
_CALLED_NO = rf"[0-9*#]{{1,{CALLED_NO_MAX}}}"
_DELAY_RANGE = r"(?:[1-6][0-9]{3}|7[01][0-9]{2}|7200)"  # 1000-7200; shorter ones below
_DELAY_NUMBER = rf"(?:[0-9]|[1-9][0-9]{{1,2}}|{_DELAY_RANGE})"  # a JSON integer, 0-7200
_DELAY_DIGITS = rf"(?:0{{0,4}}(?:[0-9]{{1,3}}|{_DELAY_RANGE}))"  # inside quotes: int() of it
_TYPE_CHAR = r'[^"\\\x00-\x1F\x7F-\x9F]'
_TYPE_EDGE = rf'[^"\\\x00-\x1F\x7F-\x9F{_WHITESPACE}]'
_TYPE = rf"{_TYPE_EDGE}(?:{_TYPE_CHAR}*{_TYPE_EDGE})?"


def _item(named: bool) -> str:
    """One ``{"calledNo", "delayTime"?, "type"?}`` object; ``named``: with capture groups."""

    def group(name: str, pattern: str) -> str:
        return f"(?P<{name}>{pattern})" if named else f"(?:{pattern})"

    return (
        rf'\{{{_SP}"calledNo"{_SP}:{_SP}"{group("no", _CALLED_NO)}"'
        rf'(?:{_SP},{_SP}"delayTime"{_SP}:{_SP}'
        rf'(?:{group("delay", _DELAY_NUMBER)}|"{group("delay_text", _DELAY_DIGITS)}"))?'
        rf'(?:{_SP},{_SP}"type"{_SP}:{_SP}"{group("type", _TYPE)}")?'
        rf"{_SP}\}}"
    )


_ITEM = _item(named=False)
_ITEM_GROUPS = _item(named=True)
_CALLED_JSON = rf"^(?:{_ITEM}|\[{_SP}{_ITEM}(?:{_SP},{_SP}{_ITEM})*{_SP}\])$"
_CALLED_BARE = rf"^{_CALLED_NO}$"

# A flat JSON object, as json.loads reads it (whitespace is what JSON allows between tokens).
_JSON_WS = r"[ \t\n\r]*"
_JSON_STRING = r'"(?:[^"\\\x00-\x1F]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
_JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_JSON_MEMBER = (
    rf"{_JSON_STRING}{_JSON_WS}:{_JSON_WS}(?:{_JSON_STRING}|{_JSON_NUMBER}|true|false|null)"
)
_FLAT_OBJECT = (
    rf"^\{{{_JSON_WS}(?:{_JSON_MEMBER}(?:{_JSON_WS},{_JSON_WS}{_JSON_MEMBER})*)?{_JSON_WS}\}}$"
)

_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
_PRIORITY = r"^\+?0{0,8}[1-5]$"  # int() of it is 1-5 (the validator's INTEGER_TEXT, in range)


# --- one field: may the rules decide it, and its value -------------------------------------


@dataclass(frozen=True)
class _Field:
    """A field's two expressions: ``ok`` (the rules are sure of it) and its ``value``, which is
    only read on rows where every field is ok."""

    ok: pl.Expr
    value: pl.Expr


def _stripped(index: int) -> pl.Expr:
    return pl.col(text_column(index)).str.strip_chars(PYTHON_WHITESPACE)


def _cells(index: int | None, width: int) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """(text, stripped text, number) of the field's sheet column; None when the row has none."""
    if index is None or index >= width:  # as validate_row: a column past the row is empty
        return None
    return pl.col(text_column(index)), _stripped(index), pl.col(number_column(index))


def _whole_number(number: pl.Expr) -> pl.Expr:
    """An integral number cell of fewer than 16 digits (``cells.number_digits`` is not None)."""
    return number.is_finite() & (number == number.floor()) & (number.abs() < _EXACT_BELOW)


def _digits(number: pl.Expr) -> pl.Expr:
    return number.cast(pl.Int64).cast(pl.Utf8)


def _by_cell(text: pl.Expr, number: pl.Expr, if_text: pl.Expr, if_number: pl.Expr) -> pl.Expr:
    """``if_text`` for a text cell, ``if_number`` for a number cell, True for an empty one."""
    return (
        pl.when(text.is_not_null())
        .then(if_text)
        .when(number.is_not_null())
        .then(if_number)
        .otherwise(pl.lit(True))
    )


def _absent(dtype: pl.DataType) -> _Field:
    return _Field(pl.lit(True), pl.lit(None, dtype=dtype))


def _text_field(
    index: int | None,
    width: int,
    limit: int,
    *,
    phone: bool = False,
    free_text: bool = False,
    json_object: bool = False,
) -> _Field:
    """sessionId, caller, customField, callData (``validation._text``)."""
    cells = _cells(index, width)
    if cells is None:
        return _absent(pl.Utf8())
    text, stripped, number = cells
    control = _CONTROL_FREE_TEXT if free_text else _CONTROL
    text_ok = (stripped.str.len_chars() <= limit) & ~stripped.str.contains(control)
    if phone:  # the lost-digits rule (1.38E+10) only looks at texts with an e
        text_ok = text_ok & ~stripped.str.contains("[eE]")
    number_ok = _whole_number(number)
    if json_object:  # an empty callData is not checked; a number is never a JSON object
        text_ok = text_ok & ((stripped == "") | stripped.str.contains(_FLAT_OBJECT))
        number_ok = pl.lit(False)
    value = (
        pl.when(text.is_not_null())
        .then(pl.when(stripped == "").then(pl.lit(None, dtype=pl.Utf8())).otherwise(stripped))
        .otherwise(_digits(number))
    )
    return _Field(_by_cell(text, number, text_ok, number_ok), value)


def _recycle_time(index: int | None, width: int) -> _Field:
    """recycleTime (``validation._recycle_time``): only text cells; a number cell is an error."""
    cells = _cells(index, width)
    if cells is None:
        return _absent(pl.Datetime("us"))
    text, stripped, number = cells

    def part(start: int, length: int) -> pl.Expr:
        return stripped.str.slice(start, length).cast(pl.Int32, strict=False)

    year, month, day = part(0, 4), part(5, 2), part(8, 2)
    hour, minute, second = part(11, 2), part(14, 2), part(17, 2)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = (
        pl.when(month == 2)
        .then(pl.when(leap).then(pl.lit(29)).otherwise(pl.lit(28)))
        .when(month.is_in([4, 6, 9, 11]))
        .then(pl.lit(30))
        .otherwise(pl.lit(31))
    )
    real = (
        stripped.str.contains(_TIMESTAMP)
        & (year >= 1)  # datetime.MINYEAR
        & month.is_between(1, 12)
        & day.is_between(1, month_days)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)  # a leap second (:60) is not a datetime
    )
    text_ok = (stripped == "") | real
    value = pl.datetime(year, month, day, hour, minute, second, time_unit="us")
    return _Field(_by_cell(text, number, text_ok, pl.lit(False)), value)


def _priority(index: int | None, width: int) -> _Field:
    """priority (``records.parse_whole`` from 1 to 5)."""
    cells = _cells(index, width)
    if cells is None:
        return _absent(pl.Int64())
    text, stripped, number = cells
    text_ok = (stripped == "") | stripped.str.contains(_PRIORITY)
    number_ok = number.is_in([1.0, 2.0, 3.0, 4.0, 5.0])
    value = (
        pl.when(text.is_not_null())
        .then(stripped.str.slice(-1).cast(pl.Int64, strict=False))
        .otherwise(number.cast(pl.Int64, strict=False))
    )
    return _Field(_by_cell(text, number, text_ok, number_ok), value)


# --- called ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Called:
    ok: pl.Expr
    numbers: pl.Expr  # List(Utf8): each calledNo, in order
    called: pl.Expr  # the stored JSON text (services.calldata_rows.called_json)


def _stored_item(item: pl.Expr) -> pl.Expr:
    """One stored ``{"calledNo":..,"delayTime":..,"type"?:..}`` from one matched object."""
    groups = item.str.extract_groups(_ITEM_GROUPS)
    delay = (
        pl.coalesce(groups.struct.field("delay"), groups.struct.field("delay_text"))
        .cast(pl.Int64)  # "030" -> 30, as int() does
        .fill_null(0)
        .cast(pl.Utf8)
    )
    kind = groups.struct.field("type")
    head = pl.concat_str(
        [pl.lit('{"calledNo":"'), groups.struct.field("no"), pl.lit('","delayTime":'), delay]
    )
    # The type holds no quote, backslash or control character: JSON writes it as it is.
    return (
        pl.when(kind.is_null())
        .then(pl.concat_str([head, pl.lit("}")]))
        .otherwise(pl.concat_str([head, pl.lit(',"type":"'), kind, pl.lit('"}')]))
    )


def _called(index: int, width: int) -> _Called | None:
    cells = _cells(index, width)
    if cells is None:
        return None
    text, stripped, number = cells
    is_json = stripped.str.contains(_CALLED_JSON)
    bare_text = stripped.str.contains(_CALLED_BARE)
    bare_number = _whole_number(number) & (number >= 0)
    ok = (
        pl.when(text.is_not_null())
        .then(is_json | bare_text)
        .when(number.is_not_null())
        .then(bare_number)
        .otherwise(pl.lit(False))  # no called number: the validator's error
    )
    items = stripped.str.extract_all(_ITEM)
    bare = pl.when(text.is_not_null()).then(stripped).otherwise(_digits(number))
    numbers = (
        pl.when(is_json)
        .then(items.list.eval(pl.element().str.extract(f'"calledNo"{_SP}:{_SP}"([^"]*)"', 1)))
        .otherwise(pl.concat_list([bare]))
    )
    stored = (
        pl.when(is_json)
        .then(
            pl.concat_str(
                [
                    pl.lit("["),
                    items.list.eval(_stored_item(pl.element())).list.join(","),
                    pl.lit("]"),
                ]
            )
        )
        .otherwise(pl.concat_str([pl.lit('[{"calledNo":"'), bare, pl.lit('","delayTime":0}]')]))
    )
    return _Called(ok.fill_null(False), numbers, stored)


# --- the batch -------------------------------------------------------------------------------


def decide(
    batch: CellBatch,
    columns: ColumnMap,
    *,
    call_data_must_be_json: bool,
    default_region: str | None,
) -> Decided:
    """The records of the rows the column rules are sure of, and the positions of the others.

    Each record is exactly what ``validate_row`` (and ``calldata_rows.called_key`` and
    ``called_json``) give for that row. With a ``default_region`` every row is undecided: the
    validator reads each number with libphonenumber, number by number, which these rules do
    not reproduce.
    """
    width = batch.width
    called = None if default_region is not None else _called(columns.called, width)
    if called is None:  # no called column in the rows, or a region: the validator does all
        return _nothing_decided(batch)
    fields = {
        "session_id": _text_field(columns.session_id, width, SESSION_ID_MAX),
        "caller": _text_field(columns.caller, width, CALLER_MAX, phone=True),
        "custom_field": _text_field(columns.custom_field, width, CUSTOM_FIELD_MAX),
        "call_data": _text_field(
            columns.call_data,
            width,
            CALL_DATA_MAX,
            free_text=True,
            json_object=call_data_must_be_json,
        ),
        "recycle_time": _recycle_time(columns.recycle_time, width),
        "priority": _priority(columns.priority, width),
    }
    ok = called.ok
    for item in fields.values():
        ok = ok & item.ok.fill_null(False)
    flagged = batch.frame.with_row_index(_POSITION).with_columns(ok.alias(_OK))
    undecided = flagged.filter(~pl.col(_OK))[_POSITION].cast(pl.UInt32)
    numbers = called.numbers
    records = (
        flagged.lazy()
        .filter(pl.col(_OK))
        .select(
            pl.col(ROW).alias("row_number"),
            fields["session_id"].value.fill_null("").alias("session_id"),
            numbers.list.unique().list.sort().list.join(",").alias("called_key"),
            called.called.alias("called"),
            fields["caller"].value.alias("caller"),
            fields["custom_field"].value.alias("custom_field"),
            fields["recycle_time"].value.alias("recycle_time"),
            fields["call_data"].value.alias("call_data"),
            fields["priority"].value.alias("priority"),
            numbers.alias("numbers"),
        )
    )
    return Decided(records.collect().cast(pl.Schema(records_schema())), undecided)


def _nothing_decided(batch: CellBatch) -> Decided:
    return Decided(
        pl.DataFrame(schema=records_schema()),
        pl.Series(_POSITION, range(batch.frame.height), dtype=pl.UInt32),
    )
