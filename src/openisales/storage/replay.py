"""The replay guard: signatures of mutating requests seen inside the clock window.

On PostgreSQL it is the migrated ``seen_signatures`` table. On SQLite it is the same table in a
file of its own beside the database: SQLite has a single writer, and a 500,000-row import holds
it for seconds; a request's replay check must not wait for that.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Table, delete
from sqlalchemy.exc import IntegrityError

from openisales.storage.db import Database
from openisales.storage.models import SeenSignature

REPLAY_FILE = "replay.db"
SEEN_TABLE = cast(Table, SeenSignature.__table__)


class ReplayGuard:
    def __init__(self, db: Database, data_dir: Path) -> None:
        if db.is_sqlite:
            self._db = Database(f"sqlite:///{(data_dir / REPLAY_FILE).resolve()}")
            SeenSignature.metadata.create_all(self._db.engine, tables=[SEEN_TABLE])
            self._owned = True
        else:
            self._db, self._owned = db, False

    def remember(self, signature: str, until: datetime) -> bool:
        """Record a signature until ``until``; False when it was seen before (a replay)."""
        try:
            with self._db.transaction() as session:
                session.add(SeenSignature(signature=signature, expires_at=until))
        except IntegrityError:
            return False
        return True

    def forget_expired(self, now: datetime) -> int:
        with self._db.transaction() as session:
            result = session.execute(delete(SeenSignature).where(SeenSignature.expires_at < now))
            return int(getattr(result, "rowcount", 0) or 0)

    def close(self) -> None:
        if self._owned:
            self._db.dispose()
