"""Inputs the schema fuzz found to crash the service, kept as plain regression tests."""

from __future__ import annotations

import pytest

from openisales.client import ISalesClient


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("", {"curPage": 10**18}),  # (curPage - 1) * rowsPerPage overflowed a 64-bit OFFSET
        ("/calldatafile/schedules/1", {"offset": 10**19}),
        ("/blackfile/schedules", {"offset": 10**19}),
    ],
)
def test_huge_page_numbers_are_parameter_errors(
    isales: ISalesClient, path: str, params: dict[str, int]
) -> None:
    answer = isales.call("GET", path, params=params)
    assert answer["resultCode"] == "02000007", answer  # out of range
    assert answer["resultCode"] == answer["returnCode"]
