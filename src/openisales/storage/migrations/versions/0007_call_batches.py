"""call batches (cec_07_0770-0775): a campaign's batches, their status, live names unique

Revision ID: 0007
Revises: 0006

The calling numbers of a campaign need no schema change: the list lives in ``campaigns.params``
(``callerNo``) as the V2 create stores it, ``campaigns.caller_no`` keeps the first of it.
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openisales.storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LIVE = sa.text("status != 3")  # domain.call_batch.BatchStatus.DELETED


def upgrade() -> None:
    op.create_table(
        "call_batches",
        sa.Column("pk", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("campaign_pk", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("created_at", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", openisales.storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_pk"],
            ["campaigns.pk"],
            name=op.f("fk_call_batches_campaign_pk_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_call_batches")),
        sa.UniqueConstraint("batch_id", name=op.f("uq_call_batches_batch_id")),
    )
    with op.batch_alter_table("call_batches", schema=None) as batch_op:
        batch_op.create_index(
            "uq_call_batches_live_name",
            ["campaign_pk", "name"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
        batch_op.create_index(
            "ix_call_batches_campaign_status", ["campaign_pk", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("call_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_call_batches_campaign_status")
        batch_op.drop_index("uq_call_batches_live_name")
    op.drop_table("call_batches")
