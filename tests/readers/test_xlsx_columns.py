"""The columnar xlsx reader gives what ``open_sheet`` gives, or says ``NotColumnar``.

Every comparison is against ``open_sheet`` (python-calamine) on the same file: header, header
row, row numbers, cell values and their types, and the ``ReadError`` (kind and message).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from openisales.readers import (
    MAX_CELLS,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    ReadError,
    open_sheet,
    xlsx_book,
    xlsx_cells,
)
from openisales.readers.model import Limits, ReadErrorKind
from openisales.readers.xlsx_columns import NotColumnar, open_columnar
from openisales.readers.xlsx_xml import WHITESPACE
from tests.support import hostile_files
from tests.support.spreadsheets import XLSX_WRITERS, write_xlsx

LIMITS = Limits(MAX_ROWS, 256, 32_767, MAX_UNPACKED_BYTES, MAX_CELLS)
Row = tuple[int, list[tuple[str, Any]]]


def typed(cells: Sequence[Any]) -> list[tuple[str, Any]]:
    """Cells with their types, so that 1.0 and "1.0" or 1 never compare equal."""
    return [(type(cell).__name__, cell) for cell in cells]


def per_row(path: Path, limits: Limits) -> tuple[list[Any], int, list[Row]] | ReadError:
    try:
        sheet = open_sheet(path, **limits._asdict())
        rows = [(number, typed(cells)) for number, cells in sheet.rows]
    except ReadError as exc:
        return exc
    return typed(sheet.header), sheet.header_row, rows


def columnar(
    path: Path, limits: Limits = LIMITS, batch_rows: int = 50_000
) -> tuple[list[Any], int, list[Row]]:
    """The columnar reader's header, header row and rows, each padded to the final width."""
    sheet = open_columnar(path, limits, batch_rows=batch_rows)
    batches = list(sheet.batches)
    widths = [batch.width for batch in batches]
    assert widths == sorted(widths), "batch widths never decrease"
    assert all(0 < len(batch) <= batch_rows for batch in batches)
    width = sheet.width
    assert len(sheet.header) <= width and all(w <= width for w in widths)
    rows = [
        (batch.row_number(i), typed(batch.cells(i) + [None] * (width - batch.width)))
        for batch in batches
        for i in range(len(batch))
    ]
    return typed(sheet.header + [None] * (width - len(sheet.header))), sheet.header_row, rows


def compare(path: Path, limits: Limits = LIMITS, batch_rows: int = 50_000) -> str:
    """ "same", "same error" or "not columnar: <reason>"; fails on any difference."""
    expected = per_row(path, limits)
    try:
        got = columnar(path, limits, batch_rows)
    except NotColumnar as exc:
        return f"not columnar: {exc.reason}"
    except ReadError as exc:
        assert isinstance(expected, ReadError), f"columnar raised {exc!r}, open_sheet did not"
        assert (exc.kind, exc.message) == (expected.kind, expected.message)
        return "same error"
    assert not isinstance(expected, ReadError), f"open_sheet raised {expected!r}, columnar not"
    assert got == expected
    return "same"


@contextmanager
def block_bytes(size: int) -> Iterator[None]:
    """Read the XML in blocks of ``size`` bytes: many blocks, cut at every kind of place."""
    with mock.patch.object(xlsx_book, "BLOCK_BYTES", size):
        yield


# --- random workbooks ---------------------------------------------------------------------

# Text of every kind a writer must escape or keep: XML specials, entities-to-be, whitespace
# of every sort (whitespace-only cells are empty to the per-row reader), control characters
# (XlsxWriter writes _xHHHH_), literal _xHHHH_, non-BMP characters, leading/trailing spaces.
_ALPHABET = st.one_of(
    st.sampled_from(list("<>&\"'ab 1;=_xX0F-") + list(WHITESPACE) + ["\x00", "\x01", "\x1b"]),
    st.characters(exclude_categories=["Cs"]),
)
_TEXT = st.one_of(
    st.text(_ALPHABET, max_size=12),
    st.sampled_from(["_x0041_", "_x005F_", "a_x000D_b", " x ", "&amp;", "\r\n", "  ", ""]),
)
_NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**15), 10**15),
    st.sampled_from([0.1, -0.0, 1e308, -1e-300, 5e-324, 13800001234, 2.5]),
)
_ODD = st.one_of(  # cells the columnar reader need not read
    st.booleans(), st.dates(date(1990, 1, 1), date(2100, 1, 1)), st.just(datetime(2024, 6, 1, 8))
)


def _cell(odd: bool) -> st.SearchStrategy[Any]:
    plain = st.one_of(st.none(), _TEXT, _NUMBER)
    return st.one_of(plain, _ODD) if odd else plain


@st.composite
def workbooks(draw: st.DrawFn) -> dict[str, Any]:
    odd = draw(st.booleans().map(lambda b: b and draw(st.integers(0, 4)) == 0))
    width = draw(st.integers(1, 6))
    rows = draw(
        st.lists(st.lists(_cell(odd), max_size=width), max_size=12),
    )
    return {
        "header": draw(st.one_of(st.none(), st.lists(_cell(odd), max_size=width))),
        "rows": rows,
        "first_row": draw(st.integers(1, 3)),
        "first_column": draw(st.integers(1, 3)),
        "odd": odd,
    }


_SMALL_LIMITS = st.builds(
    Limits,
    max_rows=st.one_of(st.just(MAX_ROWS), st.integers(1, 8)),
    max_columns=st.one_of(st.just(256), st.integers(1, 6)),
    max_cell_chars=st.one_of(st.just(32_767), st.integers(1, 10)),
    max_uncompressed_bytes=st.just(MAX_UNPACKED_BYTES),
    max_cells=st.one_of(st.just(MAX_CELLS), st.integers(1, 60)),
)


def _openpyxl_safe(value: Any) -> Any:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


@pytest.mark.parametrize("writer", XLSX_WRITERS)
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    book=workbooks(),
    limits=st.one_of(st.just(LIMITS), _SMALL_LIMITS),
    batch_rows=st.integers(1, 7),
    block=st.one_of(st.just(8 << 20), st.integers(60, 400)),
)
def test_random_workbooks_read_as_open_sheet_reads_them(
    tmp_path: Path,
    writer: Any,
    book: dict[str, Any],
    limits: Limits,
    batch_rows: int,
    block: int,
) -> None:
    note(f"{writer=} {book=} {limits=} {batch_rows=} {block=}")
    header, rows = book["header"], book["rows"]
    if writer == "openpyxl":  # openpyxl refuses control characters
        header = None if header is None else [_openpyxl_safe(v) for v in header]
        rows = [[_openpyxl_safe(v) for v in row] for row in rows]
    path = write_xlsx(
        tmp_path / "random.xlsx",
        header,
        rows,
        writer=writer,
        first_row=book["first_row"],
        first_column=book["first_column"],
    )
    with block_bytes(block):
        outcome = compare(path, limits, batch_rows)
    if not book["odd"]:
        # Text, numbers and blanks from these writers are always read columnar.
        assert not outcome.startswith("not columnar"), outcome


def test_a_sheet_of_many_blocks_and_batches(tmp_path: Path) -> None:
    rows = [[f"s{i}", i * 1.5, None if i % 3 else " ", "é&<" * (i % 4)] for i in range(400)]
    rows[150] = ["wider", 1.0, None, None, None, "late column"]
    rows[200] = []
    path = write_xlsx(tmp_path / "many.xlsx", ["a", "b", "c", "d"], rows, writer="xlsxwriter")
    with block_bytes(2_000):
        sheet = open_columnar(path, LIMITS, batch_rows=64)
        widths = [batch.width for batch in sheet.batches]
    assert len(widths) > 5 and widths[0] == 4 and widths[-1] == 6
    assert sheet.width == 6
    assert compare(path, LIMITS, 64) == "same"


def test_whitespace_is_what_str_isspace_says() -> None:
    assert "".join(c for c in map(chr, range(0x110000)) if c.isspace()) == WHITESPACE


# --- hand-written XML ---------------------------------------------------------------------

_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_PACKAGE_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships '
    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="x/worksheet" Target="worksheets/sheet2.xml"/>'
    '<Relationship Id="rId3" Type="x/chartsheet" Target="chartsheets/sheet1.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?><styleSheet '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{numfmts}'
    '<cellXfs count="2"><xf numFmtId="0"/>{xf}</cellXfs></styleSheet>'
)
_SHEET = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/>'
    "<sheetData>{rows}</sheetData></worksheet>"
)


def write_raw(
    path: Path,
    rows: str,
    *,
    shared: Sequence[str] | None = None,
    xf: str = "",
    numfmts: str = "",
    workbook: str = _WORKBOOK,
    sheet: str | None = None,
    second_sheet: str | None = None,
) -> Path:
    """An xlsx whose first sheet's ``<sheetData>`` holds ``rows`` (XML) exactly."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", _RELS)
        archive.writestr("xl/styles.xml", _STYLES.format(numfmts=numfmts, xf=xf))
        if shared is not None:
            archive.writestr(
                "xl/sharedStrings.xml",
                '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlforma'
                'ts.org/spreadsheetml/2006/main">' + "".join(shared) + "</sst>",
            )
        archive.writestr("xl/worksheets/sheet1.xml", sheet or _SHEET.format(rows=rows))
        if second_sheet is not None:
            archive.writestr("xl/worksheets/sheet2.xml", _SHEET.format(rows=second_sheet))
    return path


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = '<row r="1">' + inline("A1", "called") + inline("B1", "caller") + "</row>"


def data(cells: str, row: int = 2) -> str:
    return HEADER_ROW + f'<row r="{row}">{cells}</row>'


@pytest.mark.parametrize(
    ("name", "rows", "shared"),
    [
        # Rich text runs are joined; phonetic runs are skipped; a string with no <t> is "".
        (
            "rich text",
            data('<c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'),
            [
                '<si><r><rPr><b/></rPr><t>ab</t></r><r><t xml:space="preserve"> c&amp;d</t></r>'
                "</si>",
                '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/>'
                "</si>",
            ],
        ),
        (
            "every <t> outside phonetic runs",
            data(
                '<c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'
                '<c r="C2" t="s"><v>2</v></c><c r="D2" t="s"><v>3</v></c>'
            ),
            [
                "<si><t>a</t><t>b</t></si>",
                "<si><t>a</t><rPh><t>p</t></rPh><t>b</t></si>",
                "<si><x><t>a</t></x><r/></si>",
                "<si>\n  <r><t>a</t></r>\n  <t> b </t>\n</si>",
            ],
        ),
        (
            "phonetic between runs",
            data('<c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'),
            ["<si><r><t>a</t></r><rPh><t>x</t></rPh><r><t>b</t></r></si>", "<si/>"],
        ),
        # Entities in one pass; numeric references; xml:space changes nothing.
        (
            "entities",
            data(
                inline("A2", "&amp;lt; &lt;&gt;&quot;&apos;&#65;&#x42;&#38;amp;&#x1F600;")
                + '<c r="B2" t="s"><v>0</v></c>'
            ),
            ['<si><t xml:space="preserve">  &amp;amp; x  </t></si>'],
        ),
        # _x00HH_ is decoded after the entities, left to right; _x0100_ and up stay.
        (
            "byte escapes",
            data(
                inline("A2", "_x0041_ _x005F_x0041_ _x00e9_ _x0100_ _xD800_x0042_ _x&#48;043_")
                + '<c r="B2" t="s"><v>0</v></c><c r="C2" t="str"><v>q_x0044_</v></c>'
            ),
            ["<si><r><t>_x00</t></r><r><t>41_</t></r></si>"],
        ),
        # Without xml:space="preserve" a <t> loses spaces, tabs and line ends at both ends,
        # after its entities and before its _x00HH_ are decoded; <v> keeps them.
        (
            "trimmed text",
            data(
                inline("A2", " a  b\t")
                + inline("B2", "&#32;x&#10;")
                + inline("C2", "_x0020_y_x0020_ ")
                + '<c r="D2" t="inlineStr"><is><t xml:space="preserve"> z </t></is></c>'
                + '<c r="E2" t="str"><v> w </v></c><c r="F2" t="s"><v>0</v></c>'
                + '<c r="G2" t="inlineStr"><is><t>\u3000\xa0</t></is></c>'
            ),
            ['<si><r><t> a </t></r><r><t xml:space="preserve"> b </t></r></si>'],
        ),
        # Raw line ends become \n; &#13; stays \r.
        (
            "line ends",
            data(inline("A2", "a\r\nb\rc&#13;d\u2028\x85") + '<c r="B2" t="s"><v>0</v></c>'),
            ["<si><t>x\r\ny</t></si>"],
        ),
        # Whitespace-only text is an empty cell; a row of nothing else is skipped.
        (
            "blank text",
            HEADER_ROW
            + '<row r="2">'
            + inline("A2", " \t\u3000")
            + '<c r="B2" t="s"><v>0</v></c></row><row r="3">'
            + inline("B3", "x")
            + "</row>",
            ["<si><t>\u00a0\u2003</t></si>"],
        ),
        # Numbers: every float form calamine parses.
        (
            "numbers",
            data(
                '<c r="A2"><v>-0</v></c><c r="B2" t="n"><v>1E+300</v></c><c r="C2"><v>.5</v>'
                '</c><c r="D2" s="1"><v>00012</v></c><c r="E2"><v>+1.e5</v></c>'
                '<c r="F2"><v>0.1000000000000000055511151231257827021181583404541015625</v></c>'
            ),
            None,
        ),
        # Formulas: the cached value counts, a formula alone is an empty cell.
        (
            "formulas",
            data(
                '<c r="A2"><f>1+1</f><v>2</v></c><c r="B2" t="str"><f>"a"&amp;"b"</f>'
                '<v>a&amp;b</v></c><c r="C2"><f t="shared" ref="C2:C3" si="0">A2</f></c>'
                '<c r="D2"><f t="shared" si="0"/><v>7</v></c>'
            ),
            None,
        ),
        # Pretty-printed XML: whitespace between tags is nothing.
        (
            "whitespace between tags",
            HEADER_ROW + '\n<row r="2">\n  <c r="A2">\n    <v>1</v>\n  </c>\n  <c r="B2" '
            't="inlineStr">\n <is>\n<t>x</t>\n</is>\n</c>\n</row>\n',
            None,
        ),
        # Rows without r: cells with r are placed by their own r.
        (
            "rows without r",
            "<row>" + inline("B1", "h") + '</row><row><c r="B3"><v>1</v></c></row>',
            None,
        ),
        # An empty string counts for the used range (the row is as wide), a styled empty cell,
        # an empty <v> and a formula without value do not.
        (
            "used range",
            data(
                inline("A2", "x")
                + '<c r="C2" t="inlineStr"><is><t/></is></c><c r="D2" t="str"><v></v></c>'
                '<c r="E2" t="s"><v>0</v></c><c r="F2" t="inlineStr"><is></is></c>'
                '<c r="H2" s="1"/><c r="I2"><v></v></c><c r="J2"><f>A1</f></c>'
                '<c r="K2" t="s"><v></v></c><c r="L2" t="inlineStr"><v>3</v></c>'
            ),
            ["<si><t></t></si>"],
        ),
        # Header below blank rows and right of empty columns.
        (
            "header not in A1",
            '<row r="3">'
            + inline("C3", " ")
            + '</row><row r="4">'
            + inline("C4", "h")
            + inline("D4", "i")
            + '</row><row r="9"><c r="D9"><v>3</v></c></row>',
            None,
        ),
    ],
)
def test_hand_written_cells_read_as_open_sheet_reads_them(
    tmp_path: Path, name: str, rows: str, shared: list[str] | None
) -> None:
    path = write_raw(tmp_path / "raw.xlsx", rows, shared=shared)
    assert compare(path) == "same", name


def test_the_first_visible_worksheet_is_read(tmp_path: Path) -> None:
    workbook = _WORKBOOK.replace(
        '<sheet name="Data" sheetId="1" r:id="rId1"/>',
        '<sheet name="Chart" sheetId="3" r:id="rId3"/>'
        '<sheet name="Hidden" sheetId="1" state="hidden" r:id="rId1"/>'
        '<sheet name="Data" sheetId="2" r:id="rId2"/>',
    )
    path = write_raw(
        tmp_path / "hidden.xlsx",
        data(inline("A2", "hidden")),
        workbook=workbook,
        second_sheet=data(inline("A2", "visible")),
    )
    assert compare(path) == "same"
    assert columnar(path)[2] == [(2, typed(["visible", None]))]


@pytest.mark.parametrize(
    ("rows", "numfmts", "xf"),
    [
        ('<c r="A2" t="b"><v>1</v></c>', "", ""),  # boolean
        ('<c r="A2" t="e"><v>#N/A</v></c>', "", ""),  # error
        ('<c r="A2" t="d"><v>2024-06-01T00:00:00</v></c>', "", ""),  # ISO date
        ('<c r="A2" s="1"><v>45000</v></c>', "", '<xf numFmtId="14"/>'),  # builtin date
        ('<c r="A2" s="1"><v>45000</v></c>', "", '<xf numFmtId="46"/>'),  # builtin duration
        (
            '<c r="A2" s="1"><v>45000</v></c>',
            '<numFmts><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>',
            '<xf numFmtId="164"/>',
        ),
        (
            '<c r="A2" s="1"><v>1.5</v></c>',
            '<numFmts><numFmt numFmtId="164" formatCode="[h]:mm"/></numFmts>',
            '<xf numFmtId="164"/>',
        ),
        ('<c r="A2" s="1"><v>45000</v></c>', "", '<xf numFmtId="30"/>'),  # East Asian date
        ("<c><v>1</v></c>", "", ""),  # no r
        ('<c t="s" r="A2"><v>0</v></c>', "", ""),  # r not first
        ('<c r="a2"><v>1</v></c>', "", ""),  # lower-case reference
        ('<c r="A2"><v>abc</v></c>', "", ""),  # a string without a type
        ('<c r="A2"><v>inf</v></c>', "", ""),
        ('<c r="A2"><v> 1</v></c>', "", ""),
        ('<c r="A2" t="inlineStr"><is><r><t>a</t></r></is></c>', "", ""),  # rich inline
        ('<c r="A2" t="s"><is><t>a</t></is></c>', "", ""),  # inline string in a shared cell
        ('<c r="A2" t="s"><v>9</v></c>', "", ""),  # no such shared string
        ('<c r="A2" cm="1"><v>1</v></c>', "", ""),  # another attribute
        ('<c r="B2"><v>1</v></c><c r="A2"><v>2</v></c>', "", ""),  # out of order
        ('<c r="A2"><v>1</v></c><c r="A2"><v>2</v></c>', "", ""),  # twice
        ('<c r="A2"><v>1</v><f>A1</f></c>', "", ""),  # value before formula
        (inline("A2", "&nbsp;"), "", ""),  # unknown entity
        (inline("A2", "&#0;"), "", ""),  # not an XML character
        (inline("A2", "<![CDATA[x]]>"), "", ""),
        ('<!-- a comment --><c r="A2"><v>1</v></c>', "", ""),
        ('<x:c r="A2"><x:v>1</x:v></x:c>', "", ""),  # namespace prefix
        ('<c r="A2"><v>1</v><extLst/></c>', "", ""),
    ],
)
def test_what_the_reader_does_not_read_is_not_columnar(
    tmp_path: Path, rows: str, numfmts: str, xf: str
) -> None:
    path = write_raw(
        tmp_path / "odd.xlsx", data(rows), shared=["<si><t>s</t></si>"], numfmts=numfmts, xf=xf
    )
    with pytest.raises(NotColumnar) as caught:
        columnar(path)
    assert caught.value.reason


@pytest.mark.parametrize(
    "rows",
    [
        HEADER_ROW + "</row>" + '<row r="2">' + inline("A2", "x") + "</row>",  # closes nothing
        HEADER_ROW + '<row r="0">' + inline("A2", "x") + "</row>",  # calamine refuses r="0"
        HEADER_ROW + '<row r="x">' + inline("A2", "x") + "</row>",
        HEADER_ROW + '<row "2">' + inline("A2", "x") + "</row>",
        # calamine reads these two (its sheet reader checks neither); refusing them is on the
        # safe side.
        HEADER_ROW + '<row s="1" s="2" r="2">' + inline("A2", "x") + "</row>",  # twice
        HEADER_ROW + '<row r="2">' + inline("A2", "x"),  # not closed
    ],
)
def test_row_tags_calamine_may_refuse_are_not_columnar(tmp_path: Path, rows: str) -> None:
    path = write_raw(tmp_path / "rows.xlsx", rows)
    assert compare(path).startswith("not columnar")


def test_plain_number_formats_stay_columnar(tmp_path: Path) -> None:
    numfmts = '<numFmts><numFmt numFmtId="164" formatCode="#,##0.00_);(#,##0.00)"/></numFmts>'
    for xf in ('<xf numFmtId="4"/>', '<xf numFmtId="164"/>', "<xf/>"):
        path = write_raw(
            tmp_path / "fmt.xlsx",
            data('<c r="A2" s="1"><v>1234.5</v></c><c r="B2" s="9"><v>1</v></c>'),
            numfmts=numfmts,
            xf=xf,
        )
        assert compare(path) == "same", xf


@pytest.mark.parametrize(
    "sheet",
    [
        '<?xml version="1.0" encoding="UTF-16"?><worksheet><sheetData></sheetData></worksheet>',
        '<worksheet><dimension ref="A1:B"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        "</sheetData></worksheet>",
        '<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></worksheet>',
        '<x:worksheet><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>",
    ],
)
def test_unexpected_sheet_xml_is_not_columnar(tmp_path: Path, sheet: str) -> None:
    path = write_raw(tmp_path / "odd.xlsx", "", sheet=sheet)
    with pytest.raises(NotColumnar):
        columnar(path)


def test_shared_strings_that_expand_too_much_are_not_columnar(tmp_path: Path) -> None:
    path = write_raw(
        tmp_path / "expand.xlsx",
        data("".join(f'<c r="{c}2" t="s"><v>0</v></c>' for c in "ABCDEFGH")),
        shared=["<si><t>" + "x" * 100 + "</t></si>"],
    )
    with mock.patch.object(xlsx_cells, "MAX_BLOCK_TEXT_BYTES", 500), pytest.raises(NotColumnar):
        columnar(path)
    assert compare(path) == "same"


# --- errors -------------------------------------------------------------------------------


def _error(path: Path, limits: Limits = LIMITS, batch_rows: int = 2) -> ReadError:
    assert compare(path, limits, batch_rows) == "same error"
    with pytest.raises(ReadError) as caught:
        columnar(path, limits, batch_rows)
    return caught.value


@pytest.mark.parametrize(
    ("rows", "kind"),
    [
        ("", ReadErrorKind.EMPTY),
        ('<row r="1"><c r="A1" s="1"/></row>', ReadErrorKind.EMPTY),
        ('<row r="2">' + inline("B2", "  ") + "</row>", ReadErrorKind.EMPTY),
        (HEADER_ROW, ReadErrorKind.HEADER_ONLY),
        (HEADER_ROW + '<row r="5">' + inline("A5", "\u3000") + "</row>", ReadErrorKind.HEADER_ONLY),
    ],
)
def test_empty_and_header_only_sheets(tmp_path: Path, rows: str, kind: ReadErrorKind) -> None:
    assert _error(write_raw(tmp_path / "e.xlsx", rows)).kind == kind


def test_an_empty_sheet_data_element(tmp_path: Path) -> None:
    sheet = "<worksheet><sheetData/></worksheet>"
    assert _error(write_raw(tmp_path / "e.xlsx", "", sheet=sheet)).kind == ReadErrorKind.EMPTY


def _rows(count: int, first: int = 2, text: str = "x") -> str:
    return "".join(
        f'<row r="{n}">{inline(f"A{n}", text)}</row>' for n in range(first, first + count)
    )


def test_too_many_rows_gives_the_full_count(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "many.xlsx", HEADER_ROW + _rows(30))
    limits = LIMITS._replace(max_rows=10)
    with block_bytes(300):
        error = _error(path, limits)
    assert error.kind == ReadErrorKind.TOO_MANY_ROWS and "30 data rows" in error.message


def test_a_long_cell_below_the_header_comes_before_the_row_count(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "many.xlsx", HEADER_ROW + _rows(10) + _rows(1, 12, "y" * 40))
    error = _error(path, LIMITS._replace(max_rows=5, max_cell_chars=20))
    assert error.kind == ReadErrorKind.TOO_LARGE and "A12" in error.message


def test_the_row_count_pass_names_the_cell_from_column_a(tmp_path: Path) -> None:
    # open_sheet counts the rows below the header apart when the sheet may hold too many; a
    # too-long cell found then is named as when iterating: from column A, not from the first
    # used column (C here).
    rows = '<row r="1">' + inline("C1", "h") + "</row>" + _rows(3).replace('"A', '"C')
    rows += '<row r="9">' + inline("D9", "y" * 40) + "</row>"
    path = write_raw(tmp_path / "c.xlsx", rows)
    error = _error(path, LIMITS._replace(max_rows=2, max_cell_chars=20))
    assert error.message == "Cell D9 holds 40 characters; the limit is 20."


@pytest.mark.parametrize("where", ["header", "data"])
def test_a_cell_over_the_size_limit(tmp_path: Path, where: str) -> None:
    long = "é" * 30  # 30 characters, 60 bytes
    rows = (
        '<row r="1">' + inline("A1", "h") + inline("C1", long) + "</row>" + _rows(3)
        if where == "header"
        else HEADER_ROW
        + _rows(5)
        + '<row r="9">'
        + inline("B9", " " * 40)
        + inline("D9", long)
        + inline("E9", long)
        + "</row>"
    )
    error = _error(write_raw(tmp_path / "long.xlsx", rows), LIMITS._replace(max_cell_chars=29))
    assert error.kind == ReadErrorKind.TOO_LARGE
    assert ("C1" if where == "header" else "D9") in error.message


def test_a_used_range_over_the_limits_wins_over_everything_after(tmp_path: Path) -> None:
    # The dimension says A1, so only the cells show the range: a long cell comes first in the
    # stream, but the per-row reader checks the range first.
    rows = HEADER_ROW + _rows(1, 2, "y" * 40) + '<row r="50"><c r="Z50"><v>1</v></c></row>'
    path = write_raw(tmp_path / "wide.xlsx", rows)
    error = _error(path, LIMITS._replace(max_columns=10, max_cell_chars=20))
    assert error.kind == ReadErrorKind.TOO_LARGE and "26 columns x 50 rows" in error.message
    error = _error(path, LIMITS._replace(max_cells=1_000, max_cell_chars=20))
    assert "1,300 cells" in error.message


def test_a_declared_range_over_the_limits_is_refused_before_reading(tmp_path: Path) -> None:
    sheet = _SHEET.replace('ref="A1"', 'ref="A1:Z50"').format(
        rows=HEADER_ROW + '<row r="50"><c r="Z50"><v>1</v></c></row>'
    )
    error = _error(
        write_raw(tmp_path / "wide.xlsx", "", sheet=sheet), LIMITS._replace(max_columns=10)
    )
    assert error.kind == ReadErrorKind.TOO_LARGE


# --- damaged XML ----------------------------------------------------------------------------

_BASE_ROWS = (
    HEADER_ROW
    + '<row r="2" spans="1:4">'
    + inline("A2", "x &amp; y")
    + '<c r="B2" s="1"><v>12.5</v></c><c r="C2" t="s"><v>0</v></c>'
    + '<c r="D2" t="str"><f>A1</f><v>z</v></c></row><row r="3">'
    + '<c r="A3" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c><c r="B3"/></row>'
)
_BASE_SHARED = ["<si><r><t>r1</t></r><r><t>r2</t></r></si>"]
_EXCEL_ROWS = (  # as Excel writes them, pretty-printed
    '<row r="1" spans="1:3" x14ac:dyDescent="0.25">\n  <c r="A1" s="1" t="s"><v>0</v></c>'
    '<c r="B1" t="s"><v>1</v></c>\n</row>\n<row r="2" spans="1:3"/>\n'
    '<row r="3" spans="1:3"><c r="A3" t="n"><v>-1.5E-3</v></c>'
    '<c r="C3" t="s"><v>1</v></c></row>'
)
_EXCEL_SHARED = [
    '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/></si>',
    '<si><t xml:space="preserve"> b </t></si>',
]
_EDITS = st.sampled_from(
    ["<", ">", "&", '"', "'", " ", "=", "/", "\r", "0", "<v>", "</v>", "</c>", "<c>", "<row>",
     "</row>", '<row r="2">', '<c r="A2">', ' t="s"', ' s="1"', "&#0;", "&bogus;", "&amp;",
     "_x0041_", "<t>", "</t>", "<r>", "</r>", "<!--x-->", "<![CDATA[x]]>", ' xml:space="preserve"']
)  # fmt: skip
_EDIT = st.tuples(st.integers(0, 10_000), st.integers(0, 3), st.one_of(st.just(""), _EDITS))


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    for position, delete, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + delete :]
    return text


@settings(max_examples=400, deadline=None)
@given(
    edits=st.lists(_EDIT, min_size=1, max_size=3),
    target=st.sampled_from(["sheet", "shared"]),
    excel=st.booleans(),
)
def test_damaged_xml_is_read_as_open_sheet_reads_it_or_not_columnar(
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[tuple[int, int, str]],
    target: str,
    excel: bool,
) -> None:
    rows, (string, *strings) = (_EXCEL_ROWS, _EXCEL_SHARED) if excel else (_BASE_ROWS, _BASE_SHARED)
    rows = _edited(rows, edits) if target == "sheet" else rows
    shared = [_edited(string, edits) if target == "shared" else string, *strings]
    note(f"{rows=} {shared=}")
    path = write_raw(tmp_path_factory.mktemp("damaged") / "d.xlsx", rows, shared=shared)
    compare(path)  # same rows, same error, or not columnar; never another outcome


# --- hostile files --------------------------------------------------------------------------


@pytest.mark.parametrize("dimension", ["", "A1:A2"])  # true, forged
def test_a_sparse_sheet_of_huge_range_is_refused_from_its_cells(
    tmp_path: Path, dimension: str
) -> None:
    # open_sheet is not run: calamine would try to build a range of 17 billion cells.
    path = tmp_path / "xfd.xlsx"
    path.write_bytes(
        hostile_files.sparse_xlsx([("A1", "called"), ("XFD1048576", "x")], dimension=dimension)
    )
    with pytest.raises(ReadError) as caught:
        columnar(path)
    assert caught.value.kind == ReadErrorKind.TOO_LARGE
    assert "16384 columns x 1048576 rows" in caught.value.message


def test_cells_without_r_are_not_columnar(tmp_path: Path) -> None:
    path = tmp_path / "numeric.xlsx"
    hostile_files.write_numeric_xlsx(path, 50, 8, refs=False)
    assert compare(path).startswith("not columnar")


def test_a_long_shared_string_in_many_cells_is_not_columnar(tmp_path: Path) -> None:
    # 10,000 copies of 32,000 characters: 320 MB of text from a 200 KB file.
    path = tmp_path / "copies.xlsx"
    path.write_bytes(hostile_files.shared_string_xlsx(10_000, 32_000))
    with pytest.raises(NotColumnar, match="expand"):
        columnar(path)
