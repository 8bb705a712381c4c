"""result deliveries (the outbox of the result push), tenant's pushes per result

Revision ID: 0005
Revises: 0004

Results recorded before this revision get no delivery entry: they were never meant to be
pushed. On SQLite the tenant column is a plain ALTER TABLE ADD COLUMN (no table copy).
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openisales.storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "result_deliveries",
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
    with op.batch_alter_table("result_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_result_deliveries_due", ["state", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_result_deliveries_campaign", ["campaign_pk", "state"], unique=False
        )
        batch_op.create_index("ix_result_deliveries_tenant", ["vdn_id", "state"], unique=False)

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("result_push_max", sa.Integer(), server_default="2", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("result_push_max")

    with op.batch_alter_table("result_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_result_deliveries_tenant")
        batch_op.drop_index("ix_result_deliveries_campaign")
        batch_op.drop_index("ix_result_deliveries_due")

    op.drop_table("result_deliveries")
