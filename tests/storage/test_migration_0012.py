"""Migration 0012 (tenants.default_region): tenants and what hangs on them are kept, both ways."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from openisales.storage import migrate
from openisales.storage.db import make_engine

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = migrate.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_a_tenant_and_its_campaign_survive_0012_both_ways(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO tenants (vdn_id, access_key, secret_key_enc, time_zone,"
                    " last_campaign_id, result_push_max, default_region, created_at)"
                    " VALUES (12, 'ak', :key, 'UTC', 1, 2, 'CN', :now)"
                ),
                {"key": b"x", "now": NOW},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO campaigns (pk, vdn_id, campaign_id, name, status, device_type,"
                    " begin_time, end_time, params, created_at, updated_at)"
                    " VALUES (1, 12, 1, 'c', 2, 2, :now, :now, '{}', :now, :now)"
                ),
                {"now": NOW},
            )
        # Foreign keys are on (SQLite too): a copy of tenants would cascade into campaigns.
        _downgrade(engine, "0011")
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("tenants")}
            assert "default_region" not in columns
            assert connection.execute(sa.text("SELECT count(*) FROM campaigns")).scalar() == 1
        migrate.upgrade(engine)
        with engine.connect() as connection:
            tenant = connection.execute(sa.text("SELECT vdn_id, default_region FROM tenants")).one()
            assert tuple(tenant) == (12, None)  # the region went with the column
            assert connection.execute(sa.text("SELECT count(*) FROM campaigns")).scalar() == 1
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
