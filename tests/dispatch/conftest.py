"""The dialer interface from a dialer's side: a campaign, records, leases and results."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from openisales.client import ISalesClient
from openisales.domain.record_row import record_row
from openisales.storage import campaigns as campaign_rows
from openisales.storage.bulk import load_records
from openisales.storage.models import CallResult, DialEntry
from tests.conftest import Api, Clock

SUCCESS = "0200000"
FRIDAY_UTC = datetime(2099, 1, 2, 12, 0, tzinfo=UTC)  # 2099-01-02 is a Friday


def fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def numbers_json(*numbers: str | tuple[str, int]) -> str:
    """A record's called JSON as storage writes it; a tuple gives the number's delayTime."""
    items = [(n, 0) if isinstance(n, str) else n for n in numbers]
    return "[" + ",".join(f'{{"calledNo":"{n}","delayTime":{d}}}' for n, d in items) + "]"


@dataclass
class Dial:
    """A tenant's signed client plus helpers for one campaign at a time."""

    api: Api
    isales: ISalesClient
    clock: Clock

    def campaign(self, version: str = "v1", **fields: Any) -> int:
        body = {
            "name": fields.pop("name", f"c{self.clock.now.timestamp()}"),
            "deviceType": 2,
            "strBeginTime": fmt(self.clock.now),
            "strEndTime": fmt(self.clock.now + timedelta(days=30)),
            **fields,
        }
        answer = self.isales.call("POST", "", json=body, version=version)
        assert answer["resultCode"] == SUCCESS, answer
        return int(answer["returnObject"]["id"])

    def campaign_pk(self, campaign_id: int) -> int:
        with self.api.rt.db.read() as session:
            found = campaign_rows.get(session, self.isales.vdn_id, campaign_id)
            assert found is not None
            return found.pk

    def load(self, campaign_id: int, *records: dict[str, Any]) -> None:
        """Write records as an import does: ``called`` (JSON), sessionId, priority, ..."""
        pk = self.campaign_pk(campaign_id)
        rows = [
            record_row(
                campaign_pk=pk,
                session_id=r.get("sessionId", f"s{i}"),
                called_key=r["called"],  # stands in for the sorted key; unique in these tests
                called=r["called"],
                caller=r.get("caller"),
                custom_field=r.get("customField"),
                recycle_time=r.get("recycleTime"),
                call_data=r.get("callData"),
                priority=r.get("priority"),
                status=r.get("status", 0),
                import_task_id=None,
                row_number=None,
            )
            for i, r in enumerate(records)
        ]
        with self.api.rt.db.transaction() as session:
            load_records(session, rows, self.clock())

    def lease_answer(self, campaign_id: int, **body: Any) -> dict[str, Any]:
        request = {"dialerId": "dialer-1", "limit": 500, "leaseSeconds": 60, **body}
        return self.isales.call("POST", f"/dialer/{campaign_id}/lease", json=request)

    def lease(self, campaign_id: int, **body: Any) -> list[dict[str, Any]]:
        answer = self.lease_answer(campaign_id, **body)
        assert answer["resultCode"] == SUCCESS, answer
        records: list[dict[str, Any]] = answer["returnObject"]["records"]
        return records

    def numbers(self, campaign_id: int, **body: Any) -> list[str]:
        return [record["calledNo"] for record in self.lease(campaign_id, **body)]

    def report_answer(self, campaign_id: int, *results: dict[str, Any]) -> dict[str, Any]:
        return self.isales.call(
            "POST", f"/dialer/{campaign_id}/results", json={"results": list(results)}
        )

    def report(self, campaign_id: int, *results: dict[str, Any]) -> list[str]:
        answer = self.report_answer(campaign_id, *results)
        assert answer["resultCode"] == SUCCESS, answer
        return [item["resultCode"] for item in answer["returnObject"]["results"]]

    def count_results(self) -> int:
        with self.api.rt.db.read() as session:
            return session.scalar(select(func.count()).select_from(CallResult)) or 0

    def states(self) -> dict[int, int]:
        with self.api.rt.db.read() as session:
            rows = session.execute(
                select(DialEntry.data_id, DialEntry.state).order_by(DialEntry.data_id)
            )
            return {data_id: state for data_id, state in rows}


def result(
    lease_id: str, status: int = 6, fail_code: str = "00000", **extra: Any
) -> dict[str, Any]:
    return {
        "leaseId": lease_id,
        "callStatus": status,
        "failCode": fail_code,
        "callId": f"call-{lease_id[-6:]}",
        "callTimeStr": "2099-01-02 12:00:00",
        **extra,
    }


@pytest.fixture
def dial(api: Api, isales: ISalesClient, clock: Clock) -> Iterator[Dial]:
    clock.now = FRIDAY_UTC
    yield Dial(api, isales, clock)
