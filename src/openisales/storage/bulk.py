"""Bulk loading of call-data records: the import's hot path.

The ORM and even Core ``insert()`` spend more time building parameters than the database spends
storing them, so this module talks to the driver, from a polars frame of record rows
(``domain.record_row`` layout): on SQLite ``executemany`` of the frame's rows, converted to the
text SQLAlchemy stores by polars, in batches; on PostgreSQL ``COPY ... FROM STDIN`` of the frame
written as COPY text by polars, so no value becomes a Python object. It stays inside the
caller's transaction.

The duplicate rule of an import (a record whose sessionId and set of numbers the campaign
already holds, or an earlier row of the file, is not stored) is the unique index
``uq_call_data_identity``: ``load_new_records`` inserts with ``ON CONFLICT DO NOTHING`` in row
order, so the database keeps the first of equal records and says how many it stored. No copy of
the campaign's identities is held in memory, and the rule has one owner.
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


def load_records(session: Session, rows: Sequence[RecordRow], created_at: datetime) -> int:
    """Store call-data rows given as tuples (tests, benchmarks); see ``load_new_records``."""
    return load_new_records(session, rows_frame(list(rows)), created_at)


def load_new_records(session: Session, frame: pl.DataFrame, created_at: datetime) -> int:
    """Store the frame's records (in row order) that are not duplicates, all created at
    ``created_at``; returns how many were stored."""
    if frame.is_empty():
        return 0
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    assert raw is not None
    created = created_at.astimezone(UTC).replace(tzinfo=None)  # UtcDateTime stores naive UTC
    columns = frame.select(RECORD_COLUMNS)  # the declared order, whatever the frame's
    if connection.dialect.name == "postgresql":
        return _copy(raw, columns, created)
    return _executemany(raw, columns, created)


def sqlite_datetime(moment: datetime) -> str:
    """A naive datetime as SQLAlchemy's SQLite DateTime stores it, so both read it back alike."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _statement_columns() -> str:
    return ", ".join((*RECORD_COLUMNS, "created_at"))


# Only a conflict on the identity index is a duplicate: any other violation still raises.
_NOT_DUPLICATES = "ON CONFLICT (campaign_pk, session_id, called_key) DO NOTHING"
_INCOMING = "call_data_incoming"  # PostgreSQL: the frame's rows, copied in before the insert


def _executemany(raw: Any, frame: pl.DataFrame, created: datetime) -> int:
    marks = ", ".join("?" * (len(RECORD_COLUMNS) + 1))
    statement = f"INSERT INTO call_data ({_statement_columns()}) VALUES ({marks}) {_NOT_DUPLICATES}"
    prepared = frame.with_columns(
        pl.col(pl.Datetime).dt.strftime(_SQLITE_DATETIME),
        created_at=pl.lit(sqlite_datetime(created)),
    )
    stored = 0
    cursor = raw.cursor()
    try:
        for batch in prepared.iter_slices(SQLITE_BATCH):
            cursor.executemany(statement, batch.iter_rows())
            stored += cursor.rowcount  # summed over the rows: 0 for each duplicate
    finally:
        cursor.close()
    return stored


def _copy(raw: Any, frame: pl.DataFrame, created: datetime) -> int:
    """COPY the frame into a temporary table (COPY cannot skip duplicates), then insert it."""
    columns = _statement_columns()
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} ON COMMIT DROP AS "
            f"SELECT {columns}, 0::bigint AS seq FROM call_data WITH NO DATA"
        )
        _copy_into(cursor, _INCOMING, frame, created)
        cursor.execute(  # in the frame's order: the first of equal records is the one kept
            f"INSERT INTO call_data ({columns}) SELECT {columns} FROM {_INCOMING} "
            f"ORDER BY seq {_NOT_DUPLICATES}"
        )
        stored = int(cursor.rowcount)
        cursor.execute(f"TRUNCATE {_INCOMING}")
    return stored


def _copy_into(cursor: Any, table: str, frame: pl.DataFrame, created: datetime) -> None:
    text = frame.with_columns(
        *(_copy_escaped(pl.col(name)) for name, kind in frame.schema.items() if kind == pl.Utf8),
        created_at=pl.lit(created),
        seq=pl.int_range(pl.len(), dtype=pl.Int64),
    )
    with cursor.copy(f"COPY {table} ({_statement_columns()}, seq) FROM STDIN") as copy:
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
