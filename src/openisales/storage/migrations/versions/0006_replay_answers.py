"""replay answers: the first answer of a signed mutating request, kept with its signature

Revision ID: 0006
Revises: 0005

Signatures remembered before this revision read as state 0, "answer not kept": a replay of one
is refused with 401 as before. On SQLite these are plain ALTER TABLE ADD COLUMN (no table copy);
the side store's own file (storage.side) gets the same columns when it is opened.
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("seen_signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("status", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("content_type", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("answer", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("seen_signatures", schema=None) as batch_op:
        batch_op.drop_column("answer")
        batch_op.drop_column("content_type")
        batch_op.drop_column("status")
        batch_op.drop_column("request_digest")
        batch_op.drop_column("state")
