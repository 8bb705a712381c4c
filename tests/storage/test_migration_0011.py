"""Migration 0011 (the outbox gets a kind): result entries are kept across it, both ways."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from openisales.storage import migrate
from openisales.storage.db import make_engine
from openisales.storage.models import CallResult, Campaign, Tenant
from openisales.storage.types import UtcDateTime

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# result_deliveries as revision 0010 has it: keyed by its result.
OLD_OUTBOX = sa.Table(
    "result_deliveries",
    sa.MetaData(),
    sa.Column("result_pk", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("vdn_id", sa.Integer),
    sa.Column("campaign_pk", sa.Integer),
    sa.Column("state", sa.Integer),
    sa.Column("pushes", sa.Integer),
    sa.Column("next_attempt_at", UtcDateTime),
    sa.Column("target_url", sa.String),
    sa.Column("created_at", UtcDateTime),
)


def _results(connection: sa.Connection) -> list[int]:
    connection.execute(
        sa.insert(Tenant.__table__).values(
            vdn_id=12, access_key="ak", secret_key_enc=b"x", time_zone="UTC", created_at=NOW
        )
    )
    connection.execute(
        sa.insert(Campaign.__table__).values(
            pk=1, vdn_id=12, campaign_id=1, name="c", status=2, device_type=2,
            begin_time=NOW, end_time=NOW, params={}, created_at=NOW, updated_at=NOW,
        )
    )  # fmt: skip
    pks = [5, 9]
    for pk in pks:
        connection.execute(
            sa.insert(CallResult.__table__).values(
                pk=pk, lease_id=f"l{pk}", vdn_id=12, campaign_pk=1, campaign_id=1, data_id=pk,
                position=0, attempt=1, session_id="s", called="1380000000", fail_code="00000",
                call_time_str="2026-12-01 09:00:00", call_status=6, call_id=f"c{pk}",
                dialer_id="d", recorded_at=NOW,
            )
        )  # fmt: skip
    return pks


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = migrate.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_result_entries_keep_their_state_through_0011_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        _downgrade(engine, "0010")
        with engine.begin() as connection:
            for pk in _results(connection):
                connection.execute(
                    sa.insert(OLD_OUTBOX).values(
                        result_pk=pk, vdn_id=12, campaign_pk=1, state=pk % 2 + 2, pushes=1,
                        next_attempt_at=NOW, target_url=f"http://crm/{pk}", created_at=NOW,
                    )
                )  # fmt: skip
        migrate.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT pk, kind, result_pk, task_id, state, target_url"
                    " FROM result_deliveries ORDER BY result_pk"
                )
            ).all()
        # Each entry a call result (kind 0) with all it had, under a key of its own.
        assert [tuple(row)[1:] for row in rows] == [
            (0, 5, None, 3, "http://crm/5"),
            (0, 9, None, 3, "http://crm/9"),
        ]
        assert len({row[0] for row in rows}) == 2

        _downgrade(engine, "0010")
        with engine.connect() as connection:
            kept = connection.execute(sa.select(OLD_OUTBOX.c.result_pk, OLD_OUTBOX.c.state)).all()
        assert sorted(tuple(row) for row in kept) == [(5, 3), (9, 3)]
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
