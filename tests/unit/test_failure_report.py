"""The failed-rows report: columns, encoding, and formula neutralisation in xlsx and CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from openisales.exports import failure_report
from openisales.exports.failure_report import Failure, neutralise, write_failure_report

SOURCE_HEADER = ["sessionId (Optional)", "called (Mandatory)", '=HYPERLINK("x")']
DANGEROUS = ["=1+1", "+8613800001234", "-5", "@SUM(A1)", "\tcmd", "\r=2"]
FAILURES: list[Failure] = [
    (2, "called", "02000001", "called.required", "called is empty.", ["s1", "", "x"]),
    (5, "called[1].calledNo", "02000002", "called.calledNo.chars", "bad", DANGEROUS),
    (9, "recycleTime", "02000006", "recycleTime.format", "-wrong", ["张三", "13800001234"]),
]
EXPECTED_HEADER = [
    "row",
    "column",
    "code",
    "rule",
    "message",
    "sessionId (Optional)",
    "called (Mandatory)",
    '\'=HYPERLINK("x")',
]
EXPECTED_LINES = [
    ["2", "called", "02000001", "called.required", "called is empty.", "s1", "", "x"],
    [
        *["5", "called[1].calledNo", "02000002", "called.calledNo.chars", "bad"],
        *["'=1+1", "'+8613800001234", "'-5", "'@SUM(A1)", "'\tcmd", "'\r=2"],
    ],
    ["9", "recycleTime", "02000006", "recycleTime.format", "'-wrong", "张三", "13800001234"],
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-5", "'-5"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
        ("'=1", "'=1"),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def _trimmed(row: Sequence[Any]) -> list[Any]:
    """The row without the empty cells a sheet pads it with up to its widest row."""
    cells = list(row)
    while cells and cells[-1] in (None, ""):
        cells.pop()
    return cells


def csv_report(failures: list[Failure]) -> bytes:
    out = io.BytesIO()
    write_failure_report(out, "csv", SOURCE_HEADER, iter(failures))
    assert not out.closed
    return out.getvalue()


def test_csv_report_is_utf8_with_bom_and_neutralised() -> None:
    data = csv_report(FAILURES)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == EXPECTED_HEADER
    assert lines[1:] == EXPECTED_LINES
    assert b"\r\n" in data


def test_csv_report_without_failures_has_the_header() -> None:
    data = csv_report([])
    assert (
        data.decode("utf-8-sig")
        == ",".join(
            [
                "row",
                "column",
                "code",
                "rule",
                "message",
                "sessionId (Optional)",
                "called (Mandatory)",
            ]
        )
        + ',"\'=HYPERLINK(""x"")"\r\n'
    )


def xlsx_report(failures: list[Failure]) -> bytes:
    out = io.BytesIO()
    write_failure_report(out, "xlsx", SOURCE_HEADER, iter(failures))
    assert not out.closed
    return out.getvalue()


def test_xlsx_report_read_back_with_openpyxl(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(xlsx_report(FAILURES))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    assert sheet.title == "failed rows"
    # XlsxWriter stores a carriage return as _x000D_, which Excel decodes and openpyxl does not.
    values = [
        [v.replace("_x000D_", "\r") if isinstance(v, str) else v for v in _trimmed(row)]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert values[0] == EXPECTED_HEADER
    assert values[1:] == [[int(line[0]), *line[1:]] for line in EXPECTED_LINES]
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "n"
        assert all(
            cell.data_type in ("s", "inlineStr") for cell in row[1:] if cell.value is not None
        )
    assert sheet.freeze_panes == "A2"


def test_xlsx_report_read_back_with_calamine() -> None:
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(xlsx_report(FAILURES))).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert _trimmed(rows[0]) == EXPECTED_HEADER
    assert rows[2][5:11] == ["'=1+1", "'+8613800001234", "'-5", "'@SUM(A1)", "'\tcmd", "'\r=2"]
    assert rows[3][5] == "张三"
    assert rows[3][6] == "13800001234"  # a text cell: no float, no 1.38E+10


def test_xlsx_report_is_streamed_with_inline_strings() -> None:
    with zipfile.ZipFile(io.BytesIO(xlsx_report(FAILURES))) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
        names = archive.namelist()
    # Constant-memory mode writes strings inline instead of building a shared-strings table.
    assert 't="inlineStr"' in sheet_xml
    assert "xl/sharedStrings.xml" not in names
    assert "<f>" not in sheet_xml


def test_xlsx_report_continues_on_a_new_sheet_when_one_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(failure_report, "XLSX_MAX_ROWS", 3)

    def failures() -> Iterator[Failure]:
        for n in range(5):
            yield (n + 2, "called", "02000001", "called.required", f"m{n}", [str(n)])

    workbook = openpyxl.load_workbook(io.BytesIO(_write_xlsx(failures())))
    assert workbook.sheetnames == ["failed rows", "failed rows 2", "failed rows 3"]
    sizes = []
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:5] == ("row", "column", "code", "rule", "message")
        sizes.append([row[0] for row in rows[1:]])
    assert sizes == [[2, 3], [4, 5], [6]]


def _write_xlsx(failures: Iterator[Failure]) -> bytes:
    out = io.BytesIO()
    write_failure_report(out, "xlsx", ["x"], failures)
    return out.getvalue()


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        write_failure_report(io.BytesIO(), "pdf", [], [])  # type: ignore[arg-type]
