"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from openisales.storage import migrate
from openisales.storage.db import make_engine
from openisales.storage.models import Base


def test_migrated_schema_matches_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)  # a second upgrade is a no-op
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            tables = set(inspect(connection).get_table_names())
        assert {"tenants", "file_servers", "campaigns", "import_tasks", "call_data"} <= tables
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_head_revision_from_file_names_is_alembics_head() -> None:
    """The fast path of upgrade() trusts the file-name convention: check it against Alembic."""
    from alembic.script import ScriptDirectory

    engine = make_engine("sqlite://")
    try:
        scripts = ScriptDirectory.from_config(migrate.alembic_config(engine))
        assert scripts.get_heads() == [migrate.head_revision()]
        for script in scripts.walk_revisions():
            assert script.path is not None
            assert Path(script.path).name[:4] == script.revision
    finally:
        engine.dispose()


def test_upgrade_step_by_step_then_a_database_at_head_is_left_alone(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/fresh.db")
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine, "0001")  # an explicit target goes through Alembic
        assert migrate.current_revision(engine) == "0001"
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        migrate.upgrade(engine)  # at head: returns without touching the schema
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
