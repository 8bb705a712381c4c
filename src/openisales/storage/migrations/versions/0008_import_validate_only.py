"""import dry runs: import_tasks.validate_only

Revision ID: 0008
Revises: 0007

A task submitted with ``validateOnly: true`` fetches, reads and validates its file and reports
what an import would do, and writes no record. Tasks from before this revision were real
imports (false). On SQLite a plain ALTER TABLE ADD COLUMN (no table copy).
Create Date: 2026-12-03 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("validate_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("import_tasks", schema=None) as batch_op:
        batch_op.drop_column("validate_only")
