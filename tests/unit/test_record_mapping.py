"""The record mapping writer: both formats, formula-safe cells, exact ids, sheets that fill up."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

import openpyxl
import pytest

from openisales.exports import MAPPING_COLUMNS, MappingLine, record_mapping, write_mapping

LINES: list[MappingLine] = [
    (2, 1, "=cmd|' /C calc'!A0", "13800000001", "", "pending"),
    (3, 2, "+1", "13800000002;13800000003", "", "blocked"),
    (4, 10**18 + 7, "-1", "@SUM(1)", "\tx", "pending"),
    (None, 3, "", "13800000004", "", "pending"),
]


def test_csv_neutralises_every_formula_start_and_keeps_ids_exact() -> None:
    out = io.BytesIO()
    write_mapping(out, "csv", iter(LINES))
    lines = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert lines == [
        list(MAPPING_COLUMNS),
        ["2", "1", "'=cmd|' /C calc'!A0", "13800000001", "", "pending"],
        ["3", "2", "'+1", "13800000002;13800000003", "", "blocked"],
        ["4", str(10**18 + 7), "'-1", "'@SUM(1)", "'\tx", "pending"],
        ["", "3", "", "13800000004", "", "pending"],
    ]


def test_xlsx_is_streamed_as_text_cells_with_ids_too_long_for_excel_as_text() -> None:
    out = io.BytesIO()
    write_mapping(out, "xlsx", iter(LINES))
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == MAPPING_COLUMNS
    assert rows[1] == (2, 1, "'=cmd|' /C calc'!A0", "13800000001", "", "pending")
    assert rows[3][:3] == (4, str(10**18 + 7), "'-1")  # 19 digits: Excel would round a number
    assert rows[4][:2] == (None, 3)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
        assert "xl/sharedStrings.xml" not in book.namelist()  # constant-memory mode
    assert "<f>" not in sheet_xml


def test_xlsx_continues_on_a_new_sheet_when_one_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_mapping, "XLSX_MAX_ROWS", 3)

    def lines() -> Iterator[MappingLine]:
        for n in range(5):
            yield (n + 2, n + 1, f"s{n}", "13800000000", "", "pending")

    out = io.BytesIO()
    write_mapping(out, "xlsx", lines())
    workbook = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == ["records", "records 2", "records 3"]
    sizes = [[row[0] for row in list(sheet.iter_rows(values_only=True))[1:]] for sheet in workbook]
    assert sizes == [[2, 3], [4, 5], [6]]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mapping format 'pdf'"):
        write_mapping(io.BytesIO(), "pdf", [])  # type: ignore[arg-type]
