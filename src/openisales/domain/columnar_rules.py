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
  integer or a string of ASCII digits (the documentation's example; a few leading zeros
  allowed, empty meaning 0), 0-7200; ``type`` is text without quotes, backslashes, control
  characters, spaces (so that spaces can be dropped between tokens) or whitespace at its ends.
  No escape, no other key, no duplicate key can match, so the text means what it reads. Also a
  bare number: text of ``0-9 * #`` or an integral number cell from 0 to below 1e15.
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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from openisales.domain.cell_batch import ROW, CellBatch, number_column, text_column
from openisales.domain.record_row import frame_schema
from openisales.domain.records import (
    CALL_DATA_MAX,
    CALLED_NO_MAX,
    CALLER_MAX,
    CUSTOM_FIELD_MAX,
    SESSION_ID_MAX,
)
from openisales.domain.template import ColumnMap

__all__ = ["DECIDED_COLUMNS", "PYTHON_WHITESPACE", "Decided", "decide", "records_schema"]

PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Every character for which ``str.isspace()`` is true (what ``str.strip()`` removes); a test
checks it against Python's own table. Rust's ``char::is_whitespace`` lacks U+001C-U+001F."""

# The record values the rules build: the declared record row's, but those the task sets
# (campaign, status, task id), and the numbers the caller checks against the blocklist.
_SET_BY_THE_TASK = ("campaign_pk", "status", "import_task_id")
_FRAME_TYPES = {name: kind for name, kind in frame_schema().items() if name not in _SET_BY_THE_TASK}
DECIDED_COLUMNS: tuple[str, ...] = (
    "row_number",
    *(n for n in _FRAME_TYPES if n != "row_number"),
    "numbers",
)

_EXACT_BELOW = 1e15  # as cells.number_digits: beyond it a number cell may have lost digits


def records_schema() -> dict[str, pl.DataType]:
    """The columns of ``Decided.records`` and their types (those of ``frame_schema``)."""
    return {
        name: pl.List(pl.Utf8()) if name == "numbers" else _FRAME_TYPES[name]
        for name in DECIDED_COLUMNS
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
# hold (and the e of the caller's lost-digits rule).
_CONTROL = r"[\x00-\x1F\x7F-\x9F]"
_CONTROL_OR_E = r"[\x00-\x1F\x7F-\x9FeE]"
# Free text (callData) may also hold TAB, LF and CR. Its texts are long, so the check is cut in
# parts: the regex crate finds a class of at most 10 characters with a fast prefilter but scans
# for a larger one state by state, several times slower; and the C1 controls (UTF-8 0xC2
# 0x80-0x9F) are only looked for in the texts that hold a 0xC2 byte at all.
_FREE_TEXT_C0 = (r"[\x00-\x08\x7F]", r"[\x0B\x0C\x0E-\x15]", r"[\x16-\x1F]")
_C1 = r"[\x{80}-\x{9F}]"

# called. Spaces are the only whitespace between tokens: any other is a control character there.
_SP = " *"
_CALLED_NO = rf"[0-9*#]{{1,{CALLED_NO_MAX}}}"
# 0-7200 as a JSON integer (no leading zero), or inside quotes, where int() also reads a few
# leading zeros and an empty text is 0.
_DELAY = r"(?:[0-9]|[1-9][0-9]{1,2}|[1-6][0-9]{3}|7[01][0-9]{2}|7200)"
_QUOTED_DELAY = rf'"(?:0{{0,4}}{_DELAY})?"'

# A type is stored as written: no quote, backslash or control character (JSON would escape
# them), no space (spaces are removed between tokens), no whitespace at either end (Python would
# strip it).
_NEVER_IN_TYPE = r'"\\\x00-\x1F\x7F-\x9F '
_TYPE = (
    rf"[^{_NEVER_IN_TYPE}{_WHITESPACE}](?:[^{_NEVER_IN_TYPE}]*[^{_NEVER_IN_TYPE}{_WHITESPACE}])?"
)
_ITEM = (
    rf'\{{{_SP}"calledNo"{_SP}:{_SP}"{_CALLED_NO}"'
    rf'(?:{_SP},{_SP}"delayTime"{_SP}:{_SP}(?:{_DELAY}|{_QUOTED_DELAY}))?'
    rf'(?:{_SP},{_SP}"type"{_SP}:{_SP}"{_TYPE}")?'
    rf"{_SP}\}}"
)
_CALLED = rf"^{_SP}(?:{_ITEM}|\[{_SP}{_ITEM}(?:{_SP},{_SP}{_ITEM})*{_SP}\]|{_CALLED_NO}){_SP}$"
# In the compact text (see _called_values) each element starts with this; what follows its
# calledNo, up to the next element, is _REST: the closing quote, the optional delayTime (quoted
# or not) and type, the closing brace, and a comma or the array's end.
_ELEMENT_START = '{"calledNo":"'
_REST = r'^"(?:,"delayTime":"?(?P<delay>[0-9]*)"?)?(?P<tail>(?:,"type":"[^"]*")?\}.*)$'

# A flat JSON object, as json.loads reads it: JSON's whitespace between tokens, strings without
# control characters (so no control-character check is needed beside it), numbers, constants.
_JSON_WS = r"[ \t\n\r]*"
_JSON_STRING = r'"(?:[^"\\\x00-\x1F\x7F-\x9F]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
_JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_JSON_MEMBER = (
    rf"{_JSON_STRING}{_JSON_WS}:{_JSON_WS}(?:{_JSON_STRING}|{_JSON_NUMBER}|true|false|null)"
)
_FLAT_OBJECT = (
    rf"^\{{{_JSON_WS}(?:{_JSON_MEMBER}(?:{_JSON_WS},{_JSON_WS}{_JSON_MEMBER})*)?{_JSON_WS}\}}$"
)

# recycleTime: the digits of a real date and time; the day of the month is left to strptime,
# which refuses 02-30 (and would read 0000 as a year, and :60 as the next minute).
_TIMESTAMP = (
    r"^(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(?:0[1-9]|1[0-2])"
    r"-(?:0[1-9]|[12][0-9]|3[01]) (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
)
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_PRIORITY = r"^\+?0{0,8}[1-5]$"  # int() of it is 1-5 (the validator's INTEGER_TEXT, in range)


# --- the fields ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """The two frame columns of a field's sheet column, and the names of what is prepared."""

    text: pl.Expr
    number: pl.Expr
    name: str  # the field: prepared columns are named after it

    @property
    def stripped(self) -> pl.Expr:
        return pl.col(f"_{self.name}_stripped")

    def strip(self) -> pl.Expr:
        """The text as Python's str.strip() leaves it (PYTHON_WHITESPACE, not Rust's set)."""
        return self.text.str.strip_chars(PYTHON_WHITESPACE).alias(f"_{self.name}_stripped")


def _cell(index: int | None, width: int, name: str) -> _Cell | None:
    """The field's cells; None when the rows have none (as validate_row: a column past the row
    is empty)."""
    if index is None or index >= width:
        return None
    return _Cell(pl.col(text_column(index)), pl.col(number_column(index)), name)


def _whole_number(number: pl.Expr) -> pl.Expr:
    """An integral number cell of fewer than 16 digits (``cells.number_digits`` is not None)."""
    return number.is_finite() & (number == number.floor()) & (number.abs() < _EXACT_BELOW)


def _digits(number: pl.Expr) -> pl.Expr:
    # Not strict: values are only read on rows whose numbers were checked.
    return number.cast(pl.Int64, strict=False).cast(pl.Utf8)


def _by_cell(cell: _Cell, if_text: pl.Expr, if_number: pl.Expr) -> pl.Expr:
    """``if_text`` for a text cell, ``if_number`` for a number cell, True for an empty one."""
    return (
        pl.when(cell.text.is_not_null())
        .then(if_text)
        .when(cell.number.is_not_null())
        .then(if_number)
        .otherwise(pl.lit(True))
        .fill_null(False)
    )


@dataclass(frozen=True)
class _Field:
    """One field's part in ``decide``: columns prepared for all rows, whether the rules are sure
    of the field (on the prepared frame), and its value (read only on rows where every field is
    sure)."""

    prepare: tuple[pl.Expr, ...]
    ok: pl.Expr
    value: pl.Expr


def _absent(dtype: pl.DataType) -> _Field:
    return _Field((), pl.lit(True), pl.lit(None, dtype=dtype))


def _text_field(
    cell: _Cell | None,
    limit: int,
    *,
    phone: bool = False,
    free_text: bool = False,
    json_object: bool = False,
) -> _Field:
    """sessionId, caller, customField, callData (``validation._text``)."""
    if cell is None:
        return _absent(pl.Utf8())
    text = cell.stripped
    text_ok = text.str.len_chars() <= limit
    if json_object:  # also free of control characters; an empty callData is not checked
        text_ok = text_ok & ((text == "") | text.str.contains(_FLAT_OBJECT))
    elif free_text:
        text_ok = text_ok & ~_has_free_text_control(text)
    elif phone:  # the lost-digits rule (1.38E+10) only looks at texts with an e
        text_ok = text_ok & ~text.str.contains(_CONTROL_OR_E)
    else:
        text_ok = text_ok & ~text.str.contains(_CONTROL)
    # A number is never a JSON object; a fraction would be written with %.15g: left undecided.
    number_ok = pl.lit(False) if json_object else _whole_number(cell.number)
    value = (
        pl.when(cell.text.is_not_null())
        .then(pl.when(text == "").then(pl.lit(None, dtype=pl.Utf8())).otherwise(text))
        .otherwise(_digits(cell.number))
    )
    return _Field((cell.strip(),), _by_cell(cell, text_ok, number_ok), value)


def _has_free_text_control(text: pl.Expr) -> pl.Expr:
    """``text`` holds a control character other than TAB, LF and CR (see _FREE_TEXT_C0)."""
    c0 = pl.any_horizontal([text.str.contains(chars) for chars in _FREE_TEXT_C0])
    maybe_c1 = text.cast(pl.Binary).bin.contains(b"\xc2")
    c1 = pl.when(maybe_c1).then(text).otherwise(None).str.contains(_C1).fill_null(False)
    return c0 | c1


def _recycle_time(cell: _Cell | None) -> _Field:
    """recycleTime (``validation._recycle_time``): only text cells; a number cell is an error."""
    if cell is None:
        return _absent(pl.Datetime("us"))
    text = cell.stripped
    parsed = pl.col("_recycle_time_parsed")
    prepare = (
        cell.strip(),
        cell.text.str.strip_chars(PYTHON_WHITESPACE)
        .str.strptime(pl.Datetime("us"), _TIMESTAMP_FORMAT, strict=False, cache=False)
        .alias("_recycle_time_parsed"),
    )
    text_ok = (text == "") | (text.str.contains(_TIMESTAMP) & parsed.is_not_null())
    return _Field(prepare, _by_cell(cell, text_ok, pl.lit(False)), parsed)


def _priority(cell: _Cell | None) -> _Field:
    """priority (``records.parse_whole`` from 1 to 5)."""
    if cell is None:
        return _absent(pl.Int64())
    text = cell.stripped
    text_ok = (text == "") | text.str.contains(_PRIORITY)
    number_ok = cell.number.is_in([1.0, 2.0, 3.0, 4.0, 5.0])
    value = (
        pl.when(cell.text.is_not_null())
        .then(text.str.slice(-1).cast(pl.Int64, strict=False))
        .otherwise(cell.number.cast(pl.Int64, strict=False))
    )
    return _Field((cell.strip(),), _by_cell(cell, text_ok, number_ok), value)


def _called_ok(cell: _Cell) -> pl.Expr:
    return (
        pl.when(cell.text.is_not_null())
        .then(cell.text.str.contains(_CALLED))
        .when(cell.number.is_not_null())
        .then(_whole_number(cell.number) & (cell.number >= 0))
        .otherwise(pl.lit(False))  # no called number: the validator's error
        .fill_null(False)
    )


def _compact(cell: _Cell) -> pl.Expr:
    """The called text of an accepted row without its spaces (all of them are between tokens:
    none is inside a string), or the digits of its number cell."""
    return (
        pl.when(cell.text.is_not_null())
        .then(cell.text.str.replace_all(" ", "", literal=True))
        .otherwise(_digits(cell.number))
    )


def _called_values(compact: pl.Series) -> pl.DataFrame:
    """``called`` (``calldata_rows.called_json``), ``called_key`` and ``numbers`` of each compact
    called text (``_compact``).

    The text is cut where each element starts; a piece is its calledNo and what follows up to
    the next element (the ``rest``); a bare number is a piece without a rest. A stored element
    is the calledNo and the rest with a delayTime without quotes, ``"delayTime":0`` when there
    was none, and the array's ``]`` after a lone object. Rests repeat a lot (a few delays, types
    and ends), so each distinct one is rewritten once.
    """
    pieces = pl.DataFrame(
        {
            "row": pl.int_range(compact.len(), dtype=pl.UInt32, eager=True),
            "piece": compact.str.split(_ELEMENT_START),
        }
    )
    flat = (
        pieces.explode("piece")
        # what comes before the first element: "[" in an array, "" before a lone object
        .filter((pl.col("piece") != "[") & (pl.col("piece") != ""))
        .with_columns(
            pl.col("piece")
            .str.find('"', literal=True)
            .fill_null(pl.col("piece").str.len_bytes())  # a bare number
            .alias("end")
        )
        .select(
            "row",
            pl.col("piece").str.slice(0, pl.col("end")).alias("number"),
            pl.col("piece").str.slice(pl.col("end")).alias("rest"),
        )
    )
    rests = flat["rest"].unique()
    parts = rests.str.extract_groups(_REST).struct
    tail = parts.field("tail")
    stored_rests = pl.select(
        pl.when(rests == "")
        .then(pl.lit('","delayTime":0}]'))
        .otherwise(
            pl.concat_str(
                [
                    pl.lit('","delayTime":'),
                    # as int() reads it: "030" is 30, "" is 0
                    parts.field("delay").cast(pl.Int64, strict=False).fill_null(0).cast(pl.Utf8),
                    tail,
                    pl.when(tail.str.ends_with("}")).then(pl.lit("]")).otherwise(pl.lit("")),
                ]
            )
        )
    ).to_series()
    elements = flat.with_columns(
        pl.concat_str(
            [
                pl.lit(_ELEMENT_START),
                pl.col("number"),
                pl.col("rest").replace_strict(rests, stored_rests),
            ]
        ).alias("element")
    )
    by_row = elements.group_by("row", maintain_order=True).agg("element", "number")
    return pl.DataFrame(
        {
            "called": pl.select(
                pl.concat_str([pl.lit("["), by_row["element"].list.join("")])
            ).to_series(),
            "called_key": _called_keys(flat, by_row["number"]),
            "numbers": by_row["number"],
        }
    )


def _called_keys(flat: pl.DataFrame, numbers: pl.Series) -> pl.Series:
    """``calldata_rows.called_key``: the distinct numbers, sorted, joined by commas.

    ``flat`` holds a (row, number) per element, ``numbers`` each row's list. A row of one number
    is its own key; the numbers of the others are sorted as one frame: ``list.sort`` sorts each
    list on its own, far slower.
    """
    keys = numbers.list.first()
    several = numbers.list.len() > 1
    if not several.any():
        return keys
    rows = several.arg_true()
    ordered = flat.filter(pl.col("row").is_in(rows.implode())).sort("row", "number")
    repeated = (pl.col("row") == pl.col("row").shift(1)) & (
        pl.col("number") == pl.col("number").shift(1)
    )
    # implode, then join: an aggregation of str.join is several times slower
    distinct = (
        ordered.filter(~repeated.fill_null(False))
        .group_by("row", maintain_order=True)
        .agg("number")
    )
    return keys.scatter(distinct["row"], distinct["number"].list.join(","))


# --- the batch -------------------------------------------------------------------------------

_POSITION = "_position"
_PLAIN_VALUES = ("caller", "custom_field", "recycle_time", "call_data", "priority")
_PART_ROWS = 50_000  # a batch is cut in parts of at least this many rows, decided in parallel


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
    called = _cell(columns.called, width, "called")
    if called is None or default_region is not None:
        return _nothing_decided(batch)
    fields = {
        "session_id": _text_field(_cell(columns.session_id, width, "session_id"), SESSION_ID_MAX),
        "caller": _text_field(_cell(columns.caller, width, "caller"), CALLER_MAX, phone=True),
        "custom_field": _text_field(
            _cell(columns.custom_field, width, "custom_field"), CUSTOM_FIELD_MAX
        ),
        "call_data": _text_field(
            _cell(columns.call_data, width, "call_data"),
            CALL_DATA_MAX,
            free_text=True,
            json_object=call_data_must_be_json,
        ),
        "recycle_time": _recycle_time(_cell(columns.recycle_time, width, "recycle_time")),
        "priority": _priority(_cell(columns.priority, width, "priority")),
    }
    frame = batch.frame.with_row_index(_POSITION)
    # Much of the work is chains of string operations on one column, each of which polars runs
    # on one thread: parts of the batch are decided at the same time, one per thread (polars
    # releases the GIL).
    parts = max(1, min(pl.thread_pool_size(), frame.height // _PART_ROWS))
    size = -(-frame.height // parts)

    def part(index: int) -> pl.DataFrame:
        values = _plan(frame.lazy().slice(index * size, size), called, fields).collect()
        if values.height == 0:
            return pl.DataFrame(schema={_POSITION: pl.UInt32(), **records_schema()})
        records = pl.concat([values, _called_values(values["_compact"])], how="horizontal")
        return records.select(_POSITION, *DECIDED_COLUMNS).cast(pl.Schema(records_schema()))

    if parts == 1:
        records = part(0)
    else:
        with ThreadPoolExecutor(parts) as pool:
            records = pl.concat(list(pool.map(part, range(parts))))
    decided = pl.repeat(False, frame.height, eager=True).scatter(records[_POSITION], True)
    undecided = decided.not_().arg_true().cast(pl.UInt32).alias("position")
    return Decided(records.drop(_POSITION), undecided)


def _plan(frame: pl.LazyFrame, called: _Cell, fields: dict[str, _Field]) -> pl.LazyFrame:
    """The accepted rows of ``frame`` with their values, ``called`` as ``_compact`` (the rest is
    done by ``_called_values``)."""
    oks = [_called_ok(called).alias("_ok_called")] + [
        field.ok.alias(f"_ok_{name}") for name, field in fields.items()
    ]
    return (
        frame.with_columns(*(expr for field in fields.values() for expr in field.prepare))
        .with_columns(oks)
        .filter(pl.all_horizontal(pl.col(r"^_ok_.*$")))
        .select(
            _POSITION,
            pl.col(ROW).alias("row_number"),
            fields["session_id"].value.fill_null("").alias("session_id"),
            _compact(called).alias("_compact"),
            *(fields[name].value.alias(name) for name in _PLAIN_VALUES),
        )
    )


def _nothing_decided(batch: CellBatch) -> Decided:
    return Decided(
        pl.DataFrame(schema=records_schema()),
        pl.Series("position", range(batch.frame.height), dtype=pl.UInt32),
    )
