"""The columnar import gives what the per-row import gives, file for file.

The oracle is the import as it was before the columnar path: ``open_sheet``, ``validate_row`` on
every non-blank row, a record row per accepted row. The columnar path (``calldata_rows.produce``:
batches, the column rules, the per-row validator for the rows they leave undecided; then
``calldata_import``'s tallies) must give the same record rows in the same order, the same
failure rows (rule names, columns, messages, the row's cells as text, as wide as the sheet) and
the same counts, for random and hostile files. Which records are duplicates is the database's
unique index (``storage.bulk``), tested on both databases in tests/imports.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openisales.domain.record_row import RecordRow
from openisales.domain.template import FIELDS, TemplateError, map_header
from openisales.domain.validation import is_blank, validate_row
from openisales.readers import ReadError, open_sheet, xlsx_book
from openisales.services import calldata_rows
from openisales.services.calldata_import import _Tally
from openisales.services.calldata_rows import (
    Chunk,
    FileRejected,
    Header,
    RowSpec,
    _failure_rows,
    _row,
    produce,
)

Failure = tuple[int, str, str, str, str, list[str]]


@dataclass
class Outcome:
    header: list[str]
    records: list[RecordRow]
    failures: list[Failure]
    total: int
    failed: int


def per_row_import(path: Path, spec: RowSpec) -> Outcome:
    """The oracle: every row through the per-row validator."""
    sheet = open_sheet(path, max_rows=spec.max_rows)
    columns = map_header(sheet.header)
    records: list[RecordRow] = []
    failures: list[Failure] = []
    total = failed = 0
    for row_number, cells in sheet.rows:
        if is_blank(cells):
            continue
        total += 1
        result = validate_row(
            cells,
            columns,
            row_number,
            call_data_must_be_json=spec.call_data_must_be_json,
            default_region=spec.default_region,
        )
        if isinstance(result, list):
            failed += 1
            failures.extend(_failure_rows(result, cells))
        else:
            records.append(_row(spec, row_number, result))
    return Outcome(list(columns.header), records, failures, total, failed)


def columnar_import(path: Path, spec: RowSpec) -> Outcome:
    """The product's path, in this process: ``produce`` and the importer's tally."""
    messages = produce(path, spec)
    header = next(messages)
    assert isinstance(header, Header)
    tally = _Tally()
    records: list[RecordRow] = []
    for chunk in messages:
        assert isinstance(chunk, Chunk)
        tally.add(chunk, chunk.rows.height)
        records.extend(chunk.rows.iter_rows())
    padded = header.columns + [""] * (tally.width - len(header.columns))
    return Outcome(padded, records, tally.padded_failures(), tally.total, tally.failed_rows)


# --- what the files hold -------------------------------------------------------------------

_digits = st.text("0123456789", min_size=1, max_size=13)
_number_text = st.one_of(
    _digits,
    st.sampled_from(["13800001234", "4001234567#12", "*99#", "+8613800001234", "1.38E+10"]),
    st.sampled_from(["13800a01234", "1" * 25, "١٢٣", " 13800001234 ", "", "-5"]),
)
_delay: st.SearchStrategy[Any] = st.one_of(
    st.integers(-1, 7201),
    st.sampled_from(["30", " 30 ", "x", "30.0", 30.0, 30.5, None, True]),
)
_type: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(["mobile", "fixed line", " mobile", "", "类型", 'a"b', "a\\b", 5, None]),
    st.text(max_size=6),
)


@st.composite
def _called_item(draw: st.DrawFn) -> Any:
    item: dict[str, Any] = {}
    number = draw(st.one_of(_number_text, st.integers(0, 10**12), st.none()))
    if number is not None:
        item["calledNo"] = number
    delay = draw(_delay)
    if delay is not None:
        item["delayTime"] = delay
    kind = draw(_type)
    if kind is not None:
        item["type"] = kind
    if draw(st.booleans()) and len(item) > 1:  # another key order
        item = dict(reversed(list(item.items())))
    return item


@st.composite
def _called_json(draw: st.DrawFn) -> str:
    items = draw(st.lists(_called_item(), min_size=0, max_size=3))
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")]))
    text = json.dumps(items, ensure_ascii=draw(st.booleans()), separators=separators)
    if draw(st.integers(0, 9)) == 0:
        text = text.replace('"', "'")  # the documentation's single-quoted form
    if draw(st.integers(0, 9)) == 0 and items:
        text = json.dumps(items[0])  # one object without the array
    return text


_called = st.one_of(
    _called_json(),
    _called_json(),
    _number_text,
    st.floats(-1e3, 1e16).map(lambda value: float(round(value, 3))),
    st.sampled_from([13800001234.0, 1e15, 4001234567.5, "[]", "{}", "[1,", "null", "  "]),
)
_text = st.one_of(
    st.text(string.ascii_letters + string.digits + " -_", max_size=40),
    st.text(max_size=8),  # any character: controls, surrogates, non-BMP
    st.sampled_from(["é 数据", " padded ", "line\nbreak", "tab\there", "\u00a0nbsp", "x" * 201]),
)
_session = st.one_of(_text, st.sampled_from(["S1", "S2", "S1 "]), st.floats(0, 1e6))
_caller = st.one_of(_number_text, st.floats(0, 1e12), st.sampled_from(["1.38E+10", "4001"]))
_call_data = st.one_of(
    _text,
    st.sampled_from(['{"name":"value"}', '{"a": [1, 2]}', "[1]", "not json", "x" * 1025]),
)
_recycle = st.one_of(
    st.sampled_from(["2024-06-01 18:00:00", " 2024-06-01 18:00:00 ", "2024-02-30 10:00:00"]),
    st.sampled_from(
        ["2024-06-01 23:59:60", "2024/06/01 18:00:00", "2024-06-01", "0000-01-01 00:00:00"]
    ),
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.floats(0, 50000),
)
_priority = st.one_of(
    st.sampled_from([1.0, 3.0, 5.0, 0.0, 6.0, 2.5, "3", " 4 ", "x", "1.0", "", -1.0]),
    st.integers(0, 6).map(float),
)
# Cells that are valid, in the shapes files have: most cells of a generated row are one.
_called_ok = st.one_of(
    st.lists(
        st.fixed_dictionaries(
            {"calledNo": st.from_regex(r"1[0-9]{10}|400[0-9]{7}#[0-9]{2}", fullmatch=True)},
            optional={
                "delayTime": st.one_of(st.integers(0, 60), st.sampled_from(["30", "0"])),
                "type": st.sampled_from(["mobile", "fixed line", "1"]),
            },
        ),
        min_size=1,
        max_size=3,
    ).map(lambda items: json.dumps(items, separators=(",", ":") if len(items) % 2 else None)),
    st.from_regex(r"1[0-9]{10}", fullmatch=True),
    st.integers(10**10, 2 * 10**10).map(float),
    st.sampled_from(["13800001234", "*99#"]),
)
_VALID_CELLS: dict[str, st.SearchStrategy[Any]] = {
    "sessionId": st.one_of(
        st.sampled_from(["S1", "S2", "S3", ""]), st.from_regex(r"C[0-9]{4}", fullmatch=True)
    ),
    "called": _called_ok,
    "caller": st.sampled_from(["4001234", "10086", 95533.0]),
    "callData": st.sampled_from(['{"name":"张三"}', "plain text", "多行\n文本"]),
    "customField": st.sampled_from(["batch=1", "客户", "a b"]),
    "recycleTime": st.sampled_from(["2099-06-01 18:00:00", "2030-01-31 00:00:00"]),
    "priority": st.sampled_from([1.0, 5.0, "3"]),
}
_FIELD_CELLS: dict[str, st.SearchStrategy[Any]] = {
    "sessionId": _session,
    "called": _called,
    "caller": _caller,
    "callData": _call_data,
    "customField": _text,
    "recycleTime": _recycle,
    "priority": _priority,
}


@st.composite
def _sheet(draw: st.DrawFn) -> tuple[list[str], list[list[Any]]]:
    present = draw(st.lists(st.sampled_from(FIELDS), unique=True, min_size=1, max_size=7))
    if "called" not in present:
        present.append("called")
    header = list(draw(st.permutations(present)))
    if draw(st.booleans()):
        header.insert(draw(st.integers(0, len(header))), "remark")  # a column the template ignores
    rows = []
    for _ in range(draw(st.integers(1, 25))):
        hostile = draw(st.integers(0, 3)) == 0  # a quarter of the rows break something, maybe
        row = [
            draw(st.one_of(st.none(), _FIELD_CELLS.get(name, _text)))
            if hostile and draw(st.booleans())
            else draw(_VALID_CELLS.get(name, _text))
            for name in header
        ]
        if draw(st.integers(0, 15)) == 0:
            row = [None] * len(row)  # a blank row
        if draw(st.integers(0, 30)) == 0:
            row[draw(st.integers(0, len(row) - 1))] = True  # a boolean cell
        rows.append(row)
    return header, rows


def _write(path: Path, header: list[str], rows: list[list[Any]], inline: bool) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": inline})
    sheet = workbook.add_worksheet()
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, 1):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            if type(cell) is bool:
                sheet.write_boolean(r, c, cell)
            elif type(cell) is datetime:
                sheet.write_datetime(r, c, cell, when)
            elif type(cell) is float:
                sheet.write_number(r, c, cell)
            else:
                sheet.write_string(r, c, str(cell))
    workbook.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sheet=_sheet(), inline=st.booleans(), must_be_json=st.booleans(), blocked=st.booleans())
def test_the_columnar_import_gives_what_the_per_row_import_gives(
    tmp_path: Path,
    sheet: tuple[list[str], list[list[Any]]],
    inline: bool,
    must_be_json: bool,
    blocked: bool,
) -> None:
    header, rows = sheet
    path = tmp_path / "calls.xlsx"
    _write(path, header, rows, inline)
    spec = RowSpec(
        campaign_pk=7,
        task_id="t" * 32,
        max_rows=500_000,
        call_data_must_be_json=must_be_json,
        blocked=frozenset({"13800001234", "*99#"}) if blocked else frozenset(),
    )
    try:
        expected = per_row_import(path, spec)
    except (ReadError, TemplateError) as exc:  # a file the per-row import refuses as a whole
        with pytest.raises(FileRejected) as refused:
            columnar_import(path, spec)
        assert str(refused.value) == (exc.message if isinstance(exc, ReadError) else str(exc))
        return
    got = columnar_import(path, spec)
    assert got.header == expected.header
    assert got.records == expected.records
    assert got.failures == expected.failures
    assert (got.total, got.failed) == (expected.total, expected.failed)


def test_a_file_the_columnar_reader_gives_up_on_mid_way_is_finished_per_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A boolean cell in row 500 of 600: the columnar reader has handed over the rows before
    it, the per-row reader takes over from the next row, and the whole equals the oracle."""
    monkeypatch.setattr(xlsx_book, "BLOCK_BYTES", 4096)  # many blocks: the boolean comes late
    monkeypatch.setattr(calldata_rows, "COLUMNAR_ROWS", 50)
    header = ["sessionId", "called", "caller", "priority"]
    rows: list[list[Any]] = [
        [f"S{n % 97}", f'[{{"calledNo":"138{n % 89:08d}"}}]', "4001", float(n % 6)]
        for n in range(600)
    ]
    rows[498][2] = True
    rows[100][1] = "not a number"
    path = tmp_path / "late.xlsx"
    _write(path, header, rows, inline=True)
    spec = RowSpec(
        campaign_pk=7, task_id="t" * 32, max_rows=500_000, call_data_must_be_json=False,
        blocked=frozenset({"13800000003"}),
    )  # fmt: skip
    got = columnar_import(path, spec)
    expected = per_row_import(path, spec)
    assert got == expected
    assert got.total == 600 and got.failed > 0 and len(got.records) == 600 - got.failed
    messages = list(produce(path, spec))
    last = messages[-1]
    assert isinstance(last, Chunk)
    assert last.reader.startswith("columnar to row ") and "then per-row" in last.reader
    assert int(last.reader.split()[3].rstrip(",")) > 100  # the columnar reader did read rows
