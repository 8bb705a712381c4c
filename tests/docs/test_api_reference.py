"""The OpenAPI document and the docs list every result code as the code table says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openisales.api import reference
from openisales.api.app import create_app
from openisales.errors import ResultCode
from openisales.services.runtime import Runtime
from openisales.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TABLE_DOCS = ["docs/api.md", "docs/architecture.md"]
CODE_IN_TEXT = re.compile(r"`(02\d{5,6})`")
STATUS_ROW = re.compile(r"^\| (\d{3}) \| `(\d+)` \|", re.MULTILINE)


@pytest.fixture(scope="module")
def description(tmp_path_factory: pytest.TempPathFactory) -> str:
    rt = Runtime.from_settings(Settings(data_dir=tmp_path_factory.mktemp("reference")))
    try:
        with TestClient(create_app(rt)) as http:
            answer = http.get("/openapi.json")
            assert answer.status_code == 200
            assert http.get("/docs").status_code == 200
            return str(answer.json()["info"]["description"])
    finally:
        rt.close()


@pytest.mark.parametrize("code", list(ResultCode), ids=lambda c: c.name)
def test_every_result_code_is_in_the_served_description(description: str, code: ResultCode) -> None:
    row = next((line for line in description.splitlines() if line.startswith(f"| `{code}` |")), "")
    assert row, f"ResultCode.{code.name} ({code}) is not in the OpenAPI description"
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    origin = "iSales" if code.documented else "openisales"
    assert cells == [f"`{code}`", code.name, str(code.http_status), code.en, code.zh, origin]


def test_the_served_description_holds_the_whole_table(description: str) -> None:
    assert reference.result_code_table() in description


@pytest.mark.parametrize("name", TABLE_DOCS)
def test_the_code_table_in_the_docs_is_current(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert reference.with_table(text) == text, (
        f"{name}: run python -m openisales.api.reference {' '.join(TABLE_DOCS)}"
    )


def test_a_document_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="result-codes"):
        reference.with_table("# no table here\n")


def test_api_md_lists_every_status_other_than_200_as_the_table_has_it() -> None:
    text = (ROOT / "docs/api.md").read_text(encoding="utf-8")
    rows = {code: int(status) for status, code in STATUS_ROW.findall(text)}
    expected = {str(code): code.http_status for code in ResultCode if code.http_status != 200}
    assert rows == expected


@pytest.mark.parametrize(
    "name", ["README.md", "docs/api.md", "docs/architecture.md", "docs/tutorial.md"]
)
def test_every_code_the_docs_mention_is_in_the_table(name: str) -> None:
    mentioned = set(CODE_IN_TEXT.findall((ROOT / name).read_text(encoding="utf-8")))
    assert mentioned, f"{name} names no code: drop it from this test"
    unknown = {code for code in mentioned if code not in set(ResultCode)}
    assert not unknown
