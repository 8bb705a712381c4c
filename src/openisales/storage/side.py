"""The side store: small writes that requests make and must not wait for.

The replay guard's signatures, console sessions and wrong-secret counts. On PostgreSQL they are
migrated tables of the main database. On SQLite they are the same tables in a file of their own
beside it (``replay.db``, the name it had when it held only signatures): SQLite has one writer,
and a 500,000-row import holds it for seconds; a sign-in or a replay check must not wait for that.
What the file holds is short-lived (minutes to hours), so it is created from the models rather
than migrated; a column the models gained since the file was made is added to it when it is
opened. Deleting the file signs every console user out and forgets recent signatures.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from sqlalchemy import Column, Table, inspect, text

from openisales.storage.db import Database
from openisales.storage.models import ConsoleSession, SeenSignature, SignInFailures

SIDE_FILE = "replay.db"
SIDE_TABLES = [
    cast(Table, model.__table__) for model in (SeenSignature, ConsoleSession, SignInFailures)
]


def open_side_store(db: Database, data_dir: Path) -> Database:
    """The database for the side tables: ``db`` itself, or on SQLite the file beside it."""
    if not db.is_sqlite:
        return db
    side = Database(f"sqlite:///{(data_dir / SIDE_FILE).resolve()}")
    SeenSignature.metadata.create_all(side.engine, tables=SIDE_TABLES)
    _add_new_columns(side)
    return side


def _add_new_columns(side: Database) -> None:
    """Give a side file made by an older version the columns the models have gained since.

    ``create_all`` makes missing tables only. Every added column is nullable or has a server
    default, which is what ALTER TABLE ADD COLUMN takes on SQLite.
    """
    with side.engine.begin() as connection:
        present = inspect(connection)
        for table in SIDE_TABLES:
            have = {column["name"] for column in present.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    connection.execute(text(_add_column(table, column, side)))


def _add_column(table: Table, column: Column[object], side: Database) -> str:
    kind = column.type.compile(dialect=side.engine.dialect)
    default = column.server_default
    if default is None:
        return f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
    value = getattr(default, "arg", "")
    return f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind} NOT NULL DEFAULT {value}'
