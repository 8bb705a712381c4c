"""Unknown body fields: a documented request plus fields of a newer CC-iSales edition passes and
stores exactly what the documented request alone stores (docs/api.md, "Unknown fields").

Each test sends the documented request as tenant 12 and the same request with unknown fields as
tenant 13, then compares what each tenant's rows hold (ids, tenants and times aside). The dialer
(an extension whose set of fields our documentation fixes) still refuses them with 02000011.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import inspect, select

from openisales.client import ISalesClient
from openisales.storage.models import (
    BlocklistEntry,
    CallData,
    Campaign,
    FileServer,
    ImportTask,
)
from tests.conftest import Api
from tests.imports.conftest import create_campaign

SUCCESS = "0200000"
# What a newer edition might send: a plain value, an object, a list, and a value that would be
# refused if it were checked (a control character): ignored fields are neither checked nor kept.
NEWER: dict[str, Any] = {
    "newerEditionField": "n1",
    "policies": {"policyType": 1, "rules": [1, 2]},
    "tags": ["a", "b"],
    "remark": "bell\u0007",
}
# Columns that differ between two tenants doing the same thing: ids, the tenant, the clock.
VOLATILE = {
    "pk", "vdn_id", "server_id", "task_id", "campaign_pk", "data_id", "schedule_id",
    "created_at", "updated_at", "not_before", "password_enc",
}  # fmt: skip
BEGIN, END = "2099-01-01 00:00:00", "2099-12-31 23:59:59"


@dataclass
class Pair:
    api: Api
    documented: ISalesClient  # tenant 12
    newer: ISalesClient  # tenant 13, sends the unknown fields

    def both(
        self, method: str, path: str, body: Any, extra: dict[str, Any], **kw: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The documented request as 12, the same plus ``extra`` as 13; both must succeed."""
        first = self.documented.call(method, path, json=body, **kw)
        second = self.newer.call(method, path, json={**body, **extra}, **kw)
        assert first["resultCode"] == SUCCESS, first
        assert second["resultCode"] == SUCCESS, second
        return first, second

    def rows(self, model: Any, vdn: int) -> list[dict[str, Any]]:
        """The tenant's rows of ``model``, without the columns that differ between tenants."""
        query = select(model)
        if hasattr(model, "vdn_id"):
            query = query.where(model.vdn_id == vdn)
        else:
            query = query.join(Campaign, Campaign.pk == model.campaign_pk)
            query = query.where(Campaign.vdn_id == vdn)
        mapper = inspect(model)
        columns = [c.key for c in mapper.column_attrs if c.key not in VOLATILE]
        with self.api.rt.db.read() as session:
            found = session.scalars(query.order_by(*mapper.primary_key)).all()
            return [{key: getattr(row, key) for key in columns} for row in found]

    def same_rows(self, model: Any) -> list[dict[str, Any]]:
        documented, newer = self.rows(model, 12), self.rows(model, 13)
        assert documented == newer
        assert documented, "nothing was stored: the comparison would prove nothing"
        return documented


@pytest.fixture
def pair(api: Api, isales: ISalesClient) -> Iterator[Pair]:
    with api.client(api.new_tenant(13)) as newer:
        yield Pair(api, isales, newer)


def _server_body(**changes: Any) -> dict[str, Any]:
    info = {"ip": "10.21.124.175", "port": 22, "filePath": "/home/sftp"}
    return {"userName": "isales", "serverPwd": "Sftp-Pass-1", "serverInfo": info, **changes}


def _add_servers(pair: Pair) -> tuple[str, str]:
    newer_info = {**_server_body()["serverInfo"], "protocol": "sftp", "keyType": "rsa"}
    first, second = pair.both(
        "POST", "/file/addServer", _server_body(), {**NEWER, "serverInfo": newer_info}
    )
    return str(first["serverId"]), str(second["serverId"])


def _passwords(pair: Pair) -> list[str]:
    with pair.api.rt.db.read() as session:
        rows = session.scalars(select(FileServer).order_by(FileServer.vdn_id)).all()
        return [pair.api.rt.box.open(row.password_enc) for row in rows]


# -- file servers -------------------------------------------------------------------------------


def test_file_server_add_and_update(pair: Pair) -> None:
    first, second = _add_servers(pair)
    pair.same_rows(FileServer)
    assert _passwords(pair) == ["Sftp-Pass-1", "Sftp-Pass-1"]

    change = _server_body(userName="renamed", serverPwd="Sftp-Pass-2")
    change["serverInfo"]["ip"] = "10.21.124.176"
    assert (
        pair.documented.call("POST", f"/file/{first}/updateServer", json=change)["resultCode"]
        == SUCCESS
    )
    newer = {**change, **NEWER, "serverInfo": {**change["serverInfo"], "protocol": "sftp"}}
    answer = pair.newer.call("POST", f"/file/{second}/updateServer", json=newer)
    assert answer["resultCode"] == SUCCESS, answer
    assert pair.same_rows(FileServer)[0]["user_name"] == "renamed"
    assert _passwords(pair) == ["Sftp-Pass-2", "Sftp-Pass-2"]


def test_query_server(pair: Pair) -> None:
    _add_servers(pair)
    first, second = pair.both("POST", "/file/queryServer", {"offset": 0, "limit": 10}, NEWER)
    for answer in (first, second):
        for server in answer["server"]:
            server.pop("serverId")
    assert first == second and first["total"] == 1


# -- file imports -------------------------------------------------------------------------------


def test_call_data_file_import_and_its_query(pair: Pair) -> None:
    servers = _add_servers(pair)
    campaigns = create_campaign(pair.documented), create_campaign(pair.newer)
    body = {"filePath": "/isales/upload", "fileName": "demo.xlsx"}
    # priority and batchId: fields of newer editions' imports that this one does not take
    extra = {**NEWER, "priority": 3, "batchId": "b-7"}
    answers = []
    for client, server, campaign, more in zip(
        (pair.documented, pair.newer), servers, campaigns, ({}, extra), strict=True
    ):
        path = f"/calldatafile/uploadFileServer/{campaign}"
        answer = client.call("POST", path, json={**body, "serverId": server, **more})
        assert answer["resultCode"] == SUCCESS, answer
        query = {"offset": 0, "limit": 10, **more}
        path = f"/calldatafile/queryDataImportTask/{campaign}"
        answers.append(client.call("POST", path, json=query))
    assert pair.same_rows(ImportTask)[0]["file_name"] == "demo.xlsx"
    for answer in answers:
        assert answer["resultCode"] == SUCCESS and answer["count"] == 1, answer
        for task in answer["result"]:
            for volatile in ("id", "serverId", "createTime", "beginTime", "endTime"):
                task.pop(volatile, None)
    assert answers[0] == answers[1]


def test_blocklist_file_import_and_its_query(pair: Pair) -> None:
    servers = _add_servers(pair)
    answers = []
    for client, server, more in zip(
        (pair.documented, pair.newer), servers, ({}, NEWER), strict=True
    ):
        body = {"serverId": server, "fileName": "black.xlsx", "hour": 8, "minute": 30, **more}
        answer = client.call("POST", "/blackfile/uploadFileServer", json=body)
        assert answer["resultCode"] == SUCCESS, answer
        query = {"offset": 0, "limit": 10, **more}
        answers.append(client.call("POST", "/blackfile/queryDataImportTask", json=query))
    assert pair.same_rows(ImportTask)[0]["kind"] == "blocklist"
    assert [answer["count"] for answer in answers] == [1, 1]


# -- blocklist ----------------------------------------------------------------------------------


def test_blocklist_add_query_delete(pair: Pair) -> None:
    # a fixed expiry: validityTime counts from the clock, which ticks between the two requests
    body = {"blocklist": ["13800000001", "13800000002"],
            "validityExpirationTime": "2099-01-05 10:06:25",
            "restrictTimes": 2, "restrictPeriod": "1"}  # fmt: skip
    pair.both("POST", "/blocklist/add", body, {**NEWER, "reason": "complaint"})
    pair.same_rows(BlocklistEntry)

    first, second = pair.both("POST", "/blocklist/query", {"blocklist": ["13800000001"]}, NEWER)
    assert first == second

    pair.both("POST", "/blocklist/delete", {"blocklistNo": "13800000001"}, NEWER)
    assert [row["number"] for row in pair.same_rows(BlocklistEntry)] == ["13800000002"]


# -- call data ----------------------------------------------------------------------------------


def _campaigns(pair: Pair) -> int:
    first, second = create_campaign(pair.documented), create_campaign(pair.newer)
    assert first == second  # each tenant numbers its own campaigns
    return first


def test_call_data_add_v1_and_delete(pair: Pair) -> None:
    campaign = _campaigns(pair)
    records = [
        {"sessionId": "s1", "called": "13800000001", "customField": "k1", "callData": "{}"},
        {"sessionId": "s2", "called": "13800000002", "priority": 4},
    ]
    newer_records = [{**record, "dialMode": "x", "tags": ["t"]} for record in records]
    first = pair.documented.call("POST", f"/calldata/{campaign}", json={"callDataList": records})
    body = {"callDataList": newer_records, **NEWER}
    second = pair.newer.call("POST", f"/calldata/{campaign}", json=body)
    assert first["resultCode"] == second["resultCode"] == SUCCESS, (first, second)
    assert first["returnObject"]["totalSize"] == second["returnObject"]["totalSize"] == 2
    pair.same_rows(CallData)

    pair.both("POST", f"/calldata/{campaign}/delete", {"sessionId": "s1"}, {"status": 0, **NEWER})
    assert [row["session_id"] for row in pair.same_rows(CallData)] == ["s2"]


def test_call_data_add_v2(pair: Pair) -> None:
    campaign = _campaigns(pair)
    record = {"sessionId": "s1", "called": [{"calledNo": "13800000001", "delayTime": 5}],
              "customField": "k1", "priority": 2, "batchId": "b1"}  # fmt: skip
    newer_record = {**record, "labels": {"x": 1}}
    first = pair.documented.call(
        "POST", f"/calldata/{campaign}", json={"callDataList": [record]}, version="v2"
    )
    body = {"callDataList": [newer_record], **NEWER}
    second = pair.newer.call("POST", f"/calldata/{campaign}", json=body, version="v2")
    assert first["resultCode"] == second["resultCode"] == SUCCESS, (first, second)
    assert pair.same_rows(CallData)[0]["batch_id"] == "b1"


# -- campaigns ----------------------------------------------------------------------------------


def _campaign_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "renewals", "description": "calls", "strBeginTime": BEGIN, "strEndTime": END,
        "deviceType": 2, "callerNo": "10086", "maxAlertingTime": 20,
        "scheduleParam": {"workdayBeginTime1": "09:00", "workdayEndTime1": "12:00"},
        "skillParam": {"skillId": 2, "skillName": "sales"},
        "callBackUrl": "https://crm.example.com/cb", **changes,
    }  # fmt: skip


def test_campaign_v1_create_and_modify(pair: Pair) -> None:
    first, second = pair.both("POST", "", _campaign_body(), NEWER)
    assert first["returnObject"] == second["returnObject"]
    stored = pair.same_rows(Campaign)[0]
    assert set(stored["params"]) == {"scheduleParam", "skillParam", "callBackUrl"}
    campaign = first["returnObject"]["id"]

    first, second = pair.both("PUT", f"/{campaign}", {"description": "new"}, NEWER)
    assert first == second and "newerEditionField" not in first["returnObject"]
    assert pair.same_rows(Campaign)[0]["description"] == "new"


def test_campaign_v2_create_and_modify(pair: Pair) -> None:
    body = _campaign_body(
        callerNo=[{"accessCode": "10086", "priority": 1}],
        priority=4,
        retryPolicy={"policyType": 0, "policyJson": "[{'type':0,'retryDay':1,'retryTimes':2}]"},
        callPolicy={"callType": 1, "chooseType": 0, "turns": [{"turnType": "SI"}]},
        initStatus=0,
    )
    newer = {**NEWER, "businessResultPolicy": {"results": []}}
    newer_body = {**body, "callerNo": [{"accessCode": "10086", "priority": 1, "kind": "x"}]}
    first = pair.documented.call("POST", "", json=body, version="v2")
    second = pair.newer.call("POST", "", json={**newer_body, **newer}, version="v2")
    assert first["resultCode"] == second["resultCode"] == SUCCESS, (first, second)
    pair.same_rows(Campaign)
    campaign = first["returnObject"]["id"]

    pair.both("PUT", f"/{campaign}", {"priority": 5}, newer, version="v2")
    assert pair.same_rows(Campaign)[0]["params"]["priority"] == 5


# -- what stays refused, and the log ------------------------------------------------------------


def test_the_dialer_still_refuses_unknown_fields(pair: Pair) -> None:
    campaign = _campaigns(pair)
    body = {"dialerId": "d1", "limit": 10, "leaseSeconds": 60, "newerEditionField": "n1"}
    answer = pair.documented.call("POST", f"/dialer/{campaign}/lease", json=body)
    assert answer["resultCode"] == "02000011", answer
    assert "newerEditionField" in answer["resultDesc"]


def test_an_unknown_name_with_a_control_character_is_still_refused(pair: Pair) -> None:
    body = {"offset": 0, "limit": 10, "bad\u0000name": 1}
    answer = pair.documented.call("POST", "/file/queryServer", json=body)
    assert answer["resultCode"] == "02000002", answer


def test_ignored_fields_are_logged_by_name_never_by_value(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="openisales.api")
    body = {"offset": 0, "limit": 10, "sessionToken": "s3cr3t-value"}
    assert pair.documented.call("POST", "/file/queryServer", json=body)["resultCode"] == SUCCESS
    ignored = [r.getMessage() for r in caplog.records if "ignored fields" in r.getMessage()]
    assert ignored == ["PageRequest: ignored fields that are not parameters: 'sessionToken'"]
    assert "s3cr3t-value" not in caplog.text
