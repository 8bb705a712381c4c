"""Shared fixtures: a runtime on SQLite or on the real PostgreSQL, a tenant, a signed client."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openisales.api.app import create_app
from openisales.client import ISalesClient
from openisales.services import tenants
from openisales.services.runtime import Runtime
from openisales.services.tenants import Credentials
from openisales.settings import Settings
from openisales.storage import migrate
from openisales.storage.db import make_engine
from tests.support.servers import PostgresServer

pytest_plugins = ["tests.support.server_fixtures"]

_database_names = itertools.count()


class Clock:
    """A controllable clock: tests move time instead of sleeping.

    Each reading ticks one millisecond, as a real clock would between two requests, so two
    identical signed requests still carry different timestamps.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A migrated database to copy per test (CREATE DATABASE ... TEMPLATE is fast)."""
    postgres_server.create_database("isales_template")
    engine = make_engine(postgres_server.url("isales_template"))
    migrate.upgrade(engine)
    engine.dispose()
    return "isales_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file to copy per test: a copy costs far less than the migrations."""
    path = tmp_path_factory.mktemp("sqlite-template") / "openisales.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file and removes it
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that uses the database runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "openisales.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    name = f"isales_t{next(_database_names)}"
    _create_from_template(server, name, template)
    yield server.url(name)
    server.drop_database(name)


def _create_from_template(server: PostgresServer, name: str, template: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True
    ) as conn:
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
        conn.execute(statement.format(sql.Identifier(name), sql.Identifier(template)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        lease_seconds=5,
        sftp_connect_timeout=5,
        sftp_read_timeout=5,
        fetch_stable_seconds=0.05,  # the re-check of a just-written file; tests write them all
        # The test sftp server listens on 127.0.0.1, which the service refuses by default.
        allow_local_server_addresses=True,
    )


@pytest.fixture
def rt(settings: Settings, clock: Clock) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(settings, clock=clock)
    yield runtime
    runtime.close()


@dataclass
class Api:
    """Everything a test needs to talk to the service as a tenant."""

    rt: Runtime
    http: TestClient
    creds: Credentials

    def client(
        self,
        creds: Credentials | None = None,
        vdn_id: int | None = None,
        *,
        locale: str | None = None,
    ) -> ISalesClient:
        creds = creds or self.creds
        return ISalesClient(
            "http://testserver",
            creds.access_key,
            creds.secret_key,
            vdn_id or creds.vdn_id,
            transport=self.http._transport,  # in-process ASGI transport, real HTTP semantics
            clock=self.rt.clock,  # sign with the service's (test-controlled) clock
            locale=locale,
        )

    def new_tenant(self, vdn_id: int, time_zone: str = "UTC") -> Credentials:
        with self.rt.db.transaction() as session:
            return tenants.create(session, self.rt.box, vdn_id, time_zone, self.rt.clock())


@pytest.fixture
def api(rt: Runtime) -> Iterator[Api]:
    with TestClient(create_app(rt), raise_server_exceptions=False) as http:
        service = Api(rt, http, Credentials(0, "", ""))
        service.creds = service.new_tenant(12)
        yield service


@pytest.fixture
def isales(api: Api) -> Iterator[ISalesClient]:
    """A signed client of tenant 12."""
    with api.client() as client:
        yield client
