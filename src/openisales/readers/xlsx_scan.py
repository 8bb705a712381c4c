"""The used range of an xlsx sheet, read from its XML without building a single cell.

calamine builds the whole used range of a sheet as one dense grid of 32-byte cells, however few
cells are filled: a 1.5 KB file with cells A1 and XFD1048576 asks for 512 GiB. Before calamine
reads a sheet, its declared ``<dimension ref>`` is checked; when that is over the limits (or the
reader died and the reason is wanted), the cells' own coordinates are scanned from the sheet
XML as it inflates, positioned the way calamine positions them (``r`` attributes where present,
otherwise the count of cells and rows before), so a forged or missing dimension changes nothing.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openisales.domain.cells import column_letter
from openisales.readers.model import Limits, ReadError, ReadErrorKind

_CHUNK_BYTES = 1 << 20
_HEAD_BYTES = 64 * 1024  # the dimension comes before the cells, after a few small elements
_MAX_TAG_BYTES = 8 << 20  # a row this long is scanned tag by tag
_MAX_INDEX_BYTES = 16 << 20  # workbook.xml and its relationships: a few KB in real files
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
# Every <row> start and end tag and every <c> start tag: (closing, name, column letters, row
# number, "/" if self-closing). Slow (a Python step a tag): used where the fast paths cannot be.
_TAG = re.compile(
    rb"<(?:(/)" + _PREFIX + rb"row\s*>|" + _PREFIX + rb"(row|c)(?=[\s/>])"
    rb"""(?:[^>]*?\sr\s*=\s*["']\$?([A-Za-z]{0,4})\$?([0-9]{1,10})["'])?[^>]*?(/?)>)"""
)
# The column letters, and the row number, of each cell in the form every spreadsheet program
# writes: <c r="B7" ...>.
_CELL_COLUMN = re.compile(rb'<c r="([A-Za-z]+)')
_CELL_ROW = re.compile(rb'<c r="[A-Za-z]+([0-9]+)')
_ROW_REF = re.compile(rb'<row r="([0-9]{1,10})"')
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s/>]")
_STRAY_REF = re.compile(rb"<(?:c|row)\s[^>]*\br\s*=")
_DIMENSION = re.compile(rb"<" + _PREFIX + rb"""dimension\s[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_REF_TEXT = re.compile(r"\$?([A-Za-z]{1,4})\$?([0-9]{1,10})$")
_ELEMENT = r"<(?:[A-Za-z_][\w.-]*:)?{name}\s([^>]*)>"
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(["'])(.*?)\2""", re.DOTALL)


@dataclass(frozen=True)
class UsedRange:
    """The range from A1 to the last used row and column (0-based), as calamine would build it."""

    last_row: int
    last_column: int

    @property
    def rows(self) -> int:
        """How many rows the used range spans from row 1."""
        return self.last_row + 1

    @property
    def columns(self) -> int:
        """How many columns the used range spans from column A."""
        return self.last_column + 1

    @property
    def cells(self) -> int:
        """How many cells the used range would build (rows x columns)."""
        return self.rows * self.columns

    def fits(self, limits: Limits) -> bool:
        """True when neither the column limit nor the cell limit is exceeded."""
        return self.columns <= limits.max_columns and self.cells <= limits.max_cells


def check_used_range(file_name: str, used: UsedRange, limits: Limits) -> None:
    """Refuse a used range wider than the template allows, or of more cells than may be read."""
    shape = (
        f'"{file_name}": the sheet\'s used range is {used.columns} columns x {used.rows} rows '
        f"(A1:{column_letter(used.last_column)}{used.rows}"
    )
    if used.columns > limits.max_columns:
        raise ReadError(
            ReadErrorKind.TOO_LARGE,
            f"{shape}); the template has at most {limits.max_columns} columns. Delete the cells "
            f"right of column {column_letter(limits.max_columns - 1)} and save the file again.",
        )
    if used.cells > limits.max_cells:
        raise ReadError(
            ReadErrorKind.TOO_LARGE,
            f"{shape}, {used.cells:,} cells); at most {limits.max_cells:,} cells can be read. "
            "Delete the rows and columns outside the data and save the file again.",
        )


def check_before_reading(path: Path, sheet_name: str, limits: Limits) -> None:
    """Refuse the sheet ``sheet_name`` of an xlsx when its used range is too large, unread.

    The declared dimension is trusted only to let a sheet through: one over the limits is
    checked against the cells' coordinates, since a program may declare more than it wrote.
    Anything this cannot make out is left to calamine (and to the reader's memory limit).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            part = _part_named(archive, sheet_name)
            declared = None if part is None else declared_range(archive, part)
            if part is None or declared is None or declared.fits(limits):
                return
            used = scan_used_range(archive, part)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, RuntimeError):
        return
    if used is not None:
        check_used_range(path.name, used, limits)


def explain_size(path: Path, limits: Limits) -> str | None:
    """Why the first visible sheet of an xlsx is too large to read, or None if it is not."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _first_visible_part(archive)
            used = None if part is None else scan_used_range(archive, part)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, RuntimeError):
        return None
    if used is None:
        return None
    try:
        check_used_range(path.name, used, limits)
    except ReadError as exc:
        return exc.message
    return None


def declared_range(archive: zipfile.ZipFile, part: str) -> UsedRange | None:
    """The range the sheet's ``<dimension ref>`` declares, or None when it has none."""
    head = b""
    with archive.open(part) as member:
        while len(head) < _HEAD_BYTES and b"sheetData" not in head:
            chunk = member.read(16 * 1024)
            if not chunk:
                break
            head += chunk
    found = _DIMENSION.search(head)
    if found is None:
        return None
    last = html.unescape(found.group(1).decode("ascii", "replace")).rsplit(":", 1)[-1]
    ref = _REF_TEXT.match(last.strip())
    if ref is None:
        return None
    return UsedRange(int(ref.group(2)) - 1, _column_index(ref.group(1).encode()))


def scan_used_range(archive: zipfile.ZipFile, part: str) -> UsedRange | None:
    """The used range from the coordinates of the sheet's cells; None when it has none.

    Streams the part in pieces of about 1 MiB cut after a ``</row>`` (memory stays flat). The
    result bounds calamine's range from above: a cell with an ``r`` counts even when it is empty
    (``<c r="X9" s="1"/>``, a formatted empty cell, which calamine skips); cells without one are
    placed as calamine places them.
    """
    scan = _Scan()
    carry = b""
    with archive.open(part) as member:
        while chunk := member.read(_CHUNK_BYTES):
            data = carry + chunk
            cut = data.rfind(b"</row>")
            if cut >= 0:
                cut += len(b"</row>")
            elif len(data) > _MAX_TAG_BYTES:
                cut = max(data.rfind(b"<"), 0)  # one enormous row: go on tag by tag
            else:
                carry = data
                continue
            scan.feed(data[:cut])
            carry = data[cut:]
    scan.feed(carry)
    if scan.last_row < 0:
        return None
    return UsedRange(scan.last_row, scan.last_column)


class _Scan:
    """calamine's cell positions: ``r`` where given, else the next column / the next row.

    Real files write every tag as ``<row r="..."`` and ``<c r="..."``: a piece of that form is
    measured with C-speed regular expressions alone; a piece of rows without any ``r`` by
    counting each row's cells; anything else tag by tag.
    """

    def __init__(self) -> None:
        self.row = 0  # where a <row> or <c> without r would go
        self.column = 0
        self.mid_row = False  # the last piece ended inside a row (after its <row>)
        self.last_row = -1
        self.last_column = -1

    def feed(self, data: bytes) -> None:
        """Scan the next piece of sheet XML, taking the fast paths when it holds whole rows."""
        if not data:
            return
        whole_rows = not self.mid_row and data.endswith(b"</row>")
        if whole_rows and not _prefixed(data):
            if _all_referenced(data):
                self._referenced(data)
                return
            if not _stray_ref(data):
                self._unreferenced(data)
                return
        self._tags(data)

    def _see(self, row: int, column: int) -> None:
        self.last_row = max(self.last_row, row)
        self.last_column = max(self.last_column, column)

    def _referenced(self, data: bytes) -> None:
        """A piece whose <c> and <row> tags all start with their r: two C-speed passes."""
        columns = set(_CELL_COLUMN.findall(data))
        if columns:
            rows = set(_CELL_ROW.findall(data))
            self._see(max((int(d) for d in rows), default=1) - 1, _widest(columns))
        last = data.rfind(b'<row r="')
        number = _ROW_REF.match(data, last) if last >= 0 else None
        if number is None:
            self.row += data.count(b"</row>")
        else:  # the piece ends with </row>: a row without r would come after that one
            self.row = int(number.group(1)) + data.count(b"</row>", last) - 1
        self.column = 0

    def _unreferenced(self, data: bytes) -> None:
        """Rows without any r: each ``</row>`` moves to the next row, each cell to the next column."""
        for piece in data.split(b"</row>")[:-1]:
            if b"/>" in piece:  # self-closing tags: go tag by tag
                self.column = 0
                self._tags(piece + b"</row>")
                continue
            count = piece.count(b"<c>") + piece.count(b"<c ")
            if count:
                self._see(self.row, count - 1)
            self.row += 1
        self.column = 0

    def _tags(self, data: bytes) -> None:
        # calamine reads <row/> as <row></row> and <c/> as <c></c> (an empty cell, skipped,
        # which still moves the next cell without r one column on).
        for closing, name, letters, digits, empty in _TAG.findall(data):
            if closing:
                self.row, self.column, self.mid_row = self.row + 1, 0, False
            elif name == b"c":
                if digits:
                    row, column = int(digits) - 1, _column_index(letters)
                else:
                    row, column = self.row, self.column
                self.column = column + 1
                if digits or not empty:  # an empty cell with r counts, as in the fast path
                    self._see(row, column)
            else:
                if digits:
                    self.row = int(digits) - 1
                if empty:
                    self.row, self.column = self.row + 1, 0
                self.mid_row = not empty


# The checks below look for a plain substring first (C speed, no match in real files) and run
# the regular expression only when it is there: a regular expression that starts with "<" tries
# at every tag, which costs more than inflating the XML.


def _prefixed(data: bytes) -> bool:
    """Some <c> or <row> tag carries a namespace prefix (``<x:c>``)."""
    return (b":c" in data or b":row" in data) and _PREFIXED.search(data) is not None


def _stray_ref(data: bytes) -> bool:
    """Some <c> or <row> tag has an r attribute that is not its first."""
    return (b"<c " in data or b"<row " in data) and _STRAY_REF.search(data) is not None


def _all_referenced(data: bytes) -> bool:
    """Every <c> and <row> start tag of the piece begins with its r attribute."""
    cells, rows = data.count(b'<c r="'), data.count(b'<row r="')
    if data.count(b"<c") == cells and data.count(b"<row") == rows:
        return True  # the usual piece: no other tag even starts like these
    # Other tags start so too (<cols>, <col>, in the first piece): look closer.
    if b"<c>" in data or b"<c/" in data or b"<row>" in data or b"<row/" in data:
        return False
    return data.count(b"<c ") == cells and data.count(b"<row ") == rows


def _widest(columns: set[bytes]) -> int:
    return max(_column_index(letters) for letters in columns)


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + letter - 64
    return index - 1


@dataclass(frozen=True)
class _SheetEntry:
    name: str
    part: str
    visible: bool


def _sheets(archive: zipfile.ZipFile) -> list[_SheetEntry]:
    """The workbook's sheets in order, each with the zip part that holds it."""
    workbook = _small_text(archive, "xl/workbook.xml")
    rels = _small_text(archive, "xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        return []
    targets = {}
    for attributes in re.findall(_ELEMENT.format(name="Relationship"), rels):
        values = _attributes(attributes)
        targets[values.get("Id", "")] = values.get("Target", "")
    entries = []
    for attributes in re.findall(_ELEMENT.format(name="sheet"), workbook):
        values = _attributes(attributes)
        rel_id = next((v for k, v in values.items() if k.rsplit(":", 1)[-1] == "id"), "")
        part = _part_path(targets.get(rel_id, ""))
        visible = values.get("state", "visible") == "visible"
        entries.append(_SheetEntry(values.get("name", ""), part, visible))
    return entries


def _part_path(target: str) -> str:
    # calamine's rule: "/xl/..." and "xl/..." are from the root, anything else is under xl/.
    if target.startswith("/xl/"):
        return target[1:]
    return target if target.startswith("xl/") else f"xl/{target}"


def _part_named(archive: zipfile.ZipFile, name: str) -> str | None:
    return next((entry.part for entry in _sheets(archive) if entry.name == name), None)


def _first_visible_part(archive: zipfile.ZipFile) -> str | None:
    """The part calamine's first visible worksheet is read from (else the first sheet's)."""
    entries = _sheets(archive)
    worksheets = [entry for entry in entries if entry.part.split("/")[1:2] == ["worksheets"]]
    visible = next((entry for entry in worksheets if entry.visible), None)
    chosen = visible or (entries[0] if entries else None)
    return None if chosen is None else chosen.part


def _small_text(archive: zipfile.ZipFile, name: str) -> str | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_INDEX_BYTES:
        return None
    return archive.read(info).decode("utf-8", "replace")


def _attributes(text: str) -> dict[str, str]:
    return {key: html.unescape(value) for key, _, value in _ATTRIBUTE.findall(text)}
