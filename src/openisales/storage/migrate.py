"""Schema migrations (Alembic), run by ``openisales db upgrade`` and by ``serve`` on SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSIONS = MIGRATIONS / "versions"


def head_revision() -> str:
    """The newest bundled revision, read from the file names (``NNNN_what_it_does.py``).

    Every revision id is the four digits its file name starts with, and each revision follows
    the one before it (tests/storage check both against Alembic's own view), so the head is the
    highest number: known without importing Alembic.
    """
    return max(path.name[:4] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database Alembic never touched."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as connection:
        version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return None if version is None else str(version)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config for the bundled migrations, bound to ``engine``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (idempotent).

    A database already at the head returns at once, without loading Alembic: every command
    of the embedded default checks its schema, and Alembic costs about half a second to load.
    """
    if revision == "head" and current_revision(engine) == head_revision():
        return
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
