"""The side store: small writes that requests make and must not wait for.

The replay guard's signatures, console sessions and wrong-secret counts. On PostgreSQL they are
migrated tables of the main database. On SQLite they are the same tables in a file of their own
beside it (``replay.db``, the name it had when it held only signatures): SQLite has one writer,
and a 500,000-row import holds it for seconds; a sign-in or a replay check must not wait for that.
What the file holds is short-lived (minutes to hours), so it is created from the models rather
than migrated; deleting it signs every console user out and forgets recent signatures.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from sqlalchemy import Table

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
    return side
