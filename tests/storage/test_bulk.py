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


def test_a_record_the_campaign_holds_is_not_stored_again_and_the_first_of_equal_ones_is_kept(
    api: Api, rt: Runtime
) -> None:
    with api.client() as isales:
        created = isales.create_campaign(
            name="bulk-dup", deviceType=2, strBeginTime="2099-01-01 00:00:00",
            strEndTime="2099-12-31 00:00:00",
        )  # fmt: skip
    with rt.db.transaction() as session:
        campaign = campaign_rows.get(session, api.creds.vdn_id, created["returnObject"]["id"])
        assert campaign is not None
        pk = campaign.pk

    def row(session_id: str, key: str, number: int) -> tuple[object, ...]:
        return record_row(
            campaign_pk=pk, session_id=session_id, called_key=key,
            called=f'[{{"calledNo":"{key}","delayTime":0}}]', caller=None, custom_field=None,
            recycle_time=None, call_data=None, priority=None, status=RecordStatus.PENDING,
            import_task_id="task-2", row_number=number,
        )  # fmt: skip

    when = datetime(2099, 1, 1, tzinfo=UTC)
    with rt.db.transaction() as session:
        assert load_records(session, [row("a", "1", 2), row("b", "1", 3)], when) == 2
    with rt.db.transaction() as session:
        batch = [row("a", "1", 2), row("c", "1", 3), row("c", "1", 4), row("a", "2", 5)]
        assert load_records(session, batch, when) == 2  # a/1 is held, the second c/1 repeats
    with rt.db.read() as session:
        stored = session.execute(
            select(CallData.session_id, CallData.called_key, CallData.row_number)
            .where(CallData.campaign_pk == pk)
            .order_by(CallData.data_id)
        ).all()
    assert [tuple(r) for r in stored] == [
        ("a", "1", 2),
        ("b", "1", 3),
        ("c", "1", 3),
        ("a", "2", 5),
    ]
