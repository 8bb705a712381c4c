"""The parts of an xlsx the columnar reader needs, found and read as python-calamine reads them.

* ``locate``: the first visible worksheet (hidden, very hidden, chart and dialog sheets are
  skipped, as ``workbook._first_visible_worksheet`` skips them in calamine's metadata) from
  ``xl/workbook.xml`` and its relationships, and the shared strings and styles parts. Zip
  members are looked up without regard to case, as calamine looks them up.
* ``date_styles``: the ``cellXfs`` indexes whose number format would make calamine return a
  date, time or duration for a number cell. It errs on the safe side: any number format with a
  character that could be a date or duration token counts.
* ``shared_strings``: ``xl/sharedStrings.xml`` as a text column, one entry per ``<si>``, decoded
  as calamine decodes it.

Anything these do not expect raises ``NotColumnar``.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, TypeVar, cast

import polars as pl

from openisales.readers.xlsx_xml import (
    NotColumnar,
    decode_texts,
    events,
    read_string,
    xml_declaration_end,
)

BLOCK_BYTES = 4 << 20
"""How much inflated XML is handed to polars at a time: larger blocks cost memory, not time
(measured on the 500,000-row file: 4 MiB and 8 MiB took the same time, 8 MiB 50 MiB more)."""
_MAX_SMALL_PART = 16 << 20  # workbook.xml, its relationships, styles.xml: a few KB in real files

# Builtin number formats calamine reads as plain numbers: General, 0, 0.00, #,##0, #,##0.00,
# the currency, percent, scientific and fraction formats, and "@". calamine itself takes only
# 14-22 and 45-47 for dates; the other ids (27-36, 50-81: East Asian dates) are refused here.
_NUMBER_FORMAT_IDS = frozenset(str(i) for i in (*range(14), *range(37, 45), 48, 49))
# A custom format of these characters alone has no date, time or duration token (d m y h s,
# AM/PM, [h] ...): calamine reads its cells as numbers.
_NUMBER_FORMAT_CHARS = frozenset('0123456789#?.,%+-Ee $@;()_*\\"/ ')

_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
_WS = "[ \t\r\n]*"
_SST_HEAD = re.compile(_WS + r"<sst(?:\s[^<>]*)?>" + _WS)
_SST_EMPTY = re.compile(_WS + r"<sst(?:\s[^<>]*)?/>" + _WS)
_SIMPLE_STRING = r'^<t(?: xml:space="preserve")?>[^<]*</t></si>[ \t\r\n]*$'


@dataclass(frozen=True)
class Book:
    """Where the first visible worksheet and the parts its cells refer to are in the zip."""

    sheet_name: str
    sheet_part: str
    shared_strings_part: str | None
    styles_part: str | None


def locate(archive: zipfile.ZipFile) -> Book:
    """The first visible worksheet, as python-calamine's metadata gives it, and its parts."""
    package_part = member(archive, "_rels/.rels")
    rels_part = member(archive, "xl/_rels/workbook.xml.rels")
    workbook_part = member(archive, "xl/workbook.xml")
    if package_part is None or rels_part is None or workbook_part is None:
        raise NotColumnar("no _rels/.rels, workbook.xml or workbook relationships")
    documents = [
        event.attribute("Target") or ""
        for event in events(small_part(archive, package_part))
        if event.kind == "start"
        and event.local == "Relationship"
        and event.attribute("Type") == _OFFICE_DOCUMENT
    ]
    if [target.removeprefix("/") for target in documents] != ["xl/workbook.xml"]:
        raise NotColumnar("the package does not point to xl/workbook.xml alone")
    targets = _relationships(small_part(archive, rels_part))
    for name, path, visible in _sheets(small_part(archive, workbook_part), targets):
        if visible and path.split("/")[1:2] == ["worksheets"]:
            part = member(archive, path)
            if part is None:
                raise NotColumnar(f"the worksheet part {path} is missing")
            return Book(
                name,
                part,
                member(archive, "xl/sharedStrings.xml"),
                member(archive, "xl/styles.xml"),
            )
    raise NotColumnar("no visible worksheet")


def member(archive: zipfile.ZipFile, name: str) -> str | None:
    """The zip member calamine opens for ``name`` (case-insensitive), or None."""
    found = [info.filename for info in archive.infolist() if info.filename.lower() == name.lower()]
    if len(found) > 1:
        raise NotColumnar(f"several zip members named {name}")
    return found[0] if found else None


def small_part(archive: zipfile.ZipFile, name: str) -> str:
    """A small XML part as text, checked to be well-formed XML."""
    info = archive.getinfo(name)
    if info.file_size > _MAX_SMALL_PART:
        raise NotColumnar(f"{name} is {info.file_size:,} bytes")
    try:
        text = archive.read(info).decode("utf-8")
        ElementTree.fromstring(text.lstrip("\ufeff"))
    except (UnicodeDecodeError, ElementTree.ParseError) as exc:
        raise NotColumnar(f"{name} is not well-formed UTF-8 XML ({exc})") from exc
    return text[xml_declaration_end(text) :]


def _relationships(xml: str) -> dict[str, str]:
    targets = {}
    for event in events(xml):
        if event.kind == "start" and event.local == "Relationship":
            targets[event.attribute("Id") or ""] = event.attribute("Target") or ""
    return targets


def _sheets(xml: str, targets: dict[str, str]) -> Iterator[tuple[str, str, bool]]:
    """(name, part path, visible) of each sheet, in workbook order, as calamine reads them."""
    for event in events(xml):
        if event.kind != "start" or event.local != "sheet":
            continue
        name = event.attribute("name") or ""
        state = event.attribute("state") or "visible"
        if state not in ("visible", "hidden", "veryHidden"):
            raise NotColumnar(f"a sheet state {state!r}")
        ids = [value for key, value in event.attributes if key in ("r:id", "relationships:id")]
        if len(ids) != 1 or ids[0] not in targets:
            raise NotColumnar(f"the sheet {name!r} has no relationship calamine finds")
        target = targets[ids[0]]
        if "&" in target or "&" in name or any(c in name for c in "\t\n\r"):
            raise NotColumnar("a sheet name or part path with an entity or a line end")
        # calamine's rule: "/xl/..." and "xl/..." are from the root, anything else under xl/.
        path = target[1:] if target.startswith("/xl/") else target
        path = path if path.startswith("xl/") else f"xl/{target}"
        if path.split("/")[1:2] not in (["worksheets"], ["chartsheets"], ["dialogsheets"]):
            raise NotColumnar(f"a sheet part calamine does not know: {target!r}")
        yield name, path, state == "visible"


def date_styles(archive: zipfile.ZipFile, part: str | None) -> frozenset[int]:
    """The ``s`` values of number cells that calamine may read as a date, time or duration.

    Follows calamine's reading of ``styles.xml``: the custom formats of ``<numFmts>`` (by the
    raw ``numFmtId``, non-empty ``formatCode`` only), then one entry per ``<xf>`` of
    ``<cellXfs>``; an ``s`` beyond the list is a plain number to calamine.
    """
    if part is None:
        return frozenset()
    custom: dict[str, str] = {}
    risky: list[int] = []
    section = ""
    count = 0
    for event in events(small_part(archive, part)):
        local = event.local
        if event.kind == "start" and not section and local in ("numFmts", "cellXfs"):
            if local == "numFmts" and count:
                raise NotColumnar("styles.xml has <numFmts> after <cellXfs>")
            section = local
        elif event.kind == "end" and local == section:
            section = ""
        elif event.kind == "start" and section == "numFmts" and local == "numFmt":
            code = event.attribute("formatCode") or ""
            if code:
                custom[event.attribute("numFmtId") or ""] = code
        elif event.kind == "start" and section == "cellXfs" and local == "xf":
            if not _plain_number_format(event.attribute("numFmtId"), custom):
                risky.append(count)
            count += 1
        elif event.kind == "end" and local == "styleSheet" and not section:
            break
    return frozenset(risky)


def _plain_number_format(format_id: str | None, custom: dict[str, str]) -> bool:
    if format_id is None:
        return True
    if format_id in custom:
        return set(custom[format_id]) <= _NUMBER_FORMAT_CHARS
    return format_id in _NUMBER_FORMAT_IDS


# --- shared strings -----------------------------------------------------------------------


def shared_strings(archive: zipfile.ZipFile, part: str | None) -> pl.Series:
    """The shared strings table: the decoded texts, in order."""
    if part is None:
        return pl.Series("shared", [], dtype=pl.Utf8)
    columns = []
    first = True
    closed = False
    with archive.open(part) as stream:
        skip_crc(stream)
        for block, last in blocks(stream, b"</si>"):
            if last:
                block, closed = _strip_sst_end(block)
            # An empty <si/> is the empty string, and must be a piece of its own.
            block = block.replace(b"<si/>", b"<si></si>")
            pieces = utf8_pieces(block, "<si>")
            head = pieces[0]
            if first:
                head = head[xml_declaration_end(head) :]
                if len(pieces) == 1 and not closed and _SST_EMPTY.fullmatch(head):
                    return pl.Series("shared", [], dtype=pl.Utf8)
                if not _SST_HEAD.fullmatch(head):
                    raise NotColumnar("sharedStrings.xml does not start as expected")
            elif head.strip(" \t\r\n"):
                raise NotColumnar("unexpected content between shared strings")
            first = False
            columns.append(_strings(pieces.slice(1)))
    if not closed:
        raise NotColumnar("sharedStrings.xml does not end with </sst>")
    if not columns:
        return pl.Series("shared", [], pl.Utf8)
    return pl.concat(columns, rechunk=False).alias("shared")  # gathered from, never copied


def _strip_sst_end(block: bytes) -> tuple[bytes, bool]:
    stripped = block.rstrip(b" \t\r\n")
    if stripped.endswith(b"</sst>"):
        return stripped[: -len(b"</sst>")], True
    return block, False


def _strings(pieces: pl.Series) -> pl.Series:
    """The strings of the pieces that follow each ``<si>`` (each ends with ``</si>``)."""
    piece = pl.col("piece")
    start = piece.str.find(">", literal=True) + 1  # byte offsets
    end = piece.str.find("</t></si>", literal=True)
    frame = pl.DataFrame({"piece": pieces}).with_columns(simple=piece.str.contains(_SIMPLE_STRING))
    # A simple string's text runs from the first ">" to the "</t></si>" that ends it.
    raw = pl.when("simple").then(piece.cast(pl.Binary).bin.slice(start, end - start))
    texts = decode_texts(
        frame.select(raw.cast(pl.Utf8)).to_series(), ~pieces.str.starts_with("<t xml:space=")
    )
    simple = frame["simple"]
    if not simple.all():
        indexes = simple.not_().arg_true()
        rich = [read_string(_si_content(piece)) for piece in pieces.gather(indexes)]
        texts = texts.scatter(indexes, pl.Series(rich, dtype=pl.Utf8))
    return texts


def _si_content(piece: str) -> str:
    content, end, rest = piece.rpartition("</si>")
    if not end or rest.strip(" \t\r\n"):
        raise NotColumnar("a shared string that does not end with </si>")
    return content


# --- streaming ----------------------------------------------------------------------------


def blocks(stream: IO[bytes], separator: bytes) -> Iterator[tuple[bytes, bool]]:
    """The inflated part in blocks of about ``BLOCK_BYTES``, each cut after a ``separator``.

    Yields ``(block, is_last)``; the last block holds whatever follows the last separator.
    Each block is copied once: the unfinished end of the previous read joins the next one.
    """
    carry = b""
    while chunk := stream.read(BLOCK_BYTES):
        cut = chunk.rfind(separator)
        if cut < 0:
            carry += chunk  # no separator in a whole read: a very long row (or element)
            continue
        cut += len(separator)
        whole = not carry and cut == len(chunk)
        yield chunk if whole else b"".join((carry, memoryview(chunk)[:cut])), False
        carry = chunk[cut:]
    yield carry, True


_T = TypeVar("_T")


def prefetched(items: Generator[_T, None, None]) -> Generator[_T, None, None]:
    """``items``, each produced in a thread while the one before is used.

    Inflating holds the GIL but polars does not: with a second core, the next block inflates
    while polars works on this one (2.9 s instead of 3.6 s for the 500,000-row file). Closing
    the result stops the thread; what ``items`` raises is raised here.
    """
    box: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((False, None))
        except BaseException as exc:  # handed over, raised in the consumer
            put((False, exc))
        finally:
            items.close()

    thread = threading.Thread(target=produce, name="xlsx-blocks", daemon=True)
    thread.start()
    try:
        while True:
            more, item = box.get()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield cast(_T, item)
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            box.get_nowait()  # a producer waiting to hand over a block sees the stop at once
        thread.join()


def skip_crc(stream: IO[bytes]) -> None:
    """Do not compute the CRC-32 of what ``stream`` inflates (a third of the inflating time).

    calamine stops reading a sheet at ``</sheetData>`` and so does not check it either; a
    damaged deflate stream still fails to inflate.
    """
    if hasattr(stream, "_expected_crc"):
        stream._expected_crc = None


def utf8_pieces(block: bytes, separator: str) -> pl.Series:
    """``block`` as UTF-8 texts, split at each ``separator`` (which is dropped).

    Split by Python (``bytes.split``): polars' own split of one long text holds several times
    the block's size while it works.
    """
    pieces = pl.Series("piece", block.split(separator.encode()), dtype=pl.Binary)
    try:
        return pieces.cast(pl.Utf8)
    except pl.exceptions.InvalidOperationError as exc:
        raise NotColumnar("XML that is not UTF-8") from exc
