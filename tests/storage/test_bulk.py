"""``storage.bulk.load_records`` writes each value of a record row to the column the schema
names, on SQLite (executemany) and PostgreSQL (COPY) alike: COPY's escapes included (a tab, a
line break, a backslash and the text ``\\N`` in a value), an empty sessionId is not NULL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from openisales.domain.record_row import RECORD_COLUMNS, RecordStatus, record_row
from openisales.services.runtime import Runtime
from openisales.storage import campaigns as campaign_rows
from openisales.storage.bulk import load_records
from openisales.storage.models import CallData
from tests.conftest import Api


def test_every_value_lands_in_its_named_column(api: Api, rt: Runtime) -> None:
    with api.client() as isales:
        created = isales.create_campaign(
            name="bulk", deviceType=2, strBeginTime="2099-01-01 00:00:00",
            strEndTime="2099-12-31 00:00:00",
        )  # fmt: skip
    campaign_id = created["returnObject"]["id"]
    with rt.db.transaction() as session:
        campaign = campaign_rows.get(session, api.creds.vdn_id, campaign_id)
        assert campaign is not None
        pk = campaign.pk
    values = [
        {
            "campaign_pk": pk, "session_id": f"s{i}" if i < 2 else "", "called_key": f"1380000000{i}",
            "called": f'[{{"calledNo":"1380000000{i}","delayTime":0}}]', "caller": "10086",
            "custom_field": f"cf{i}", "recycle_time": datetime(2099, 3, 4, 5, 6, 7, 1234 * i) if i else None,
            "call_data": "é 数据" if i != 1 else 'tab\there \\N back\\slash\nline\rret "q"',
            "priority": i or None, "status": RecordStatus(i % 2),
            "import_task_id": "task-1", "row_number": i + 2,
        }
        for i in range(3)
    ]  # fmt: skip
    with rt.db.transaction() as session:
        load_records(session, [record_row(**v) for v in values], datetime(2099, 1, 1, tzinfo=UTC))
    with rt.db.read() as session:
        stored = session.scalars(select(CallData).order_by(CallData.row_number)).all()
        read = [{name: getattr(row, name) for name in RECORD_COLUMNS} for row in stored]
    assert read == values
