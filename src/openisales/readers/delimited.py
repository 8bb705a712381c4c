"""CSV (and tab- or semicolon-separated text) in UTF-8, UTF-8 with BOM, UTF-16 or GB18030."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from openisales.readers.model import Limits, ReadError, ReadErrorKind, Sheet
from openisales.readers.rows import Numbered, check_row_count, clean_rows, first_row

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


_CHUNK_BYTES = 1 << 20
_HEAD_CHARS = 64 * 1024  # enough of the first line to tell the separator


@dataclass(frozen=True)
class _Text:
    """What a full pass of decoding found: the encoding that works, line ends, the first text."""

    encoding: str
    line_ends: int
    head: str


class _Undecodable(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def read_delimited(path: Path, limits: Limits) -> Sheet:
    """Read a delimited text file whose encoding and separator are detected from its content.

    The file is decoded as a stream, twice (once to choose the encoding and count the lines,
    once to hand over the rows): memory stays that of one chunk and one row, however large the
    file and whatever characters it holds.
    """
    size = path.stat().st_size
    if size > limits.max_uncompressed_bytes:
        raise ReadError(
            ReadErrorKind.TOO_LARGE,
            f'"{path.name}" is {size:,} bytes; the limit is {limits.max_uncompressed_bytes:,}.',
        )
    text = _survey(path)
    delimiter = _delimiter(text.head)
    rows = _rows(path, text.encoding, delimiter, limits)
    empty = f'"{path.name}" holds no data: every line is blank.'
    header_row, header = first_row(rows, ReadErrorKind.EMPTY, empty)
    # Each record takes at least one line, so the line count bounds the number of rows
    # (lines may end in CR alone, as old Mac files do).
    rows_below = text.line_ends + 1 - header_row
    if rows_below > limits.max_rows:
        rows_below = sum(1 for _ in _rows(path, text.encoding, delimiter, limits)) - 1
        check_row_count(path, rows_below, limits.max_rows)
    message = f'"{path.name}" has a header row but no data rows.'
    first = first_row(rows, ReadErrorKind.HEADER_ONLY, message)
    return Sheet(header, chain((first,), rows), header_row, rows_below, "csv", text.encoding)


def _survey(path: Path) -> _Text:
    with path.open("rb") as file:
        start = file.read(4)
    if start.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif start.startswith(_UTF16_BOMS):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    failure: _Undecodable | None = None
    for encoding in encodings:
        try:
            text, binary = _decode_all(path, encoding)
        except _Undecodable as exc:
            failure = failure or exc
            continue
        if binary:
            raise ReadError(
                ReadErrorKind.NOT_A_SPREADSHEET,
                f'"{path.name}" is not a CSV file: it holds binary data.',
            )
        return text
    assert failure is not None
    raise ReadError(
        ReadErrorKind.ENCODING,
        f'"{path.name}" is not {" or ".join(e.upper() for e in encodings)} text (byte '
        f'{failure.offset:,} cannot be decoded). Save it from Excel as "CSV UTF-8".',
    )


def _decode_all(path: Path, encoding: str) -> tuple[_Text, bool]:
    """Decode the whole file in chunks, keeping only counts; (text found, holds a NUL)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line_feeds = returns = offset = 0
    head, binary = "", False
    with path.open("rb") as file:
        while True:
            chunk = file.read(_CHUNK_BYTES)
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise _Undecodable(offset - pending + exc.start) from None
            offset += len(chunk)
            binary = binary or "\x00" in text
            line_feeds += text.count("\n")
            returns += text.count("\r")
            if len(head) < _HEAD_CHARS:
                head += text[: _HEAD_CHARS - len(head)]
            if not chunk:
                return _Text(encoding, max(line_feeds, returns), head), binary


def _delimiter(head: str) -> str:
    """Comma, unless the first line uses tabs (Excel's "Unicode Text") or semicolons only."""
    line = head.lstrip("\r\n").split("\n", 1)[0]
    if "," in line:
        return ","
    if "\t" in line:
        return "\t"
    return ";" if ";" in line else ","


def _rows(path: Path, encoding: str, delimiter: str, limits: Limits) -> Iterator[Numbered]:
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
        yield from _records(path, csv.reader(text, delimiter=delimiter), limits)


def _records(path: Path, reader: Any, limits: Limits) -> Iterator[Numbered]:
    try:
        for number, row in clean_rows(reader, 0, [], limits.max_cell_chars):
            if len(row) > limits.max_columns:
                raise ReadError(
                    ReadErrorKind.TOO_LARGE,
                    f'"{path.name}": row {number} has {len(row)} columns; '
                    f"the limit is {limits.max_columns}.",
                )
            yield number, row
    except csv.Error as exc:
        too_large = "field limit" in str(exc)
        kind = ReadErrorKind.TOO_LARGE if too_large else ReadErrorKind.NOT_A_SPREADSHEET
        message = f'"{path.name}" is not a readable CSV file (line {reader.line_num}: {exc}).'
        raise ReadError(kind, message) from exc
