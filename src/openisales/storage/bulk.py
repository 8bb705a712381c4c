"""Bulk loading of call-data records: the import's hot path.

The ORM and even Core ``insert()`` spend more time building parameters than the database spends
storing them, so this module talks to the driver, from a polars frame of record rows
(``domain.record_row`` layout): on SQLite ``executemany`` of the frame's rows, converted to the
text SQLAlchemy stores by polars, in batches; on PostgreSQL ``COPY ... FROM STDIN`` of the frame
written as COPY text by polars, so no value becomes a Python object. It stays inside the
caller's transaction.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from openisales.domain.record_row import RECORD_COLUMNS, RecordRow, rows_frame

SQLITE_BATCH = 50_000
COPY_BATCH = 50_000
# ``sqlite_datetime`` in polars' (chrono's) words.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%6f"
# COPY's text format: these characters of a value are written as backslash escapes.
_COPY_ESCAPES = (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def load_records(session: Session, rows: Sequence[RecordRow], created_at: datetime) -> None:
    """Insert call-data rows given as tuples (JSON adds, tests, benchmarks)."""
    load_frame(session, rows_frame(list(rows)), created_at)


def load_frame(session: Session, frame: pl.DataFrame, created_at: datetime) -> None:
    """Insert a frame of call-data record rows, all created at ``created_at``."""
    if frame.is_empty():
        return
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    assert raw is not None
    created = created_at.astimezone(UTC).replace(tzinfo=None)  # UtcDateTime stores naive UTC
    columns = frame.select(RECORD_COLUMNS)  # the declared order, whatever the frame's
    if connection.dialect.name == "postgresql":
        _copy(raw, columns, created)
    else:
        _executemany(raw, columns, created)


def sqlite_datetime(moment: datetime) -> str:
    """A naive datetime as SQLAlchemy's SQLite DateTime stores it, so both read it back alike."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _statement_columns() -> str:
    return ", ".join((*RECORD_COLUMNS, "created_at"))


def _executemany(raw: Any, frame: pl.DataFrame, created: datetime) -> None:
    marks = ", ".join("?" * (len(RECORD_COLUMNS) + 1))
    statement = f"INSERT INTO call_data ({_statement_columns()}) VALUES ({marks})"
    prepared = frame.with_columns(
        pl.col(pl.Datetime).dt.strftime(_SQLITE_DATETIME),
        created_at=pl.lit(sqlite_datetime(created)),
    )
    cursor = raw.cursor()
    try:
        for batch in prepared.iter_slices(SQLITE_BATCH):
            cursor.executemany(statement, batch.iter_rows())
    finally:
        cursor.close()


def _copy(raw: Any, frame: pl.DataFrame, created: datetime) -> None:
    text = frame.with_columns(
        *(_copy_escaped(pl.col(name)) for name, kind in frame.schema.items() if kind == pl.Utf8),
        created_at=pl.lit(created),
    )
    statement = f"COPY call_data ({_statement_columns()}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in text.iter_slices(COPY_BATCH):
            buffer = io.BytesIO()
            batch.write_csv(
                buffer,
                include_header=False,
                separator="\t",
                quote_style="never",
                null_value="\\N",
                datetime_format="%Y-%m-%d %H:%M:%S%.6f",
            )
            copy.write(buffer.getbuffer())


def _copy_escaped(column: pl.Expr) -> pl.Expr:
    for char, escaped in _COPY_ESCAPES:
        column = column.str.replace_all(char, escaped, literal=True)
    return column
