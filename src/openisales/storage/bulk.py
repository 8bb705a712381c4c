"""Bulk loading of call-data records: the import's hot path.

The ORM and even Core ``insert()`` spend more time building parameters than the database spends
storing them, so this module talks to the driver: ``executemany`` of plain tuples on SQLite,
``COPY ... FROM STDIN`` on PostgreSQL. It stays inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from openisales.domain.record_row import RECORD_COLUMNS, RECYCLE_TIME, RecordRow

SQLITE_BATCH = 50_000


def load_records(session: Session, rows: Sequence[RecordRow], created_at: datetime) -> None:
    """Insert call-data rows (``domain.record_row`` layout), all created at ``created_at``."""
    if not rows:
        return
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    assert raw is not None
    created = created_at.astimezone(UTC).replace(tzinfo=None)  # UtcDateTime stores naive UTC
    statement_columns = ", ".join((*RECORD_COLUMNS, "created_at"))
    if connection.dialect.name == "postgresql":
        _copy(raw, rows, statement_columns, created)
    else:
        _executemany(raw, rows, statement_columns, sqlite_datetime(created))


def sqlite_datetime(moment: datetime) -> str:
    """A naive datetime as SQLAlchemy's SQLite DateTime stores it, so both read it back alike."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _executemany(raw: Any, rows: Sequence[RecordRow], columns: str, created: str) -> None:
    marks = ", ".join("?" * (len(RECORD_COLUMNS) + 1))
    statement = f"INSERT INTO call_data ({columns}) VALUES ({marks})"
    cursor = raw.cursor()
    try:
        for start in range(0, len(rows), SQLITE_BATCH):
            batch = rows[start : start + SQLITE_BATCH]
            cursor.executemany(statement, [_for_sqlite(row, created) for row in batch])
    finally:
        cursor.close()


def _for_sqlite(row: RecordRow, created: str) -> tuple[Any, ...]:
    recycle = row[RECYCLE_TIME]
    if recycle is None:
        return (*row, created)
    return (*row[:RECYCLE_TIME], sqlite_datetime(recycle), *row[RECYCLE_TIME + 1 :], created)


def _copy(raw: Any, rows: Sequence[RecordRow], columns: str, created: datetime) -> None:
    with raw.cursor() as cursor, cursor.copy(f"COPY call_data ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, created))
