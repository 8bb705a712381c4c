"""The column rules (``domain.columnar_rules.decide``) give exactly what the per-row validator
gives, for every row they decide; every other row is left to the validator.

The oracle is ``validate_row`` followed by ``calldata_rows._row`` (the record row the import
writes). A property test throws random and hostile rows and header layouts at both; targeted
tests pin each equivalence detail (Python's whitespace, code-point lengths, number cells, dates,
JSON escapes and duplicate keys, non-ASCII digits); a coverage test checks that realistic rows
(the import benchmark's generator) are decided, so the fast path is really taken.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openisales.domain.cell_batch import CellBatch, batch_from_rows
from openisales.domain.cells import Cell
from openisales.domain.columnar_rules import (
    DECIDED_COLUMNS,
    PYTHON_WHITESPACE,
    Decided,
    decide,
    records_schema,
)
from openisales.domain.record_row import as_mapping, frame_schema
from openisales.domain.template import FIELDS, ColumnMap, map_header
from openisales.domain.validation import CallRecord, validate_row
from openisales.services.calldata_rows import RowSpec, _row

REPO = Path(__file__).resolve().parents[2]
ALL = map_header(FIELDS)
COMPARED = (
    "session_id",
    "called_key",
    "called",
    "caller",
    "custom_field",
    "recycle_time",
    "call_data",
    "priority",
    "row_number",
)

Row = tuple[int, list[Cell]]


# --- the oracle ------------------------------------------------------------------------------


def clean(cells: Sequence[Cell]) -> list[Cell]:
    """As the readers clean a row (``readers.rows.clean_rows``): whitespace-only text is empty."""
    return [None if type(cell) is str and (not cell or cell.isspace()) else cell for cell in cells]


def batch_of(rows: Sequence[Sequence[Cell]], width: int) -> CellBatch:
    """The cleaned non-blank rows, numbered from 2 as in a sheet."""
    cleaned = [clean(list(cells) + [None] * (width - len(cells))) for cells in rows]
    numbered = [
        (n, cells) for n, cells in enumerate(cleaned, 2) if any(c is not None for c in cells)
    ]
    return batch_from_rows(numbered, width)


def check(
    batch: CellBatch,
    columns: ColumnMap,
    *,
    must_be_json: bool,
    default_region: str | None = None,
) -> Decided:
    """decide() on ``batch``, checked against validate_row + _row on every decided row."""
    decided = decide(
        batch, columns, call_data_must_be_json=must_be_json, default_region=default_region
    )
    records = decided.records
    assert dict(records.schema) == records_schema()
    assert records.columns == list(DECIDED_COLUMNS)
    assert decided.undecided.dtype == pl.UInt32
    positions = {batch.row_number(i): i for i in range(len(batch))}
    assert len(positions) == len(batch)  # row numbers are unique in these tests
    decided_positions = [positions[n] for n in records["row_number"]]
    undecided = decided.undecided.to_list()
    assert len(set(decided_positions)) == len(decided_positions)
    assert len(set(undecided)) == len(undecided)
    assert set(decided_positions).isdisjoint(undecided)
    assert sorted(decided_positions + undecided) == list(range(len(batch)))
    spec = RowSpec(1, "task", 10**6, must_be_json, frozenset(), default_region=default_region)
    for position, got in zip(decided_positions, records.iter_rows(named=True), strict=True):
        row_number = batch.row_number(position)
        result = validate_row(
            batch.cells(position),
            columns,
            row_number,
            call_data_must_be_json=must_be_json,
            default_region=default_region,
        )
        assert isinstance(result, CallRecord), (batch.cells(position), got, result)
        expected = as_mapping(_row(spec, row_number, result))
        for name in COMPARED:
            assert got[name] == expected[name], (name, batch.cells(position), got, expected)
            assert type(got[name]) is type(expected[name]), (name, got[name], expected[name])
        assert got["numbers"] == [n.called_no for n in result.called]
    return decided


def one(must_be_json: bool = False, **values: Cell) -> Decided:
    """decide() on one row of all template columns (``called`` given or one number)."""
    values.setdefault("called", '[{"calledNo":"13800001234"}]')
    return check(
        batch_of([[values.get(name) for name in FIELDS]], len(FIELDS)),
        ALL,
        must_be_json=must_be_json,
    )


def decided_one(must_be_json: bool = False, **values: Cell) -> dict[str, Any]:
    result = one(must_be_json, **values)
    assert result.records.height == 1, f"undecided: {values}"
    return result.records.row(0, named=True)


def undecided_one(must_be_json: bool = False, **values: Cell) -> None:
    result = one(must_be_json, **values)
    assert result.records.height == 0, f"decided: {values} -> {result.records.row(0)}"
    assert result.undecided.to_list() == [0]


# --- strategies ------------------------------------------------------------------------------

# Characters where Python and Rust (or JSON) disagree, or that a rule treats specially.
TRICKY = (
    *PYTHON_WHITESPACE,
    "\x00", "\x07", "\x7f", "\x80", "\x9f", "\u200b", "\ufeff", "\u180e", "\xad", "\u00a5",
    "\U0001f600", "\U00020000", "\ud7ff", "\ue000", "\uffff", '"', "'", "\\", "{", "}", "[",
    "]", ",", ":", "e", "E", "+", "-", ".", "*", "#", "0", "1", "9", "٣", "３", "߁", "²",
)  # fmt: skip
chars = st.one_of(st.characters(codec="utf-8"), st.sampled_from(TRICKY))
hostile_text = st.text(chars, max_size=12)
cjk_or_ascii = st.sampled_from(["a", "Z", "7", " ", "王", "伟", "-", "é", "\U0001f600"])


@st.composite
def near_limit(draw: st.DrawFn, limit: int) -> str:
    """Text of about ``limit`` code points, with tricky characters at the ends."""
    body = draw(cjk_or_ascii) * draw(st.integers(limit - 3, limit + 1))
    return draw(st.sampled_from(["", " ", "\u3000", "x"])) + body + draw(hostile_text)


floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**16), 10**16).map(float),
    st.sampled_from([13800001234.0, -0.0, 0.0, 1e15, 999999999999999.0, -1.0, 1.5, 3.0, 5.0]),
)


# Text a valid field may hold: no control character (a surrogate cannot be in a frame at all).
safe_chars = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
    st.sampled_from([" ", "\u3000", "\xa0", "王", "é", "\U0001f600"]),
)


def valid_text(limit: int) -> st.SearchStrategy[Cell]:
    return st.one_of(
        st.text(safe_chars, max_size=min(limit, 16)),
        st.integers(-(10**14), 10**14).map(float),
        st.none(),
    )


def text_field(limit: int, extra: Sequence[str] = ()) -> st.SearchStrategy[Cell]:
    """Mostly text that is valid for a field of ``limit`` characters, else anything."""
    valid = valid_text(limit)
    return st.one_of(
        valid,
        valid,
        st.sampled_from(["CUST-00000001", "王伟", "batch=2099-07;region=east", *extra]),
        st.none(),
        hostile_text,
        st.text(cjk_or_ascii, min_size=1, max_size=10),
        near_limit(limit),
        floats,
    )


calling_number = st.one_of(
    st.text("0123456789", min_size=1, max_size=25),
    st.text("0123456789*#", min_size=1, max_size=8),
    st.sampled_from(["", " 1", "1 ", "١٢٣", "１２３", "+8613800001234", "1.38E+10", "12-34"]),
    hostile_text,
)
delay = st.one_of(
    st.integers(-2, 7202),
    st.sampled_from([0, 30, 600, 7200]),
    st.sampled_from(["30", "0", "030", " 30", "", "7200", "7201", "-1", "3.0", "1e2", "٣"]),
    st.sampled_from([30.0, 30.5, True, None]),
)
number_type = st.one_of(
    st.sampled_from(["mobile", "home", "office", "手机", "line2", "a b", " mobile", ""]),
    hostile_text,
    st.sampled_from([5, None, 1.5]),
)


@st.composite
def element(draw: st.DrawFn) -> Any:
    item: dict[str, Any] = {"calledNo": draw(calling_number)}
    if draw(st.booleans()):
        item["delayTime"] = draw(delay)
    if draw(st.booleans()):
        item["type"] = draw(number_type)
    shape = draw(st.integers(0, 9))
    if shape == 0:  # calledNo as a JSON number, or some other value
        item["calledNo"] = draw(st.sampled_from([13800001234, 1.5, True, None, [1]]))
    elif shape == 1:  # another key, or the keys in another order
        item = dict(reversed(item.items())) if draw(st.booleans()) else {**item, "x": 1}
    elif shape == 2:  # not an object at all
        return draw(st.sampled_from([1, "13800001234", [], None]))
    return item


def spaced(text: str, draw: st.DrawFn) -> str:
    """``text`` with spaces (or other whitespace) put around some of its structural tokens."""
    space = draw(st.sampled_from([" ", "  ", "\t", "\u3000"]))
    for token in draw(st.lists(st.sampled_from([",", ":", "{", "}", "[", "]"]), max_size=3)):
        text = text.replace(token, f"{space}{token}{space}" if draw(st.booleans()) else f"{token} ")
    return text


@st.composite
def called_json(draw: st.DrawFn) -> str:
    items = draw(st.lists(element(), min_size=0, max_size=4))
    if items and draw(st.booleans()):  # the same number twice
        items.append(items[0])
    value: Any = items[0] if len(items) == 1 and draw(st.booleans()) else items
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,", " :")]))
    text = json.dumps(value, separators=separators, ensure_ascii=draw(st.booleans()))
    variant = draw(st.integers(0, 12))
    if variant == 0:
        text = text.replace('"', "'")  # the documentation's single quotes
    elif variant == 1:
        text = spaced(text, draw)
    elif variant == 2:
        text = text.replace('"calledNo"', '"calledNo":"1","calledNo"', 1)  # a duplicate key
    elif variant == 3:
        text = text.replace("1", "\\u0031", 1)  # an escape (valid where it is in a string)
    elif variant == 4:
        text = f"[{text}]"  # nested
    elif variant == 5:
        text = text[: draw(st.integers(0, len(text)))]  # cut short
    elif variant == 6:
        text = draw(st.sampled_from(list(PYTHON_WHITESPACE))) + text + draw(hostile_text)
    return text


valid_number = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.text("0123456789*#", min_size=1, max_size=24),
)
valid_type = st.one_of(
    st.sampled_from(["mobile", "home", "office", "手机", "line2", "a\u3000b", "x\xa0y", "*"]),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")).filter(
            lambda c: c not in '"\\'
        ),
        min_size=1,
        max_size=8,
    ),
)


@st.composite
def valid_called(draw: st.DrawFn) -> str:
    """A JSON array of common valid elements, written by json.dumps in one of its layouts."""
    items: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        item: dict[str, Any] = {"calledNo": draw(valid_number)}
        if draw(st.booleans()):
            seconds = draw(st.integers(0, 7200))
            item["delayTime"] = str(seconds) if draw(st.booleans()) else seconds
        if draw(st.booleans()):
            item["type"] = draw(valid_type)
        items.append(item)
    if draw(st.booleans()):  # a number twice
        items.append(dict(items[0]))
    value: Any = items[0] if len(items) == 1 and draw(st.booleans()) else items
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : ")]))
    return json.dumps(value, ensure_ascii=False, separators=separators)


called_cell = st.one_of(
    valid_called(),
    valid_called(),
    valid_called(),
    called_json(),
    called_json(),
    calling_number,
    st.text("0123456789*# ", min_size=1, max_size=26),
    floats,
    st.none(),
)
timestamp = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")
)
recycle_cell = st.one_of(
    timestamp,
    timestamp,
    st.none(),
    st.sampled_from(
        [
            "2099-02-29 10:00:00",
            "2096-02-29 10:00:00",
            "2099-02-30 10:00:00",
            "2099-04-31 12:00:00",
            "2099-06-01 24:00:00",
            "2099-06-01 23:59:60",
            "2099-06-01 23:60:00",
            "2099-13-01 09:00:00",
            "0000-01-01 00:00:00",
            "0001-01-01 00:00:00",
            "2099-6-01 18:00:00",
            "2099-06-01T18:00:00",
            "2099-06-01 18:00",
            "２０９９-06-01 18:00:00",
            "2099-06-01 18:00:00.5",
            "20990-06-01 18:00:00",
            "+999-06-01 18:00:00",
            " 2099-06-01 18:00:00\u3000",
        ]
    ),
    hostile_text,
    floats,
)
priority_cell = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "5", "+3", "05", 1.0, 2.0, 3.0, 4.0, 5.0]),
    st.none(),
    st.sampled_from(["1", "3", "5", "+3", "03", "0", "6", "-1", " 3 ", "٣", "３", "1.0", "3e0"]),
    st.sampled_from(["0" * 200 + "3", "1_0", "+0003", "\x003"]),
    hostile_text,
    floats,
)
call_data_cell = st.one_of(
    st.dictionaries(
        st.text(safe_chars, max_size=6), st.text(safe_chars, max_size=10), max_size=4
    ).map(lambda value: json.dumps(value, ensure_ascii=False)),
    text_field(1024, ['{"name":"王伟","amount":"12.50"}', '{"a":1,"b":[1]}', "[1]", "{}"]),
    st.dictionaries(
        st.text(chars, max_size=4),
        st.one_of(st.text(chars, max_size=6), st.integers(), st.floats(), st.booleans(), st.none()),
        max_size=3,
    ).map(lambda value: json.dumps(value, ensure_ascii=False)),
    st.sampled_from(['{"a":"\\u0000"}', '{"a": NaN}', '{"a":"x"} ', '{"a":1e999}', "{'a':1}"]),
)
flat_json_object = st.dictionaries(
    st.text(safe_chars, max_size=6), st.text(safe_chars, max_size=10), max_size=4
).map(lambda value: json.dumps(value, ensure_ascii=False))
# Cells of a valid row: the common shapes.
VALID_CELLS: dict[str, st.SearchStrategy[Cell]] = {
    "sessionId": valid_text(32),
    "called": st.one_of(valid_called(), valid_number, valid_number.map(lambda n: f" {n} ")),
    "caller": st.one_of(st.text("0123456789*#", max_size=24), st.integers(0, 10**14).map(float)),
    "callData": st.one_of(flat_json_object, valid_text(1024)),
    "customField": valid_text(200),
    "recycleTime": st.one_of(timestamp, st.none()),
    "priority": st.sampled_from(["1", "3", "5", "+2", "04", 1.0, 5.0, None]),
}
FIELD_CELLS: dict[str, st.SearchStrategy[Cell]] = {
    "sessionId": text_field(32),
    "called": called_cell,
    "caller": text_field(24, ["4001234567", "1.38E+10", "1e5", "١٢٣"]),
    "callData": call_data_cell,
    "customField": text_field(200),
    "recycleTime": recycle_cell,
    "priority": priority_cell,
}


@st.composite
def layouts(draw: st.DrawFn) -> tuple[ColumnMap, int]:
    """Which template columns are present, where, and how wide the sheet is."""
    present = [*draw(st.lists(st.sampled_from(FIELDS), unique=True)), "called"]
    present = list(dict.fromkeys(present))
    width = len(present) + draw(st.integers(0, 2))  # unknown columns too
    places = draw(st.permutations(range(width + 1)))  # a place may be past the last column
    return ColumnMap(dict(zip(present, places, strict=False)), ()), width


@st.composite
def batches(draw: st.DrawFn) -> tuple[CellBatch, ColumnMap, set[int]]:
    """A batch, its layout, and the row numbers of the rows drawn from VALID_CELLS."""
    columns, width = draw(layouts())
    by_place = {place: name for name, place in columns.indexes.items()}
    other = st.one_of(st.none(), hostile_text, floats)
    rows, common = [], set()
    for index in range(draw(st.integers(1, 6))):
        valid = draw(st.booleans())
        cells = VALID_CELLS if valid else FIELD_CELLS
        rows.append([draw(cells[by_place[i]] if i in by_place else other) for i in range(width)])
        if valid:
            common.add(index + 2)  # batch_of numbers the rows from 2
    return batch_of(rows, width), columns, common


# --- the property ----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.booleans())
def test_decided_rows_are_what_the_validator_gives(
    case: tuple[CellBatch, ColumnMap, set[int]], must_be_json: bool
) -> None:
    batch, columns, common = case
    decided = check(batch, columns, must_be_json=must_be_json)
    # A row of common shapes that the validator accepts is decided: the fast path is taken.
    for position in decided.undecided.to_list():
        row_number = batch.row_number(position)
        result = validate_row(
            batch.cells(position), columns, row_number, call_data_must_be_json=must_be_json
        )
        assert row_number not in common or not isinstance(result, CallRecord), batch.cells(position)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(element(), min_size=1, max_size=3), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_common_called_shapes_are_decided_when_valid(
    rows: list[tuple[list[Any], bool]],
) -> None:
    """A json.dumps-written array of valid elements is decided, whatever its spacing."""
    cells = [
        [json.dumps(items, separators=(",", ":") if compact else None, ensure_ascii=False)]
        for items, compact in rows
    ]
    columns = ColumnMap({"called": 0}, ())
    decided = check(batch_of(cells, 1), columns, must_be_json=False)
    for position in decided.undecided.to_list():  # left only when its shape is not a common one
        items = rows[position][0]
        assert not all(_common(item) for item in items), items


def _common(item: Any) -> bool:
    """An element of the common shape (see the module's text)."""
    if type(item) is not dict or list(item) not in (
        ["calledNo"], ["calledNo", "delayTime"], ["calledNo", "type"],
        ["calledNo", "delayTime", "type"],
    ):  # fmt: skip
        return False
    number, delay, kind = item["calledNo"], item.get("delayTime", 0), item.get("type", "x")
    if type(number) is not str or not 1 <= len(number) <= 24 or set(number) - set("0123456789*#"):
        return False
    if type(delay) is str:
        significant = delay.lstrip("0") or "0"
        zeros = len(delay) - len(significant)
        if delay and (not delay.isascii() or not delay.isdigit() or zeros > 4):
            return False
        delay = int(delay or "0")
    if type(delay) is not int or not 0 <= delay <= 7200:
        return False
    return (
        type(kind) is str
        and kind != ""
        and kind == kind.strip()
        and all(c not in kind for c in '"\\ ')
        and all(unicodedata.category(c) != "Cc" for c in kind)
    )


# --- coverage on realistic rows --------------------------------------------------------------


def _import_bench() -> ModuleType:
    name = "import_bench"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "import_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("must_be_json", [False, True])
def test_realistic_rows_are_decided(must_be_json: bool) -> None:
    """The benchmark's rows (2 % invalid, 1 % repeats): every valid one is decided."""
    bench = _import_bench()
    expected = bench.Expected(4000)
    rows = list(bench.generate_rows(bench.RowMaker(bench.SEED), 4000, expected))
    batch = batch_of(rows, len(bench.HEADER))
    columns = map_header(bench.HEADER)
    decided = check(batch, columns, must_be_json=must_be_json)
    valid = sum(
        isinstance(validate_row(cells, columns, 2, call_data_must_be_json=must_be_json), CallRecord)
        for cells in (batch.cells(i) for i in range(len(batch)))
    )
    assert decided.records.height == valid
    assert decided.records.height >= 0.95 * len(batch)
    assert expected.failNum == len(batch) - valid  # the generator's invalid rows, and no other


# --- targeted cases --------------------------------------------------------------------------


def test_python_whitespace_is_exactly_what_str_isspace_accepts() -> None:
    every = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert every == PYTHON_WHITESPACE


@pytest.mark.parametrize("space", list(PYTHON_WHITESPACE))
def test_text_is_stripped_as_python_strips(space: str) -> None:
    # \x1c-\x1f are whitespace to Python (not to Rust): stripped, not control characters.
    got = decided_one(sessionId=f"{space}S1{space}", customField=f"{space}a\u200b")
    assert (got["session_id"], got["custom_field"]) == ("S1", "a\u200b")
    if space in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85":  # a control character inside the text
        undecided_one(customField=f"a{space}b")
    else:
        assert decided_one(customField=f"a{space}b")["custom_field"] == f"a{space}b"


def test_characters_python_does_not_strip_are_kept() -> None:
    got = decided_one(sessionId="\u200bS\u180e", caller="\ufeff400")
    assert (got["session_id"], got["caller"]) == ("\u200bS\u180e", "\ufeff400")


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x80", "\x9f"])
def test_control_characters_are_left_to_the_validator(char: str) -> None:
    for name in ("sessionId", "caller", "customField", "callData"):
        undecided_one(**{name: f"a{char}b"})
    undecided_one(called=f'[{{"calledNo":"1","type":"a{char}b"}}]')


def test_call_data_keeps_line_breaks_and_tabs_inside() -> None:
    assert decided_one(callData="a\nb\tc\r\nd")["call_data"] == "a\nb\tc\r\nd"
    # U+00A0-U+00BF share the UTF-8 lead byte of the C1 controls (0xC2): they are kept.
    assert decided_one(callData="£5 · 20°C ¥\xa0§")["call_data"] == "£5 · 20°C ¥\xa0§"
    undecided_one(callData="£5 \x85 20°C")
    assert decided_one(callData="\n{}\t")["call_data"] == "{}"
    undecided_one(sessionId="a\nb")


def test_lengths_are_counted_in_code_points() -> None:
    assert decided_one(sessionId="\U0001f600" * 32)["session_id"] == "\U0001f600" * 32
    undecided_one(sessionId="\U0001f600" * 33)
    assert decided_one(callData="王" * 1024)["call_data"] == "王" * 1024
    undecided_one(callData="王" * 1025)
    assert decided_one(caller="1" * 24)["caller"] == "1" * 24
    undecided_one(caller="1" * 25)
    assert decided_one(customField=" " + "x" * 200 + " ")["custom_field"] == "x" * 200


def test_number_cells_become_their_digits() -> None:
    got = decided_one(called=13800001234.0, caller=4001234567.0, sessionId=-0.0, customField=-12.0)
    assert got["called"] == '[{"calledNo":"13800001234","delayTime":0}]'
    assert (got["caller"], got["session_id"], got["custom_field"]) == ("4001234567", "0", "-12")
    assert decided_one(called=-0.0)["numbers"] == ["0"]
    assert decided_one(called=999999999999999.0)["called_key"] == "999999999999999"
    for value in (1e15, 1.5, -1.0, float("nan"), float("inf")):
        undecided_one(called=value)
    for value in (1e15, 2.5, float("nan")):
        undecided_one(caller=value)
        undecided_one(sessionId=value)  # %.15g text: left to the validator


def test_caller_that_may_have_lost_digits_is_left_to_the_validator() -> None:
    for text in ("1.38E+10", "1e5", "ext"):
        undecided_one(caller=text)


def test_recycle_time_text_must_be_a_real_moment() -> None:
    assert decided_one(recycleTime="2096-02-29 23:59:59")["recycle_time"] == datetime(
        2096, 2, 29, 23, 59, 59
    )
    assert decided_one(recycleTime="0001-01-01 00:00:00")["recycle_time"] == datetime(1, 1, 1)
    assert decided_one(recycleTime="\u3000 2099-06-01 18:00:00\x1c")["recycle_time"] == datetime(
        2099, 6, 1, 18
    )
    for text in (
        "2099-02-29 10:00:00", "2099-02-30 10:00:00", "2099-04-31 10:00:00",
        "2099-06-01 23:59:60", "2099-06-01 24:00:00", "0000-01-01 00:00:00",
        "2099-6-01 18:00:00", "２０９９-06-01 18:00:00", "2099-06-01T18:00:00",
        "2099-06-01 18:00:00.000", "-999-01-01 00:00:00",
    ):  # fmt: skip
        undecided_one(recycleTime=text)
    undecided_one(recycleTime=45000.5)  # a number cell is not read as a date


def test_priority_as_parse_whole_reads_it() -> None:
    for cell, value in (("3", 3), ("+3", 3), (" 05 ", 5), ("00000001", 1), (2.0, 2), (5.0, 5)):
        assert decided_one(priority=cell)["priority"] == value
    for cell in ("0", "6", "-1", "٣", "３", "1.0", "3e0", "0" * 200 + "3", 2.5, 0.0, 6.0):
        undecided_one(priority=cell)


def test_called_shapes() -> None:
    stored = '[{"calledNo":"1","delayTime":30,"type":"mobile"},{"calledNo":"2#","delayTime":0}]'
    for text in (
        '[{"calledNo":"1","delayTime":30,"type":"mobile"},{"calledNo":"2#"}]',
        '[{"calledNo": "1", "delayTime": "30", "type": "mobile"}, {"calledNo": "2#"}]',
        ' [ { "calledNo" : "1" , "delayTime":30,"type":"mobile" } , {"calledNo":"2#"} ] ',
    ):
        got = decided_one(called=text)
        assert (got["called"], got["called_key"], got["numbers"]) == (stored, "1,2#", ["1", "2#"])
    got = decided_one(called='{"calledNo":"5","type":"手机\U0001f600"}')
    assert got["called"] == '[{"calledNo":"5","delayTime":0,"type":"手机\U0001f600"}]'
    assert decided_one(called=" 12#* ")["called"] == '[{"calledNo":"12#*","delayTime":0}]'
    assert decided_one(called='[{"calledNo":"1","type":"line2"}]')["numbers"] == ["1"]


def test_a_quoted_delay_is_read_as_int_reads_it() -> None:
    for text, seconds in (('"030"', 30), ('""', 0), ('"0000"', 0), ('"07200"', 7200), ("0", 0)):
        got = decided_one(called=f'[{{"calledNo":"1","delayTime":{text},"type":"x"}}]')
        assert got["called"] == f'[{{"calledNo":"1","delayTime":{seconds},"type":"x"}}]'


def test_repeated_numbers_give_the_distinct_sorted_key() -> None:
    got = decided_one(called='[{"calledNo":"3"},{"calledNo":"1","delayTime":5},{"calledNo":"3"}]')
    assert (got["called_key"], got["numbers"]) == ("1,3", ["3", "1", "3"])
    assert (
        decided_one(called='[{"calledNo":"#"},{"calledNo":"*"},{"calledNo":"0"}]')["called_key"]
        == "#,*,0"
    )


def test_escapes_and_duplicate_keys_are_left_to_the_validator() -> None:
    # json.loads reads \u0031 as "1" and keeps the last of two keys: never the literal text.
    for text in (
        '[{"calledNo":"\\u0031"}]',
        '[{"calledNo":"1","type":"\\u0041"}]',
        '[{"calledNo":"1","calledNo":"2"}]',
        '[{"calledNo":"1","delayTime":5,"delayTime":6}]',
        '[{"called\\u004eo":"1"}]',
    ):
        undecided_one(called=text)


def test_digits_of_other_scripts_are_left_to_the_validator() -> None:
    # str.isdigit() accepts them; the validator's [0-9*#] does not, nor does int() for "²".
    for number in ("١٢٣", "１２３", "߁", "²"):
        undecided_one(called=f'[{{"calledNo":"{number}"}}]')
        undecided_one(called=number)
        undecided_one(called=f'[{{"calledNo":"1","delayTime":"{number}"}}]')


def test_uncommon_called_shapes_are_left_to_the_validator() -> None:
    for text in (
        "[{'calledNo':'1'}]", '[{"calledNo":1}]', '[{"calledNo":"1","x":1}]',
        '[{"type":"a","calledNo":"1"}]', '[[{"calledNo":"1"}]]', "[]",
        '[{"calledNo":"1","delayTime":"0000030"}]', '[{"calledNo":"1","delayTime":7201}]',
        '[{"calledNo":"1","delayTime":"7201"}]', '[{"calledNo":"1","delayTime":" 30"}]',
        '[{"calledNo":"1","delayTime":030}]', '[{"calledNo":"1","delayTime":-0}]',
        '[{"calledNo":"1","delayTime":1.0}]', '[{"calledNo":"1","type":"a b"}]',
        '[{"calledNo":"1","type":" a"}]', '[{"calledNo":"1","type":""}]',
        '[{"calledNo":"1","type":5}]', '[{"calledNo":"' + "1" * 25 + '"}]',
        '[{"calledNo":"1"}]\t', '[{"calledNo":"1"}] x', "+8613800001234",
    ):  # fmt: skip
        undecided_one(called=text)


def test_call_data_as_a_json_object() -> None:
    for text in ('{"name":"王伟","n":-1.5e3,"ok":true,"x":null}', '{ "a" : "\\u0000\\n" }', "{}"):
        assert decided_one(True, callData=text)["call_data"] == text
    for text in ('{"a":{"b":1}}', "[1]", '{"a":1', "{'a':1}", '{"a":NaN}', "x", '{"a":"\x01"}'):
        undecided_one(True, callData=text)
    undecided_one(True, callData=12.0)
    assert decided_one(False, callData="x")["call_data"] == "x"


def test_a_default_region_leaves_every_row_to_the_validator() -> None:
    batch = batch_of([["S1", '[{"calledNo":"13800001234"}]']], 2)
    columns = ColumnMap({"sessionId": 0, "called": 1}, ())
    decided = check(batch, columns, must_be_json=False, default_region="CN")
    assert (decided.records.height, decided.undecided.to_list()) == (0, [0])


def test_columns_past_the_row_are_empty() -> None:
    batch = batch_of([["S1", '[{"calledNo":"1"}]']], 2)
    got = check(
        batch, ColumnMap({"sessionId": 0, "called": 1, "caller": 5}, ()), must_be_json=False
    )
    assert got.records["caller"].to_list() == [None]
    nothing = check(batch, ColumnMap({"sessionId": 0, "called": 2}, ()), must_be_json=False)
    assert (nothing.records.height, nothing.undecided.to_list()) == (0, [0])


def test_an_empty_batch() -> None:
    decided = check(batch_of([], 3), ColumnMap({"called": 1}, ()), must_be_json=False)
    assert (decided.records.height, decided.undecided.len()) == (0, 0)


def test_records_carry_the_record_frame_types() -> None:
    schema = frame_schema()
    for name, dtype in records_schema().items():
        if name != "numbers":
            assert schema[name] == dtype, name


def test_large_batches_are_decided_in_parts_with_the_same_result() -> None:
    rows = [
        [f"S{i}", f'[{{"calledNo":"{i % 7}"}},{{"calledNo":"{i % 3}"}}]'] for i in range(120_001)
    ]
    rows[60_000][1] = "[]"
    columns = ColumnMap({"sessionId": 0, "called": 1}, ())
    decided = decide(batch_of(rows, 2), columns, call_data_must_be_json=False, default_region=None)
    assert decided.undecided.to_list() == [60_000]
    assert decided.records["session_id"].to_list() == [
        f"S{i}" for i in range(120_001) if i != 60_000
    ]
    keys = decided.records["called_key"].to_list()
    expected = [",".join(sorted({str(i % 7), str(i % 3)})) for i in range(120_001) if i != 60_000]
    assert keys == expected
    assert keys[:4] == ["0", "1", "2", "0,3"]
