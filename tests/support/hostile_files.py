"""Hostile spreadsheets, written by hand as minimal xlsx parts: no spreadsheet program makes them.

* ``sparse_xlsx``: a few inline-string cells anywhere on the sheet (A1 and XFD1048576: 1.5 KB).
* ``xlsx_from_sheet_data``: any ``<sheetData>`` content, with or without a ``<dimension>``.
* ``write_numeric_xlsx``: a sheet of small number cells, streamed (hundreds of MB of sheet XML
  that deflate to a few MB).
* ``shared_string_xlsx``: many cells that all point at one long shared string.
* ``write_csv_with_one_emoji``: a large ASCII CSV with a single character outside the BMP.

Used by the hostile-input tests and by ``bench/hostile_memory.py``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from openisales.domain.cells import column_letter

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_CONTENT_TYPES = (
    f"{_XML_HEAD}<Types xmlns="
    '"http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'{_XML_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    "{shared}</Relationships>"
)
_SHARED_REL = f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
SHEET_PART = "xl/worksheets/sheet1.xml"


def _sheet_head(dimension: str | None) -> bytes:
    head = f'{_XML_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
    if dimension is not None:
        head += f'<dimension ref="{dimension}"/>'
    return (head + "<sheetData>").encode()


_SHEET_TAIL = b"</sheetData></worksheet>"


def _write_package(archive: zipfile.ZipFile, *, shared: bool) -> None:
    archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
    archive.writestr("_rels/.rels", _ROOT_RELS)
    archive.writestr("xl/workbook.xml", _WORKBOOK)
    rels = _WORKBOOK_RELS.format(shared=_SHARED_REL if shared else "")
    archive.writestr("xl/_rels/workbook.xml.rels", rels)


def xlsx_from_sheet_data(
    sheet_data: bytes, *, dimension: str | None = None, shared_strings: bytes | None = None
) -> bytes:
    """A one-sheet xlsx whose ``<sheetData>`` holds exactly ``sheet_data``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _write_package(archive, shared=shared_strings is not None)
        archive.writestr(SHEET_PART, _sheet_head(dimension) + sheet_data + _SHEET_TAIL)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


def inline_cell(ref: str, text: str) -> str:
    """An inline-string cell ``<c r=ref t="inlineStr">``."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def sparse_xlsx(cells: Sequence[tuple[str, str]], *, dimension: str | None = "") -> bytes:
    """Inline-string cells at the given references, one ``<row>`` each, in the order given.

    ``dimension`` "" (the default) declares the true range from A1; None leaves it out; any
    other text is written as it is (a forged dimension).
    """
    rows = "".join(f'<row r="{_row_of(ref)}">{inline_cell(ref, text)}</row>' for ref, text in cells)
    if dimension == "":
        last_col = max((_column_of(ref) for ref, _ in cells), key=lambda c: (len(c), c))
        dimension = f"A1:{last_col}{max(_row_of(ref) for ref, _ in cells)}"
    return xlsx_from_sheet_data(rows.encode(), dimension=dimension)


def _row_of(ref: str) -> int:
    return int(re.sub("[A-Z]", "", ref))


def _column_of(ref: str) -> str:
    return re.sub("[0-9]", "", ref)


def write_numeric_xlsx(
    path: Path,
    rows: int,
    columns: int,
    *,
    dimension: str | None = "",
    refs: bool = True,
    level: int = 6,
) -> int:
    """A header row ("called") then ``rows`` rows of ``columns`` number cells; streamed to disk.

    ``dimension`` as in ``sparse_xlsx``. Without ``refs`` the cells and rows after the header
    carry no ``r`` attribute (their place follows from their order, as the format allows), so
    every row is the same bytes and the sheet deflates about a thousand to one. Returns the
    size of the sheet XML in bytes.
    """
    names = [column_letter(i) for i in range(columns)]
    if dimension == "":
        dimension = f"A1:{names[-1]}{rows + 1}"
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        _write_package(archive, shared=False)
        with archive.open(SHEET_PART, "w", force_zip64=True) as sheet:
            for part in _numeric_sheet(names, rows, dimension, refs):
                sheet.write(part)
                written += len(part)
    return written


def _numeric_sheet(
    names: list[str], rows: int, dimension: str | None, refs: bool
) -> Iterable[bytes]:
    yield _sheet_head(dimension)
    yield f'<row r="1">{inline_cell("A1", "called")}</row>'.encode()
    if refs:
        for row in range(2, rows + 2):
            cells = "".join(f'<c r="{name}{row}"><v>{row % 10}</v></c>' for name in names)
            yield f'<row r="{row}">{cells}</row>'.encode()
    else:
        block = ("<row>" + "<c><v>7</v></c>" * len(names) + "</row>").encode()
        for start in range(0, rows, 1000):
            yield block * min(1000, rows - start)
    yield _SHEET_TAIL


def shared_string_xlsx(copies: int, chars: int) -> bytes:
    """A header (called, note), then ``copies`` valid rows whose note is one shared string.

    Every note points at the same ``chars``-long string: the sheet XML grows by about 60 bytes
    a row, while a reader that copies the string into every cell needs ``copies * chars``.
    """
    shared = (
        f'{_XML_HEAD}<sst xmlns="{_MAIN}" count="3" uniqueCount="3">'
        f"<si><t>called</t></si><si><t>note</t></si><si><t>{'n' * chars}</t></si></sst>"
    ).encode()
    rows = ['<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>']
    rows.extend(
        f'<row r="{n}"><c r="A{n}"><v>{13800000000 + n}</v></c><c r="B{n}" t="s"><v>2</v></c></row>'
        for n in range(2, copies + 2)
    )
    return xlsx_from_sheet_data(
        "".join(rows).encode(), dimension=f"B1:B{copies + 1}", shared_strings=shared
    )


def write_csv_with_one_emoji(path: Path, size: int, *, line_bytes: int = 400) -> int:
    """About ``size`` bytes of valid call-data CSV, ASCII except one emoji; returns the rows."""
    rows = max(1, size // line_bytes)
    padding = "x" * (line_bytes - 22)  # after "s<i>,<11 digits>," and before the line end
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("sessionId,called,callData\n")
        for i in range(1, rows + 1):
            mark = "\N{GRINNING FACE}" if i == rows // 2 else ""
            out.write(f"s{i},{13800000000 + i},{mark}{padding}\n")
    return rows
