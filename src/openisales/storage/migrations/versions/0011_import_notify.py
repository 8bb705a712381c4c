"""import notices: notifyUrl on tasks and schedules; the outbox carries a kind

Revision ID: 0011
Revises: 0010

An import (and every run of a schedule) may name a ``notifyUrl``: when its task ends, its record
is POSTed there from the push outbox. So ``result_deliveries`` gets a key of its own (``pk``), a
``kind`` (0 a call result, 1 an import notice) and a ``task_id``; ``result_pk`` and
``campaign_pk`` may be empty (a notice has no result; a blocklist import has no campaign).
Entries from before this revision are call results (kind 0) and keep every column.

PostgreSQL changes the table in place; SQLite cannot change a primary key, so the table is
built anew and the entries copied, each keeping its ``result_pk`` as its ``pk``.
Create Date: 2026-12-04 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openisales.storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "result_deliveries"
# The columns both shapes of the table have, copied as they are.
KEPT = (
    "result_pk, vdn_id, campaign_pk, state, pushes, next_attempt_at, claim_token, target_url,"
    " last_status, last_error, last_attempt_at, delivered_at, created_at"
)


def upgrade() -> None:
    for table in ("import_tasks", "import_schedules"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("notify_url", sa.String(length=1024), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_in_place()
    else:
        _upgrade_by_copy()


def _upgrade_in_place() -> None:
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN pk BIGSERIAL NOT NULL")
    op.add_column(TABLE, sa.Column("kind", sa.Integer(), server_default="0", nullable=False))
    op.add_column(TABLE, sa.Column("task_id", sa.String(length=32), nullable=True))
    op.drop_constraint("pk_result_deliveries", TABLE, type_="primary")
    op.create_primary_key("pk_result_deliveries", TABLE, ["pk"])
    op.alter_column(TABLE, "result_pk", existing_type=sa.BigInteger(), nullable=True)
    op.alter_column(TABLE, "campaign_pk", existing_type=sa.BigInteger(), nullable=True)
    op.create_unique_constraint("uq_result_deliveries_result_pk", TABLE, ["result_pk"])
    op.create_unique_constraint("uq_result_deliveries_task_id", TABLE, ["task_id"])
    op.create_foreign_key(
        "fk_result_deliveries_task_id_import_tasks",
        TABLE,
        "import_tasks",
        ["task_id"],
        ["task_id"],
        ondelete="CASCADE",
    )
    op.drop_index("ix_result_deliveries_due", table_name=TABLE)
    op.create_index("ix_result_deliveries_due", TABLE, ["kind", "state", "next_attempt_at"])


def _upgrade_by_copy() -> None:
    op.create_table(
        "result_deliveries_new",
        sa.Column("pk", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.Integer(), server_default="0", nullable=False),
        sa.Column("result_pk", BIG_ID, nullable=True),
        sa.Column("task_id", sa.String(length=32), nullable=True),
        sa.Column("vdn_id", sa.Integer(), nullable=False),
        sa.Column("campaign_pk", BIG_ID, nullable=True),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("pushes", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("target_url", sa.String(length=1024), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", openisales.storage.types.UtcDateTime(), nullable=True),
        sa.Column("delivered_at", openisales.storage.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_pk"],
            ["call_results.pk"],
            name=op.f("fk_result_deliveries_result_pk_call_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["import_tasks.task_id"],
            name=op.f("fk_result_deliveries_task_id_import_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_result_deliveries")),
        sa.UniqueConstraint("result_pk", name=op.f("uq_result_deliveries_result_pk")),
        sa.UniqueConstraint("task_id", name=op.f("uq_result_deliveries_task_id")),
    )
    op.execute(
        f"INSERT INTO result_deliveries_new (pk, kind, {KEPT}) SELECT result_pk, 0, {KEPT}"
        f" FROM {TABLE}"
    )
    op.drop_table(TABLE)  # its indexes go with it
    op.rename_table("result_deliveries_new", TABLE)
    _create_indexes(["kind", "state", "next_attempt_at"])


def _create_indexes(due: list[str]) -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index("ix_result_deliveries_due", due, unique=False)
        batch_op.create_index("ix_result_deliveries_campaign", ["campaign_pk", "state"])
        batch_op.create_index("ix_result_deliveries_tenant", ["vdn_id", "state"])


def downgrade() -> None:
    # Import notices have no place in the older table: they are dropped.
    op.execute(f"DELETE FROM {TABLE} WHERE kind <> 0")
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_in_place()
    else:
        _downgrade_by_copy()
    for table in ("import_schedules", "import_tasks"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("notify_url")


def _downgrade_in_place() -> None:
    op.drop_index("ix_result_deliveries_due", table_name=TABLE)
    op.create_index("ix_result_deliveries_due", TABLE, ["state", "next_attempt_at"])
    op.drop_constraint("fk_result_deliveries_task_id_import_tasks", TABLE, type_="foreignkey")
    op.drop_constraint("uq_result_deliveries_task_id", TABLE, type_="unique")
    op.drop_constraint("uq_result_deliveries_result_pk", TABLE, type_="unique")
    op.alter_column(TABLE, "campaign_pk", existing_type=sa.BigInteger(), nullable=False)
    op.alter_column(TABLE, "result_pk", existing_type=sa.BigInteger(), nullable=False)
    op.drop_constraint("pk_result_deliveries", TABLE, type_="primary")
    op.create_primary_key("pk_result_deliveries", TABLE, ["result_pk"])
    op.drop_column(TABLE, "task_id")
    op.drop_column(TABLE, "kind")
    op.drop_column(TABLE, "pk")


def _downgrade_by_copy() -> None:
    op.create_table(
        "result_deliveries_old",
        sa.Column("result_pk", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("vdn_id", sa.Integer(), nullable=False),
        sa.Column("campaign_pk", BIG_ID, nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("pushes", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("target_url", sa.String(length=1024), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", openisales.storage.types.UtcDateTime(), nullable=True),
        sa.Column("delivered_at", openisales.storage.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_pk"],
            ["call_results.pk"],
            name=op.f("fk_result_deliveries_result_pk_call_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_pk", name=op.f("pk_result_deliveries")),
    )
    op.execute(f"INSERT INTO result_deliveries_old ({KEPT}) SELECT {KEPT} FROM {TABLE}")
    op.drop_table(TABLE)
    op.rename_table("result_deliveries_old", TABLE)
    _create_indexes(["state", "next_attempt_at"])
