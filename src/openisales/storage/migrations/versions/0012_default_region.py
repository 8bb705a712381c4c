"""phone numbers: tenants.default_region

Revision ID: 0012
Revises: 0011

A tenant may name a default region (an ISO 3166 country code such as CN): its numbers are then
parsed with libphonenumber (E.164 form, number type, time zone; a number that cannot exist is a
failed row). Tenants from before this revision have none, and keep today's behaviour.

Both ways are plain ALTER TABLE statements, also on SQLite (DROP COLUMN since SQLite 3.35):
never a copy of ``tenants``. Dropping the old table of such a copy would, with foreign keys on,
delete every campaign, record and result of every tenant through their ON DELETE CASCADE.
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
    op.add_column("tenants", sa.Column("default_region", sa.String(length=2), nullable=True))


def downgrade() -> None:
    op.drop_column("tenants", "default_region")
