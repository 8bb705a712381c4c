"""The OpenAPI document served by the app lists every result code, with its meaning."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openisales.api import reference
from openisales.api.app import create_app
from openisales.errors import DESCRIPTIONS, ResultCode
from openisales.services.runtime import Runtime
from openisales.settings import Settings

CODES = {name: value for name, value in vars(ResultCode).items() if name.isupper()}


@pytest.fixture
def description(tmp_path: Path) -> str:
    rt = Runtime.from_settings(Settings(data_dir=tmp_path))
    try:
        with TestClient(create_app(rt)) as http:
            answer = http.get("/openapi.json")
            assert answer.status_code == 200
            assert http.get("/docs").status_code == 200
            return str(answer.json()["info"]["description"])
    finally:
        rt.close()


@pytest.mark.parametrize("name", sorted(CODES))
def test_every_result_code_is_in_the_served_description(description: str, name: str) -> None:
    code = CODES[name]
    row = next((line for line in description.splitlines() if line.startswith(f"| `{code}` |")), "")
    assert row, f"ResultCode.{name} ({code}) is not in the OpenAPI description"
    assert DESCRIPTIONS.get(code), f"ResultCode.{name} ({code}) has no entry in DESCRIPTIONS"
    assert DESCRIPTIONS[code] in row


def test_http_status_shown_where_it_is_not_200() -> None:
    table = reference.result_code_table()
    assert "| `0200101` | Authentication failed. | 401 |" in table
    assert "| `0200000` | success |  |" in table
    assert set(reference.HTTP_STATUS) <= set(CODES.values())
