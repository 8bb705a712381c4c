"""pytest plugin: the real test servers as fixtures.

Load it from the rootdir conftest with ``pytest_plugins = ["tests.support.server_fixtures"]``
(or import the fixtures by name into a conftest). Fixtures:

* ``sftp_server`` (session): one OpenSSH sftp server for the whole run.
* ``sftp`` (function): the same server with an empty home directory, running (restarted if a
  previous test stopped it) and with no sessions left over from earlier tests.
* ``postgres_server`` (session): one PostgreSQL cluster for the whole run.

Missing system packages fail the tests (never skip them): install them with
``scripts/install-test-deps.sh``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.servers import INSTALL_HINT, PostgresServer, SftpServer


@pytest.fixture(scope="session")
def sftp_server() -> Iterator[SftpServer]:
    missing = SftpServer.missing_requirements()
    if missing:
        pytest.fail(f"OpenSSH server not installed ({', '.join(missing)}): {INSTALL_HINT}")
    if os.geteuid() != 0:
        pytest.fail("the sftp test server needs root (it creates a system user and runs sshd)")
    server = SftpServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def sftp(sftp_server: SftpServer) -> Iterator[SftpServer]:
    sftp_server.kill_sessions()
    if not sftp_server.running:
        sftp_server.start()
    sftp_server.clear()
    yield sftp_server
    sftp_server.kill_sessions()  # no paused or half-closed sessions leak into the next test


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if PostgresServer.find_bin_dir() is None:
        pytest.fail(f"PostgreSQL server binaries (initdb) not found: {INSTALL_HINT}")
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.close()
