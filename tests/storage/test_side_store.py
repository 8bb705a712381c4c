"""The side store's own SQLite file: a file made by an older version gains the new columns."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openisales.storage.db import Database
from openisales.storage.replay import ReplayGuard, ReplayState
from openisales.storage.side import SIDE_FILE, open_side_store


def test_an_old_side_file_gains_the_answer_columns(tmp_path: Path) -> None:
    # seen_signatures as it was before answers were kept, with a signature remembered then
    with sqlite3.connect(tmp_path / SIDE_FILE) as old:
        old.execute(
            "CREATE TABLE seen_signatures (signature VARCHAR(128) PRIMARY KEY, "
            "expires_at VARCHAR(32) NOT NULL)"
        )
        old.execute("INSERT INTO seen_signatures VALUES ('old-signature', '2999-01-01 00:00:00')")
    main = Database(f"sqlite:///{tmp_path / 'openisales.db'}")
    side = open_side_store(main, tmp_path)
    try:
        guard = ReplayGuard(side)
        seen = guard.claim("old-signature", "digest", datetime.now(UTC) + timedelta(minutes=15))
        assert seen is not None and seen.state is ReplayState.NOT_KEPT  # answered 401 as before
        assert seen.request_digest is None and seen.answer is None
        assert guard.claim("new-signature", "digest", datetime.now(UTC)) is None
        guard.answer("new-signature", 200, "application/json", b"{}")
        again = guard.claim("new-signature", "digest", datetime.now(UTC))
        assert again is not None and (again.state, again.answer) == (ReplayState.ANSWERED, b"{}")
        open_side_store(main, tmp_path).dispose()  # opening it again changes nothing
    finally:
        side.dispose()
        main.dispose()
