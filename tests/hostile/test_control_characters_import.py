"""Control characters in imported spreadsheet cells: the row fails (02000002), the rest imports.

XlsxWriter writes a control character as ``_x0000_`` and the reader turns it back into the
character, so an xlsx cell can hand a NUL to the import; PostgreSQL cannot store one.
"""

from __future__ import annotations

import csv
import io

from tests.imports.conftest import ImportSetup
from tests.imports.test_import_flow import HEADER, xlsx

INVALID_CHARS = "02000002"


def test_import_fails_rows_with_control_characters(setup: ImportSetup) -> None:
    long_nul = "x" * 40 + "\x00"  # too long as well: the message must not echo the NUL
    rows: list[list[object]] = [
        ["ok1", "13800000001", "", "", "", ""],
        ["a\x00b", "13800000002", "", "", "", ""],  # row 3: NUL in sessionId
        ["ok3", "13800000003", "40\x0101", "", "", ""],  # row 4: SOH in caller
        ["ok4", "13800000004", "", "", "v\x7fip", ""],  # row 5: DEL in customField
        ["ok5", "138\x0000005", "", "", "", ""],  # row 6: NUL in called
        ["ok6", "13800000006", "", '{"a":\n 1}', "", ""],  # a line break in callData: fine
        ["ok7", "13800000007", "", "a\x00", "", ""],  # row 8: NUL in callData
        [long_nul, "13800000008", "", "", "", ""],  # row 9
        ["ok9", "13800000009", "", "", "multi\nline", ""],  # row 10: LF in customField
    ]
    result = setup.import_file("controls.xlsx", xlsx(HEADER, rows))
    assert result["status"] == "2", result
    assert (result["succNum"], result["failNum"]) == (2, 7), result

    report = setup.isales.download_failures(result["id"], fmt="csv")
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    by_row = {int(line[0]): line for line in lines[1:]}
    assert sorted(by_row) == [3, 4, 5, 6, 8, 9, 10]
    expected = {3: "sessionId", 4: "caller", 5: "customField", 6: "called", 8: "callData"}
    expected |= {9: "sessionId", 10: "customField"}
    for row, column in expected.items():
        line = by_row[row]
        assert (line[1], line[2]) == (column, INVALID_CHARS), line
        assert "control character" in line[4], line
    assert "\x00" not in report.decode("utf-8-sig")
    assert "a\ufffdb" in by_row[3]  # the original cell, the NUL shown as a replacement mark
    assert setup.isales.download_failures(result["id"], fmt="xlsx")[:2] == b"PK"

    header = ["session\x00Id", "call\x00ed"]  # no column is recognised: the whole file fails
    refused = setup.import_file("header.xlsx", xlsx(header, [["s1", "13800000001"]]))
    assert refused["status"] == "3", refused
    assert "\x00" not in refused["errMsg"] and "call\ufffded" in refused["errMsg"], refused
