"""campaign history: campaigns deleted with archiveHistory=1 (cec_07_4005)

Revision ID: 0009
Revises: 0008

A campaign deleted with ``archiveHistory: 1`` is kept in ``campaign_history`` under its original
key, and its records move to ``call_data_history`` (which already holds records archived by the
call-data delete), so both stay linked. Nothing existing changes.
Create Date: 2026-12-04 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openisales.storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaign_history",
        sa.Column("campaign_pk", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("vdn_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("device_type", sa.Integer(), nullable=False),
        sa.Column("begin_time", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.Column("end_time", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.Column("caller_no", sa.String(length=24), nullable=True),
        sa.Column("max_alerting_time", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("retry_policy", sa.JSON(), nullable=True),
        sa.Column("created_at", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.Column("archived_at", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vdn_id"],
            ["tenants.vdn_id"],
            name=op.f("fk_campaign_history_vdn_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_pk", name=op.f("pk_campaign_history")),
    )
    with op.batch_alter_table("campaign_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_history_vdn_campaign", ["vdn_id", "campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_history", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_history_vdn_campaign")
    op.drop_table("campaign_history")
