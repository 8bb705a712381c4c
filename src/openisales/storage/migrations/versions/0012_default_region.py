"""phone numbers: tenants.default_region

Revision ID: 0012
Revises: 0011

A tenant may name a default region (an ISO 3166 country code such as CN): its numbers are then
parsed with libphonenumber (E.164 form, number type, time zone; a number that cannot exist is a
failed row). Tenants from before this revision have none, and keep today's behaviour. On SQLite
a plain ALTER TABLE ADD COLUMN (no table copy).
Create Date: 2026-12-04 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_region", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("default_region")
