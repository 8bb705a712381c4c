"""A page's offset and limit have the same bounds in a query string and in a request body."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from openisales.api.params import LIMIT_MAX, OFFSET_MAX, LimitQuery, OffsetQuery
from openisales.api.schemas import Limit, Offset


def _body_accepts(kind: Any, value: int) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except Exception:
        return False
    return True


@pytest.fixture(scope="module")
def http() -> TestClient:
    app = FastAPI()

    @app.get("/page")
    def page(offset: OffsetQuery = 0, limit: LimitQuery = LIMIT_MAX) -> dict[str, int]:
        return {"offset": offset, "limit": limit}

    return TestClient(app)


@pytest.mark.parametrize("offset", [-1, 0, OFFSET_MAX, OFFSET_MAX + 1])
def test_offset_bounds_agree(http: TestClient, offset: int) -> None:
    in_query = http.get("/page", params={"offset": offset}).status_code == 200
    assert in_query == _body_accepts(Offset, offset) == (0 <= offset <= 10**9)


@pytest.mark.parametrize("limit", [0, 1, LIMIT_MAX, LIMIT_MAX + 1])
def test_limit_bounds_agree(http: TestClient, limit: int) -> None:
    in_query = http.get("/page", params={"limit": limit}).status_code == 200
    assert in_query == _body_accepts(Limit, limit) == (1 <= limit <= 100)
