"""The xlsx pre-scan: the used range from the sheet XML, without building any cell."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from tests.support.hostile_files import (
    SHEET_PART,
    inline_cell,
    sparse_xlsx,
    write_numeric_xlsx,
    xlsx_from_sheet_data,
)
from tests.support.spreadsheets import write_xlsx

from openisales.readers import ReadError, ReadErrorKind, explain_too_large, open_sheet, xlsx_scan
from openisales.readers.xlsx_scan import UsedRange, declared_range, scan_used_range

XFD_MESSAGE = (
    "the sheet's used range is 16384 columns x 1048576 rows (A1:XFD1048576); "
    "the template has at most 256 columns"
)


def _write(tmp_path: Path, data: bytes, name: str = "sheet.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _scan(path: Path) -> UsedRange | None:
    with zipfile.ZipFile(path) as archive:
        return scan_used_range(archive, SHEET_PART)


def _calamine_end(path: Path) -> tuple[int, int] | None:
    """Where calamine says the used range ends: the truth the scan must match."""
    with CalamineWorkbook.from_path(str(path)) as workbook:
        end = workbook.get_sheet_by_index(0).end
    return None if end is None else (end[0], end[1])


def _c(text: str = "x") -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


# Sheets laid out as the format allows, each small enough for calamine to read: the scan must
# find the same last row and column as calamine.
LAYOUTS = {
    "refs everywhere": f'<row r="1">{inline_cell("A1", "a")}{inline_cell("C1", "b")}</row>'
    f'<row r="7">{inline_cell("B7", "c")}</row>',
    "no refs at all": f"<row>{_c()}{_c()}{_c()}</row><row></row><row>{_c()}</row>",
    "rows with r, cells without": f'<row r="3">{_c()}{_c()}</row><row r="9">{_c()}</row>',
    "cells continue after an r": f'<row r="2">{inline_cell("D2", "d")}{_c()}{_c()}</row>',
    "rows without r follow one with r": f'<row r="5">{_c()}</row><row>{_c()}</row><row>{_c()}</row>',
    "self-closing rows and cells move nothing": f"<row/><row>{_c()}<c/>{_c()}</row><row/>"
    f"<row>{_c()}</row>",
    "a self-closing row with r moves on": f'<row r="4"/><row>{_c()}{_c()}</row>',
    "a row longer than a piece": "<row>" + _c() * 40 + "</row>",
    "cells out of order": f'<row r="40">{inline_cell("A40", "z")}</row>'
    f'<row r="1">{inline_cell("E1", "a")}</row>',
    "r not first": '<row spans="1:2" r="4"><c t="inlineStr" r="F4"><is><t>x</t></is></c></row>'
    f"<row>{_c()}</row>",
    "namespace prefixes": '<x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t>p</x:t></x:is>'
    "</x:c></x:row>",
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
@pytest.mark.parametrize("chunk", [1 << 20, 7], ids=["one piece", "cut every 7 bytes"])
def test_scan_finds_the_range_calamine_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str, chunk: int
) -> None:
    path = _write(tmp_path, xlsx_from_sheet_data(LAYOUTS[layout].encode()))
    monkeypatch.setattr(xlsx_scan, "_CHUNK_BYTES", chunk)
    monkeypatch.setattr(xlsx_scan, "_MAX_TAG_BYTES", 64)  # long rows are cut tag by tag
    used = _scan(path)
    assert used is not None
    assert (used.last_row, used.last_column) == _calamine_end(path)


def test_a_generated_workbook_matches_calamine(tmp_path: Path) -> None:
    rows = [[f"s{i}", str(13800000000 + i), None, "x" * (i % 5)] for i in range(300)]
    path = write_xlsx(tmp_path / "real.xlsx", ["sessionId", "called", "caller", "note"], rows)
    with zipfile.ZipFile(path) as archive:
        used = scan_used_range(archive, xlsx_scan._first_visible_part(archive) or "")
    assert used is not None
    assert (used.last_row, used.last_column) == _calamine_end(path)


def test_rows_without_r_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "flood.xlsx"
    write_numeric_xlsx(path, 500, 30, refs=False, dimension=None)
    assert _scan(path) == UsedRange(500, 29)
    assert _scan(path) == UsedRange(*(_calamine_end(path) or (0, 0)))


def test_a_formatted_empty_cell_counts_when_it_has_an_r(tmp_path: Path) -> None:
    # calamine skips it; the scan bounds the range from above and counts it.
    data = f'<row r="1">{inline_cell("A1", "called")}<c r="K9" s="1"/></row>'
    assert _scan(_write(tmp_path, xlsx_from_sheet_data(data.encode()))) == UsedRange(8, 10)


def test_declared_dimension(tmp_path: Path) -> None:
    honest = _write(tmp_path, sparse_xlsx([("A1", "called"), ("IV400000", "x")]), "a.xlsx")
    forged = _write(tmp_path, sparse_xlsx([("A1", "called")], dimension="$A$1:$C$9"), "b.xlsx")
    missing = _write(tmp_path, sparse_xlsx([("A1", "called")], dimension=None), "c.xlsx")
    with zipfile.ZipFile(honest) as archive:
        assert declared_range(archive, SHEET_PART) == UsedRange(399_999, 255)
    with zipfile.ZipFile(forged) as archive:
        assert declared_range(archive, SHEET_PART) == UsedRange(8, 2)
    with zipfile.ZipFile(missing) as archive:
        assert declared_range(archive, SHEET_PART) is None


def test_a_huge_range_is_refused_before_calamine_builds_it(tmp_path: Path) -> None:
    """A1 and XFD1048576: calamine would ask for 512 GiB and abort this very process."""
    path = _write(tmp_path, sparse_xlsx([("A1", "called"), ("XFD1048576", "x")]))
    assert path.stat().st_size < 2000
    with pytest.raises(ReadError) as caught:
        open_sheet(path)
    assert caught.value.kind is ReadErrorKind.TOO_LARGE
    assert XFD_MESSAGE in caught.value.message


def test_a_range_of_too_many_cells_is_refused_before_calamine_builds_it(tmp_path: Path) -> None:
    """A1 and IV400000: 102,400,000 cells, 3.2 GiB of calamine grid for a 1.5 KB file."""
    path = _write(tmp_path, sparse_xlsx([("A1", "called"), ("IV400000", "x")]))
    with pytest.raises(ReadError) as caught:
        open_sheet(path)
    assert caught.value.kind is ReadErrorKind.TOO_LARGE
    assert (
        "the sheet's used range is 256 columns x 400000 rows (A1:IV400000, 102,400,000 cells); "
        "at most 10,000,000 cells can be read" in caught.value.message
    )


def test_a_dimension_larger_than_the_cells_does_not_refuse(tmp_path: Path) -> None:
    path = _write(tmp_path, sparse_xlsx([("A1", "called"), ("A2", "1")], dimension="A1:XFD9"))
    sheet = open_sheet(path)
    assert list(sheet.rows) == [(2, ["1"])]


def test_the_range_calamine_built_is_checked_too(tmp_path: Path) -> None:
    # A forged dimension lets the file reach calamine; its range is then refused all the same.
    path = _write(tmp_path, sparse_xlsx([("A1", "called"), ("Z9", "x")], dimension="A1:A2"))
    with pytest.raises(ReadError) as caught:
        open_sheet(path, max_columns=20)
    assert "26 columns x 9 rows (A1:Z9); the template has at most 20 columns" in (
        caught.value.message
    )
    with pytest.raises(ReadError) as caught:
        open_sheet(path, max_cells=200)
    assert "(A1:Z9, 234 cells); at most 200 cells can be read" in caught.value.message


def test_explain_reads_the_coordinates_of_a_forged_file(tmp_path: Path) -> None:
    forged = sparse_xlsx([("A1", "called"), ("XFD1048576", "x")], dimension="A1:A2")
    message = explain_too_large(_write(tmp_path, forged))
    assert message is not None and XFD_MESSAGE in message
    small = _write(tmp_path, sparse_xlsx([("A1", "called"), ("B2", "x")]), "small.xlsx")
    assert explain_too_large(small) is None
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("called\n1\n")
    assert explain_too_large(csv_file) is None


def test_the_first_visible_worksheet_is_scanned(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title = "hidden"
    hidden["XFD1"] = "far"
    hidden.sheet_state = "hidden"
    book.create_sheet("data")["A1"] = "called"
    book.create_sheet("later")["XFD5"] = "far"
    path = tmp_path / "sheets.xlsx"
    book.save(path)
    assert explain_too_large(path) is None  # "data" is what calamine reads
    with zipfile.ZipFile(path) as archive:
        part = xlsx_scan._first_visible_part(archive)
        assert part is not None
        assert scan_used_range(archive, part) == UsedRange(0, 0)
