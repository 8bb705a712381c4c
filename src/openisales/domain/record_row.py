"""One call-data record as the file import writes it: the declared row schema.

The import's hot path hands records around as plain tuples (the validating child builds them,
the worker drops duplicates by position, the bulk writer sends them to the driver as they are),
because a tuple costs a fraction of a dict or an object per row. This module is the one place
that says what each position holds: the reader's output, the duplicate check, the bulk writer's
column list and the status values all come from ``RECORD_SCHEMA``, and a test checks it against
the ORM model (``storage.models.CallData``). A new template column is one ``Column`` here, the
value in ``services.calldata_rows``, and a migration.

The columnar import carries records as polars frames of the same columns: ``frame_schema``
gives their types, derived from the same declaration.

Import-free of storage and SQLAlchemy: the validating child process imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

import polars as pl

RecordRow = tuple[Any, ...]


class RecordStatus(IntEnum):
    """Where a record stands; blocked records are kept but never dialled."""

    PENDING = 0
    BLOCKED = 1


@dataclass(frozen=True)
class Column:
    """One value of a record row: the ``call_data`` column it is written to."""

    name: str
    kind: type
    nullable: bool


RECORD_SCHEMA: tuple[Column, ...] = (
    Column("campaign_pk", int, nullable=False),
    Column("session_id", str, nullable=False),
    Column("called_key", str, nullable=False),  # the distinct numbers, sorted: the identity
    Column("called", str, nullable=False),  # JSON array of {calledNo, delayTime, type?}
    Column("caller", str, nullable=True),
    Column("custom_field", str, nullable=True),
    Column("recycle_time", datetime, nullable=True),  # naive, in the tenant's time zone
    Column("call_data", str, nullable=True),
    Column("priority", int, nullable=True),
    Column("status", int, nullable=False),  # a RecordStatus
    Column("import_task_id", str, nullable=True),
    Column("row_number", int, nullable=True),
)
RECORD_COLUMNS: tuple[str, ...] = tuple(column.name for column in RECORD_SCHEMA)
_POSITIONS = {name: index for index, name in enumerate(RECORD_COLUMNS)}


_FRAME_TYPES: dict[type, pl.DataType] = {
    int: pl.Int64(),
    str: pl.Utf8(),
    datetime: pl.Datetime("us"),
}


def frame_schema() -> dict[str, pl.DataType]:
    """The polars type of each column of a frame of record rows, in ``RECORD_SCHEMA`` order."""
    return {column.name: _FRAME_TYPES[column.kind] for column in RECORD_SCHEMA}


def rows_frame(rows: list[RecordRow]) -> pl.DataFrame:
    """A frame of record rows (``RECORD_SCHEMA`` order), typed by ``frame_schema``."""
    return pl.DataFrame(rows, schema=frame_schema(), orient="row")


def position(name: str) -> int:
    """Where the value of column ``name`` stands in a record row; KeyError for no such column."""
    return _POSITIONS[name]


SESSION_ID = position("session_id")
CALLED_KEY = position("called_key")
RECYCLE_TIME = position("recycle_time")
STATUS = position("status")


def record_row(**values: Any) -> RecordRow:
    """A row from values by column name (tests, benchmarks: not the hot path).

    Every column must be given, and no other: a row with a value in the wrong place would be
    written to the wrong column without a word.
    """
    unknown = sorted(set(values) - set(RECORD_COLUMNS))
    missing = [name for name in RECORD_COLUMNS if name not in values]
    if unknown or missing:
        raise ValueError(f"record row: unknown columns {unknown}, missing {missing}")
    return tuple(values[name] for name in RECORD_COLUMNS)


def as_mapping(row: RecordRow) -> dict[str, Any]:
    """A row's values by column name."""
    if len(row) != len(RECORD_COLUMNS):
        raise ValueError(f"a record row has {len(RECORD_COLUMNS)} values, got {len(row)}")
    return dict(zip(RECORD_COLUMNS, row, strict=True))
