"""Call data in JSON: helpers, a campaign, and the file-import set-up for mixed scenarios."""

from __future__ import annotations

import io
from typing import Any

import pytest
import xlsxwriter

from openisales.client import ISalesClient
from tests.imports.conftest import create_campaign
from tests.imports.conftest import setup as setup  # the sftp import set-up, for mixed tests

SUCCESS = "0200000"
HEADER = ["sessionId", "called", "caller", "callData", "customField", "recycleTime"]


@pytest.fixture
def campaign(isales: ISalesClient) -> int:
    return create_campaign(isales)


def add_v1(isales: ISalesClient, campaign_id: int, *records: dict[str, Any]) -> dict[str, Any]:
    return isales.call("POST", f"/calldata/{campaign_id}", json={"callDataList": list(records)})


def add_v2(
    isales: ISalesClient, campaign_id: int, *records: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    body = {"callDataList": list(records), **extra}
    return isales.call("POST", f"/calldata/{campaign_id}", json=body, version="v2")


def delete(isales: ISalesClient, campaign_id: int, **criteria: Any) -> dict[str, Any]:
    return isales.call("POST", f"/calldata/{campaign_id}/delete", json=criteria)


def query_one(isales: ISalesClient, campaign_id: int, data_id: int | str) -> dict[str, Any]:
    return isales.call("GET", f"/calldata/{campaign_id}/{data_id}")


def records(isales: ISalesClient, campaign_id: int, **params: Any) -> dict[str, Any]:
    return isales.call("GET", f"/calldata/{campaign_id}", params={"limit": 100, **params})


def statistics(isales: ISalesClient, **params: Any) -> dict[str, Any]:
    return isales.call("GET", "/statistics", params=params, version="v2")


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["resultCode"] == SUCCESS and answer["returnCode"] == SUCCESS, answer
    return answer


def refused(answer: dict[str, Any], code: str) -> str:
    assert answer["resultCode"] == code and answer["returnCode"] == code, answer
    return str(answer["resultDesc"])


def properties(answer: dict[str, Any]) -> dict[str, str]:
    return {prop["propCode"]: prop["propValue"] for prop in ok(answer)["data"]["properties"]}


def data_ids(answer: dict[str, Any]) -> list[int]:
    return [int(item["dataId"]) for item in ok(answer)["returnObject"]["dataIdList"]]


def xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for column, name in enumerate(header):
        sheet.write_string(0, column, name)
    for row, cells in enumerate(rows, start=1):
        for column, value in enumerate(cells):
            if value is not None:
                sheet.write(row, column, value)
    book.close()
    return out.getvalue()
