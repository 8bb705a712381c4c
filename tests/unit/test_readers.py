"""Reading xlsx/ods/csv files into a header and numbered rows of raw cells."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from tests.support.spreadsheets import XLSX_WRITERS, write_csv, write_ods, write_xlsx

from openisales.readers import ReadError, ReadErrorKind, Sheet, open_sheet

HEADER = [
    "sessionId (Optional)",
    "called (Mandatory)",
    "caller (Optional)",
    "recycleTime (Optional)",
]
CALLED = '[{"calledNo":"13800001234"}]'


def rows_of(sheet: Sheet) -> list[tuple[int, list[Any]]]:
    return list(sheet.rows)


def read_error(path: Path, **limits: int) -> ReadError:
    with pytest.raises(ReadError) as caught:
        sheet = open_sheet(path, **limits)
        rows_of(sheet)
    return caught.value


# --- workbooks ------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", XLSX_WRITERS)
def test_xlsx_cells_come_back_raw(tmp_path: Path, writer: Any) -> None:
    path = write_xlsx(
        tmp_path / "data.xlsx",
        HEADER,
        [
            ["s1", 13800001234, 95511, datetime(2024, 6, 1, 18, 0, 0)],
            ["s2", CALLED, "", date(2024, 6, 2)],
            ["s3", "  13800001235 ", None, "2024-06-03 08:00:00"],
        ],
        writer=writer,
    )
    sheet = open_sheet(path)
    assert (sheet.format, sheet.header_row, sheet.encoding) == ("xlsx", 1, None)
    assert sheet.header == HEADER
    assert rows_of(sheet) == [
        (2, ["s1", 13800001234.0, 95511.0, datetime(2024, 6, 1, 18, 0, 0)]),
        (3, ["s2", CALLED, None, date(2024, 6, 2)]),
        (4, ["s3", "  13800001235 ", None, "2024-06-03 08:00:00"]),
    ]


@pytest.mark.parametrize("writer", XLSX_WRITERS)
def test_blank_rows_are_skipped_and_row_numbers_match_excel(tmp_path: Path, writer: Any) -> None:
    # Header in row 4 and data from column C: two blank rows above, blank and
    # whitespace-only rows between the data.
    path = write_xlsx(
        tmp_path / "gaps.xlsx",
        ["called", "caller"],
        [["1", "a"], [], ["2", None], [" ", "  "], [], [None, "3"]],
        writer=writer,
        first_row=4,
        first_column=3,
    )
    sheet = open_sheet(path)
    assert sheet.header_row == 4
    assert sheet.header == [None, None, "called", "caller"]
    assert sheet.rows_below_header == 6
    assert rows_of(sheet) == [
        (5, [None, None, "1", "a"]),
        (7, [None, None, "2", None]),
        (10, [None, None, None, "3"]),
    ]


def test_ods_cells_and_row_numbers(tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "data.ods",
        ["called", "recycleTime", "flag"],
        [[13800001234, datetime(2024, 6, 1, 18, 0), True], [], ["2", date(2024, 6, 2), None]],
        first_row=3,
    )
    sheet = open_sheet(path)
    assert (sheet.format, sheet.header_row, sheet.header) == (
        "ods",
        3,
        ["called", "recycleTime", "flag"],
    )
    assert rows_of(sheet) == [
        (4, [13800001234.0, datetime(2024, 6, 1, 18, 0), True]),
        (6, ["2", date(2024, 6, 2), None]),
    ]


def test_first_visible_sheet_is_read(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    assert hidden is not None
    hidden.title = "lists"
    hidden.append(["not the data"])
    hidden.sheet_state = "hidden"
    data = workbook.create_sheet("data")
    data.append(["called"])
    data.append(["13800001234"])
    workbook.create_sheet("notes").append(["later sheet"])
    path = tmp_path / "hidden.xlsx"
    workbook.save(path)
    sheet = open_sheet(path)
    assert sheet.header == ["called"]
    assert rows_of(sheet) == [(2, ["13800001234"])]


def test_format_comes_from_content_not_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "export.csv", ["called"], [["1"]])
    sheet = open_sheet(path)
    assert sheet.format == "xlsx"
    assert rows_of(sheet) == [(2, ["1"])]


# --- files that are not spreadsheets --------------------------------------------------------


def test_html_page_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "calls.xlsx"
    path.write_text("\n<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    error = read_error(path)
    assert error.kind is ReadErrorKind.NOT_A_SPREADSHEET
    assert '"calls.xlsx" is not a spreadsheet: it is an HTML page' in error.message


def test_csv_text_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "calls.xlsx"
    path.write_text("called\n13800001234\n")
    error = read_error(path)
    assert error.kind is ReadErrorKind.NOT_A_SPREADSHEET
    assert "plain text; if it is CSV, name it .csv" in error.message


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "calls.xlsx"
    path.write_bytes(bytes(range(256)) * 4)
    error = read_error(path)
    assert error.kind is ReadErrorKind.NOT_A_SPREADSHEET
    assert "unknown format" in error.message


def test_truncated_xlsx(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", ["called"], [[str(n)] for n in range(2000)])
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    error = read_error(path)
    assert error.kind is ReadErrorKind.NOT_A_SPREADSHEET
    assert "damaged or incomplete" in error.message


def test_zip_that_is_a_word_document(tmp_path: Path) -> None:
    path = tmp_path / "calls.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    error = read_error(path)
    assert error.kind is ReadErrorKind.NOT_A_SPREADSHEET
    assert "is a zip archive but not a spreadsheet (it is a Word document)" in error.message


def test_xlsx_with_broken_parts(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook")
    error = read_error(path)
    assert error.kind is ReadErrorKind.NOT_A_SPREADSHEET
    assert "is not a readable Excel workbook" in error.message


def test_ole2_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1024))
    error = read_error(path)
    assert error.kind is ReadErrorKind.NOT_A_SPREADSHEET
    assert "Excel 97-2003 workbook" in error.message


# --- empty and header-only ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.xlsx", "empty.csv"])
def test_zero_byte_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    error = read_error(path)
    assert error.kind is ReadErrorKind.EMPTY
    assert "empty (0 bytes)" in error.message


@pytest.mark.parametrize("writer", XLSX_WRITERS)
def test_workbook_without_cells(tmp_path: Path, writer: Any) -> None:
    assert (
        read_error(write_xlsx(tmp_path / "e.xlsx", None, writer=writer)).kind is ReadErrorKind.EMPTY
    )


def test_workbook_with_only_blank_cells(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "blank.xlsx", None, [[" ", ""], [], ["\t"]])
    assert read_error(path).kind is ReadErrorKind.EMPTY


def test_csv_with_only_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("\n\n ,  ,\n\n")
    assert read_error(path).kind is ReadErrorKind.EMPTY


@pytest.mark.parametrize("writer", XLSX_WRITERS)
def test_header_only_workbook(tmp_path: Path, writer: Any) -> None:
    path = write_xlsx(tmp_path / "h.xlsx", HEADER, [[], [None, " "]], writer=writer)
    error = read_error(path)
    assert error.kind is ReadErrorKind.HEADER_ONLY
    assert "has a header row but no data rows" in error.message


def test_header_only_csv(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("called,caller\r\n,\r\n\r\n")
    assert read_error(path).kind is ReadErrorKind.HEADER_ONLY


# --- limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_too_many_rows_fails_before_any_row(tmp_path: Path, kind: str) -> None:
    rows = [[str(n)] for n in range(4)]
    path = (write_xlsx if kind == "xlsx" else write_csv)(tmp_path / f"big.{kind}", ["called"], rows)
    with pytest.raises(ReadError) as caught:
        open_sheet(path, max_rows=3)
    assert caught.value.kind is ReadErrorKind.TOO_MANY_ROWS
    assert "has 4 data rows; at most 3 rows can be imported" in caught.value.message


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_row_limit_counts_only_non_blank_rows(tmp_path: Path, kind: str) -> None:
    rows: list[list[Any]] = [["1"], [], [" "], ["2"], [], [], ["3"], [], []]
    path = (write_xlsx if kind == "xlsx" else write_csv)(
        tmp_path / f"gaps.{kind}", ["called"], rows
    )
    sheet = open_sheet(path, max_rows=3)
    assert sheet.rows_below_header == 3
    assert [number for number, _ in rows_of(sheet)] == [2, 5, 8]


def test_row_limit_with_old_mac_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b"called\r1\r2\r3\r4\r")
    with pytest.raises(ReadError) as caught:
        open_sheet(path, max_rows=3)
    assert caught.value.kind is ReadErrorKind.TOO_MANY_ROWS
    assert [n for n, _ in open_sheet(path, max_rows=4).rows] == [2, 3, 4, 5]


def test_row_limit_at_the_limit(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "three.xlsx", ["called"], [["1"], ["2"], ["3"]])
    assert len(rows_of(open_sheet(path, max_rows=3))) == 3


def test_zip_bomb_is_refused_from_declared_sizes(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 5_000_000)
    assert path.stat().st_size < 20_000
    error = read_error(path, max_uncompressed_bytes=1_000_000)
    assert error.kind is ReadErrorKind.TOO_LARGE
    assert "would unpack to 5,000,011 bytes; the limit is 1,000,000 bytes" in error.message


def test_normal_workbook_under_the_unpacked_limit(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "small.xlsx", ["called"], [["1"]])
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    assert rows_of(open_sheet(path, max_uncompressed_bytes=unpacked)) == [(2, ["1"])]
    assert read_error(path, max_uncompressed_bytes=unpacked - 1).kind is ReadErrorKind.TOO_LARGE


def test_csv_larger_than_the_limit(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", ["called"], [["1" * 20]] * 10)
    error = read_error(path, max_uncompressed_bytes=100)
    assert error.kind is ReadErrorKind.TOO_LARGE
    assert "the limit is 100" in error.message


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_too_many_columns(tmp_path: Path, kind: str) -> None:
    header = ["called", "a", "b", "c"]
    path = (write_xlsx if kind == "xlsx" else write_csv)(
        tmp_path / f"wide.{kind}", header, [["1", "2", "3", "4"]]
    )
    assert len(rows_of(open_sheet(path, max_columns=4))) == 1
    error = read_error(path, max_columns=3)
    assert error.kind is ReadErrorKind.TOO_LARGE
    if kind == "xlsx":
        assert "used range is 4 columns x 2 rows (A1:D2); the template has at most 3 columns" in (
            error.message
        )
    else:
        assert "row 1 has 4 columns; the limit is 3" in error.message


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_cell_longer_than_the_limit(tmp_path: Path, kind: str) -> None:
    rows = [["1", "x" * 10], ["2", "y" * 11]]
    path = (write_xlsx if kind == "xlsx" else write_csv)(
        tmp_path / f"long.{kind}", ["called", "note"], rows
    )
    sheet = open_sheet(path, max_cell_chars=10)
    assert next(sheet.rows) == (2, ["1", "x" * 10])
    with pytest.raises(ReadError) as caught:
        next(sheet.rows)
    assert caught.value.kind is ReadErrorKind.TOO_LARGE
    assert "Cell B3 holds 11 characters; the limit is 10." in caught.value.message


def test_csv_field_beyond_the_csv_module_limit(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "huge.csv", ["called", "note"], [["1", "x" * 200_000]])
    error = read_error(path, max_cell_chars=1_000_000)
    assert error.kind is ReadErrorKind.TOO_LARGE


# --- CSV ------------------------------------------------------------------------------------

CHINESE_ROWS = [["张三", '[{"calledNo":"13800001234","type":"手机"}]', "", "备注，含逗号"]]
CHINESE_HEADER = ["sessionId", "called", "caller", "customField"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    delimiter = "\t" if encoding == "utf-16" else ","
    path = write_csv(
        tmp_path / "cn.csv", CHINESE_HEADER, CHINESE_ROWS, encoding=encoding, delimiter=delimiter
    )
    sheet = open_sheet(path)
    assert sheet.encoding == encoding
    assert sheet.header == CHINESE_HEADER  # no BOM left on the first name
    assert rows_of(sheet) == [
        (2, ["张三", '[{"calledNo":"13800001234","type":"手机"}]', None, "备注，含逗号"])
    ]


def test_csv_in_neither_encoding(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"called\n\xff\xff\xfe\x80\n")
    error = read_error(path)
    assert error.kind is ReadErrorKind.ENCODING
    assert "is not UTF-8 or GB18030 text (byte 7 cannot be decoded)" in error.message


def test_csv_semicolons_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text('called;customField\n"[{""calledNo"":""1""}]";"a;b"\n')
    assert rows_of(open_sheet(path)) == [(2, ['[{"calledNo":"1"}]', "a;b"])]


def test_csv_record_with_a_line_break_is_one_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "nl.csv", ["called", "customField"], [["1", "two\nlines"], ["2", "x"]]
    )
    assert rows_of(open_sheet(path)) == [(2, ["1", "two\nlines"]), (3, ["2", "x"])]


def test_csv_short_rows_keep_their_length(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("sessionId,called,caller\r\ns1,1\r\n")
    assert rows_of(open_sheet(path)) == [(2, ["s1", "1"])]


def test_txt_is_read_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "calls.txt"
    path.write_text("called\tcaller\n1\t2\n")
    sheet = open_sheet(path)
    assert (sheet.format, sheet.header) == ("csv", ["called", "caller"])


def test_csv_with_nul_bytes_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"called\n1\x002\n")
    error = read_error(path)
    assert error.kind is ReadErrorKind.NOT_A_SPREADSHEET
    assert "binary data" in error.message


def test_read_error_kind_values_are_stable() -> None:
    assert [kind.value for kind in ReadErrorKind] == [
        "not_a_spreadsheet",
        "empty",
        "header_only",
        "too_many_rows",
        "too_large",
        "encoding",
    ]
