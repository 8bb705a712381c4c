"""What every entry point (API, worker, CLI) shares: settings, database, secret box, clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from openisales.networks import ServerNetworks
from openisales.settings import Settings
from openisales.storage.crypto import SecretBox, load_or_create_master_key
from openisales.storage.db import Database
from openisales.storage.replay import ReplayGuard
from openisales.storage.side import open_side_store


def utc_now() -> datetime:
    """The current moment in UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    box: SecretBox
    replay: ReplayGuard
    # The side store (storage.side): replay guard, console sessions, wrong-secret counts.
    side: Database
    clock: Callable[[], datetime] = field(default=utc_now)
    # Rows processed by imports running in this process, while their counts are not yet
    # committed (see import_run.live_progress_reporter).
    live_progress: dict[str, int] = field(default_factory=dict)
    # Set when a task is queued in this process: an idle embedded worker starts at once instead
    # of at its next poll.
    work_available: threading.Event = field(default_factory=threading.Event)
    # Set when results are recorded in this process: an idle embedded pusher pushes at once.
    results_recorded: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Callable[[], datetime] = utc_now) -> Runtime:
        """Build the runtime: data directory, master key, database, side store and replay guard."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = load_or_create_master_key(settings.data_dir, settings.master_key)
        db = Database(settings.sqlalchemy_url)
        side = open_side_store(db, settings.data_dir)
        return cls(settings, db, SecretBox(key), ReplayGuard(side), side, clock)

    @property
    def server_networks(self) -> ServerNetworks:
        """Where file servers and result receivers may be, by the settings in force now."""
        return ServerNetworks(
            self.settings.server_networks, self.settings.allow_local_server_addresses
        )

    def close(self) -> None:
        """Dispose the database engines (the side store's too when it is separate)."""
        if self.side is not self.db:
            self.side.dispose()
        self.db.dispose()
