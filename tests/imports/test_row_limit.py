"""The seed's limit: a file of more than 500,000 records fails as a whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import func, select

from openisales.storage.models import CallData
from tests.imports.conftest import ImportSetup

LIMIT = 500_000


@pytest.mark.slow
def test_500001_rows_fail_the_task_and_import_nothing(setup: ImportSetup, tmp_path: Path) -> None:
    assert setup.api.rt.settings.max_import_rows == LIMIT
    path = tmp_path / "over.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["sessionId", "called"])
    for i in range(1, LIMIT + 2):
        sheet.write_row(i, 0, [f"s{i}", json.dumps([{"calledNo": str(13000000000 + i)}])])
    book.close()
    result = setup.import_file("over.xlsx", path.read_bytes())
    assert result["status"] == "3", result
    assert "500001" in result["errMsg"].replace(",", "") and "500000" in result["errMsg"].replace(
        ",", ""
    )
    assert (result["succNum"], result["failNum"]) == (0, 0)
    with setup.api.rt.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CallData)) == 0
