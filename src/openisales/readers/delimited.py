"""CSV (and tab- or semicolon-separated text) in UTF-8, UTF-8 with BOM, UTF-16 or GB18030."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

from openisales.readers.model import Limits, ReadError, ReadErrorKind, Sheet
from openisales.readers.rows import Numbered, check_row_count, clean_rows, first_row

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_delimited(path: Path, limits: Limits) -> Sheet:
    """Read a delimited text file whose encoding and separator are detected from its content."""
    size = path.stat().st_size
    if size > limits.max_uncompressed_bytes:
        raise ReadError(
            ReadErrorKind.TOO_LARGE,
            f'"{path.name}" is {size:,} bytes; the limit is {limits.max_uncompressed_bytes:,}.',
        )
    text, encoding = _decode(path, path.read_bytes())
    if "\x00" in text:
        raise ReadError(
            ReadErrorKind.NOT_A_SPREADSHEET,
            f'"{path.name}" is not a CSV file: it holds binary data.',
        )
    delimiter = _delimiter(text)
    rows = _rows(path, text, delimiter, limits)
    empty = f'"{path.name}" holds no data: every line is blank.'
    header_row, header = first_row(rows, ReadErrorKind.EMPTY, empty)
    # Each record takes at least one line, so the line count bounds the number of rows
    # (lines may end in CR alone, as old Mac files do).
    rows_below = max(text.count("\n"), text.count("\r")) + 1 - header_row
    if rows_below > limits.max_rows:
        rows_below = sum(1 for _ in _rows(path, text, delimiter, limits)) - 1
        check_row_count(path, rows_below, limits.max_rows)
    message = f'"{path.name}" has a header row but no data rows.'
    first = first_row(rows, ReadErrorKind.HEADER_ONLY, message)
    return Sheet(header, chain((first,), rows), header_row, rows_below, "csv", encoding)


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith(_UTF16_BOMS):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    failure: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            failure = failure or exc
    assert failure is not None
    raise ReadError(
        ReadErrorKind.ENCODING,
        f'"{path.name}" is not {" or ".join(e.upper() for e in encodings)} text (byte '
        f'{failure.start:,} cannot be decoded). Save it from Excel as "CSV UTF-8".',
    )


def _delimiter(text: str) -> str:
    """Comma, unless the first line uses tabs (Excel's "Unicode Text") or semicolons only."""
    line = text.lstrip("\r\n").split("\n", 1)[0]
    if "," in line:
        return ","
    if "\t" in line:
        return "\t"
    return ";" if ";" in line else ","


def _rows(path: Path, text: str, delimiter: str, limits: Limits) -> Iterator[Numbered]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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
