"""Console tests run on the embedded SQLite default: they are about the pages, not the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openisales.storage import migrate
from openisales.storage.db import make_engine


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'openisales.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
