"""Import files with known counts for the reliability tests."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import xlsxwriter

SHARED_SESSION = "shared"


@dataclass(frozen=True)
class Expected:
    """What an import of the file must report (``shared``: a row every file of a campaign has)."""

    total: int
    ok: int  # accepted rows that only this file has
    invalid: int
    repeat: int  # duplicates inside the file
    shared: bool = False


def call_file(tag: str, rows: int, *, shared: bool = False) -> tuple[bytes, Expected]:
    """An xlsx of ``rows`` rows: every 7th invalid, every 10th a repeat of the last
    valid row.

    With ``shared`` the first row is the same in every file of the campaign: exactly one import
    stores it, every other one counts it in ``repeatNum``.
    """
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["sessionId", "called", "callData"])
    ok = invalid = repeat = 0
    previous: list[str] = []
    for i in range(1, rows + 1):
        if shared and i == 1:
            row = [SHARED_SESSION, json.dumps([{"calledNo": "13999999999"}]), "{}"]
        elif i % 10 == 0 and previous:
            row, repeat = previous, repeat + 1
        elif i % 7 == 0:
            row, invalid = [f"{tag}-{i}", json.dumps([{"calledNo": "12AB"}]), "{}"], invalid + 1
        else:
            row, ok = [f"{tag}-{i}", json.dumps([{"calledNo": str(13800000000 + i)}]), "{}"], ok + 1
        sheet.write_row(i, 0, row)
        if row[0].startswith(tag) and "12AB" not in row[1]:
            previous = row  # only a valid row's copy counts as a repeat
    book.close()
    return out.getvalue(), Expected(rows, ok, invalid, repeat, shared)


def padded_csv(rows: int, pad: int = 1000) -> tuple[bytes, Expected]:
    """A CSV of about ``rows * pad`` bytes (long callData): every 7th row invalid, none repeated."""
    padding = "x" * pad
    lines = ["sessionId,called,callData"]
    invalid = 0
    for i in range(1, rows + 1):
        number = "12AB" if i % 7 == 0 else str(13800000000 + i)
        invalid += i % 7 == 0
        lines.append(f"big-{i},{number},{padding}")
    return ("\n".join(lines) + "\n").encode(), Expected(rows, rows - invalid, invalid, 0)
