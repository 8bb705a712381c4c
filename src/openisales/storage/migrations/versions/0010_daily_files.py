"""daily files: done markers, moving files after the import, the name a run fetched

Revision ID: 0010
Revises: 0009

- ``file_servers.require_done_marker``: an import from this server waits for ``<file>.done``
  beside the file before it fetches it (false for servers from before this revision).
- ``import_tasks.move_after_import`` and ``import_schedules.move_after_import``: after the run
  the file is moved on the server into ``done/`` or ``failed/`` (false: left where it is).
- ``import_tasks.fetched_name``: the file name a run fetched, its ``fileName`` date pattern
  expanded at the run's time (null until the task runs, and for tasks from before).
- ``import_tasks.moved_to`` and ``import_tasks.move_error``: where the file was moved, or why
  it could not be.

On SQLite plain ALTER TABLE ADD COLUMNs (no table copy).
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _flag(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("file_servers", schema=None) as batch_op:
        batch_op.add_column(_flag("require_done_marker"))
    with op.batch_alter_table("import_tasks", schema=None) as batch_op:
        batch_op.add_column(_flag("move_after_import"))
        batch_op.add_column(sa.Column("fetched_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("moved_to", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("move_error", sa.Text(), nullable=True))
    with op.batch_alter_table("import_schedules", schema=None) as batch_op:
        batch_op.add_column(_flag("move_after_import"))


def downgrade() -> None:
    with op.batch_alter_table("import_schedules", schema=None) as batch_op:
        batch_op.drop_column("move_after_import")
    with op.batch_alter_table("import_tasks", schema=None) as batch_op:
        batch_op.drop_column("move_error")
        batch_op.drop_column("moved_to")
        batch_op.drop_column("fetched_name")
        batch_op.drop_column("move_after_import")
    with op.batch_alter_table("file_servers", schema=None) as batch_op:
        batch_op.drop_column("require_done_marker")
