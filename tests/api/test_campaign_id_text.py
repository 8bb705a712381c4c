"""campaignId as the String of the seed (Table 4): digits, leading zeros or not, name a campaign;
anything else names none and is answered 0200007 like a campaign that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from openisales.client import ISalesClient
from openisales.storage.models import Tenant
from tests.conftest import Api

SUCCESS, CAMPAIGN_NOT_FOUND = "0200000", "0200007"
# Texts that name no campaign: not ASCII digits (superscript two, Arabic-Indic and full-width
# digits, sign, space, decimals, underscore, letters), zero, and numbers past the largest id.
NOT_A_CAMPAIGN = [
    "%C2%B2",
    "%D9%A1%D9%A2",
    "%EF%BC%94%EF%BC%96",
    "+46",
    "%2046",
    "46.0",
    "4_6",
    "x46",
    "0",
    "0000",
    "2147483648",
    "1" * 5000,
]
LEADING_ZEROS = ["46", "046", "0046", "0" * 30 + "46"]


@pytest.fixture
def campaign(api: Api, isales: ISalesClient) -> int:
    """Campaign 46 of tenant 12: the tenant's 46th, as the campaign interfaces number them."""
    with api.rt.db.transaction() as session:
        session.execute(update(Tenant).where(Tenant.vdn_id == 12).values(last_campaign_id=45))
    answer = isales.create_campaign(
        name="renewals", deviceType=2, strBeginTime="2099-01-01 00:00:00",
        strEndTime="2099-12-31 23:59:59",
    )  # fmt: skip
    assert answer["returnObject"]["id"] == 46, answer
    return 46


@pytest.fixture
def server_id(isales: ISalesClient) -> str:
    added = isales.add_server("isales", "Sftp-Pass-1", "10.21.124.175", 22, "/home/sftp")
    assert added["resultCode"] == SUCCESS, added
    return str(added["serverId"])


def _upload(isales: ISalesClient, campaign: str, server_id: str) -> dict[str, Any]:
    body = {"serverId": server_id, "filePath": "/isales/upload", "fileName": "demo.xlsx"}
    return isales.call("POST", f"/calldatafile/uploadFileServer/{campaign}", json=body)


def _tasks(isales: ISalesClient, campaign: str) -> dict[str, Any]:
    body = {"offset": 0, "limit": 10}
    return isales.call("POST", f"/calldatafile/queryDataImportTask/{campaign}", json=body)


def _not_found(answer: dict[str, Any]) -> str:
    assert answer["resultCode"] == answer["returnCode"] == CAMPAIGN_NOT_FOUND, answer
    desc = str(answer["resultDesc"])
    assert desc.startswith("campaign ") and desc.endswith(" does not exist"), desc
    assert len(desc) < 80, desc  # 5,000 digits are not echoed back
    return desc


def test_file_import_takes_the_id_with_or_without_leading_zeros(
    isales: ISalesClient, campaign: int, server_id: str
) -> None:
    tasks = []
    for text in LEADING_ZEROS:
        answer = _upload(isales, text, server_id)
        assert answer["resultCode"] == SUCCESS, (text, answer)
        tasks.append(answer["importTaskId"])
    for text in LEADING_ZEROS:
        listed = _tasks(isales, text)
        assert listed["count"] == len(LEADING_ZEROS), (text, listed)
        assert {task["id"] for task in listed["result"]} == set(tasks)


@pytest.mark.parametrize("text", NOT_A_CAMPAIGN)
def test_file_import_of_text_that_names_no_campaign(
    isales: ISalesClient, campaign: int, server_id: str, text: str
) -> None:
    _not_found(_upload(isales, text, server_id))
    _not_found(_tasks(isales, text))
    assert _tasks(isales, str(campaign))["count"] == 0  # nothing was queued anywhere


def test_an_id_that_was_never_issued_is_answered_as_today(
    isales: ISalesClient, campaign: int, server_id: str
) -> None:
    assert _not_found(_upload(isales, "47", server_id)) == "campaign 47 does not exist"
    assert _not_found(_upload(isales, "0047", server_id)) == "campaign 47 does not exist"
    assert _not_found(_upload(isales, "abc", server_id)) == "campaign 'abc' does not exist"


def test_another_tenants_campaign_is_not_found(
    api: Api, isales: ISalesClient, campaign: int
) -> None:
    with api.client(api.new_tenant(13)) as neighbour:
        server = neighbour.add_server("isales", "Sftp-Pass-1", "10.21.124.175", 22, "/home/sftp")
        _not_found(_upload(neighbour, "0046", str(server["serverId"])))


# Every other interface whose path carries a campaignId: (method, path after the id, body, version)
ROUTES: list[tuple[str, str, str, Any, str]] = [
    ("GET", "/", "", None, "v1"),
    ("PUT", "/", "", {"description": "changed"}, "v1"),
    ("PUT", "/", "/pause", None, "v1"),
    ("PUT", "/", "", {"description": "changed"}, "v2"),
    ("POST", "/calldata/", "", {"callDataList": [{"called": "13800000001"}]}, "v1"),
    ("POST", "/calldata/", "", {"callDataList": [{"called": ["13800000002"]}]}, "v2"),
    ("POST", "/calldata/", "/delete", {"sessionId": "none"}, "v1"),
    ("GET", "/calldata/", "", None, "v1"),
    ("GET", "/calldatafile/schedules/", "", None, "v1"),
    ("POST", "/dialer/", "/lease", {"dialerId": "d1", "limit": 1, "leaseSeconds": 60}, "v1"),
    ("POST", "/callresult/", "", {}, "v1"),
]


@pytest.mark.parametrize(("method", "before", "after", "body", "version"), ROUTES)
def test_every_campaign_path_follows_the_same_rule(
    isales: ISalesClient,
    campaign: int,
    method: str,
    before: str,
    after: str,
    body: Any,
    version: str,
) -> None:
    path = before.rstrip("/") + "/{}" + after
    answer = isales.call(method, path.format("0046"), json=body, version=version)
    assert answer["resultCode"] == SUCCESS, answer
    for text in ("047", "4x6", "%EF%BC%94%EF%BC%96", "0"):
        _not_found(isales.call(method, path.format(text), json=body, version=version))


def test_the_statistics_campaign_id_follows_the_same_rule(
    isales: ISalesClient, campaign: int
) -> None:
    for text in LEADING_ZEROS:
        answer = isales.call("GET", "/statistics", params={"campaignId": text}, version="v2")
        assert answer["resultCode"] == SUCCESS, answer
        assert [item["campaignId"] for item in answer["countDetail"]] == [46]
    for text in ("47", "abc", "+46", "0"):
        _not_found(isales.call("GET", "/statistics", params={"campaignId": text}, version="v2"))
