"""Which kind of file this is, judged by its bytes rather than its name."""

from __future__ import annotations

import errno
import struct
import zipfile
from pathlib import Path

from openisales.readers.model import ReadError, ReadErrorKind

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_SUFFIXES = (".csv", ".txt")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# What zipfile raises for truncated, corrupt, encrypted or unsupported archives.
_BROKEN_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
)
_NOT_SPREADSHEET_PARTS = {
    "word/document.xml": "a Word document",
    "ppt/presentation.xml": "a PowerPoint presentation",
}


def detect_format(path: Path, max_uncompressed_bytes: int) -> str:
    """Return "xlsx", "xlsb", "ods", "xls" or "csv"; raise ``ReadError`` for anything else."""
    with path.open("rb") as file:
        head = file.read(512)
    if not head:
        raise ReadError(ReadErrorKind.EMPTY, f'The file "{path.name}" is empty (0 bytes).')
    if head[:4] in _ZIP_MAGIC:
        return _zip_format(path, max_uncompressed_bytes)
    if head[:8] == OLE2_MAGIC:
        return "xls"
    if path.suffix.lower() in _TEXT_SUFFIXES:
        return "csv"
    raise ReadError(ReadErrorKind.NOT_A_SPREADSHEET, _unknown_content_message(path, head))


def _zip_format(path: Path, max_uncompressed_bytes: int) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            # The declared sizes bound what calamine will inflate: its zip reader refuses a
            # member that grows beyond its declared size, so checking the sum stops zip bombs.
            declared = sum(info.file_size for info in infos)
            if declared > max_uncompressed_bytes:
                raise ReadError(
                    ReadErrorKind.TOO_LARGE,
                    f'"{path.name}" would unpack to {declared:,} bytes; the limit is '
                    f"{max_uncompressed_bytes:,} bytes. Split the data into smaller files.",
                )
            names = {info.filename for info in infos}
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "content.xml" in names and "mimetype" in names:
                with archive.open("mimetype") as member:
                    if member.read(len(_ODS_MIMETYPE)) == _ODS_MIMETYPE:
                        return "ods"
    except _BROKEN_ZIP as exc:
        raise _damaged(path, exc) from exc
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # a local read failure, not the file's fault
            raise
        # a corrupt member offset makes zipfile seek before the start of the file
        raise _damaged(path, exc) from exc
    what = next((kind for part, kind in _NOT_SPREADSHEET_PARTS.items() if part in names), None)
    raise ReadError(
        ReadErrorKind.NOT_A_SPREADSHEET,
        f'"{path.name}" is a zip archive but not a spreadsheet'
        + (f" (it is {what})" if what else "")
        + "; upload an .xlsx, .xls, .ods or .csv file.",
    )


def _damaged(path: Path, exc: Exception) -> ReadError:
    return ReadError(
        ReadErrorKind.NOT_A_SPREADSHEET,
        f'"{path.name}" is a damaged or incomplete workbook ({exc}); it may have been cut '
        "short during the upload. Save it again from Excel and upload it again.",
    )


def _unknown_content_message(path: Path, head: bytes) -> str:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start[:200]:
        what = "an HTML page (perhaps an error page saved under this name)"
    elif start.startswith(b"<"):
        what = "an XML or HTML document"
    elif start.startswith(b"%pdf"):
        what = "a PDF document"
    elif _looks_like_text(head):
        what = "plain text; if it is CSV, name it .csv"
    else:
        what = "in an unknown format"
    return (
        f'"{path.name}" is not a spreadsheet: it is {what}. '
        "Upload an .xlsx, .xls, .ods or .csv file."
    )


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True
