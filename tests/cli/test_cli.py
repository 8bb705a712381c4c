"""The ``openisales`` console script: in-process for most cases, as a real subprocess for some.

Most cases call the command line in this process (typer's runner, the same code path from
argument parsing to exit status); those about the installed script itself, a fresh data
directory and a running server start the real ``openisales`` executable.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from openisales.auth import signing
from openisales.client import ISalesClient, ISalesHTTPError
from openisales.errors import AuthenticationError
from openisales.services import authentication
from openisales.services.authentication import SignedRequest
from openisales.services.runtime import Runtime
from openisales.settings import Settings

SCRIPT = Path(sys.executable).with_name("openisales")


@dataclass
class Cli:
    """The console script bound to one data directory and database.

    ``real``: run the installed executable in a subprocess (slower: about a second of
    imports per call) instead of the same command line in this process.
    """

    data_dir: Path
    database_url: str | None
    real: bool = False

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("OPENISALES_")}
        env["OPENISALES_DATA_DIR"] = str(self.data_dir)
        env["OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES"] = "true"  # the sftp test server: 127.0.0.1
        if self.database_url is not None:
            env["OPENISALES_DATABASE_URL"] = self.database_url
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        if not self.real:
            return self._run_here(*args)
        return subprocess.run(
            [str(SCRIPT), *args],
            env=self.env,
            cwd=self.data_dir.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def _run_here(self, *args: str) -> subprocess.CompletedProcess[str]:
        from typer.testing import CliRunner

        from openisales.cli import app

        # The runner adds to os.environ; None removes what the test process itself carries.
        env: dict[str, str | None] = {
            key: None for key in os.environ if key.startswith("OPENISALES_")
        }
        env.update(self.env)
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return subprocess.CompletedProcess(
            ["openisales", *args], result.exit_code, result.stdout, result.stderr
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def create_tenant(self, vdn_id: int, *extra: str) -> dict[str, Any]:
        out = self.ok("tenant", "create", "--vdn-id", str(vdn_id), *extra)
        keys: dict[str, Any] = json.loads(out)
        return keys

    def runtime(self) -> Runtime:
        return Runtime.from_settings(
            Settings(data_dir=self.data_dir, database_url=self.database_url)
        )


@pytest.fixture
def cli(tmp_path: Path, database_url: str) -> Cli:
    """The script on the test database (SQLite or PostgreSQL, already migrated)."""
    return Cli(tmp_path / "data", database_url)


@pytest.fixture
def fresh_cli(tmp_path: Path) -> Cli:
    """The real script on an empty data directory with the embedded SQLite default."""
    return Cli(tmp_path / "fresh", None, real=True)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file() and os.access(SCRIPT, os.X_OK)


# -- tenant create -----------------------------------------------------------------------------


def test_tenant_create_prints_exactly_one_json_object(cli: Cli) -> None:
    result = cli.run("tenant", "create", "--vdn-id", "12")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    keys = json.loads(lines[0])
    assert set(keys) == {"vdnId", "accessKey", "secretKey"}
    assert keys["vdnId"] == 12
    assert isinstance(keys["accessKey"], str) and len(keys["accessKey"]) >= 16
    assert "/" not in keys["accessKey"]
    assert isinstance(keys["secretKey"], str) and len(keys["secretKey"]) >= 32
    assert keys["secretKey"] not in result.stderr


def test_tenant_create_on_a_fresh_data_dir(fresh_cli: Cli) -> None:
    keys = fresh_cli.create_tenant(1, "--time-zone", "Asia/Shanghai")
    assert keys["vdnId"] == 1
    key_file = fresh_cli.data_dir / "master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (fresh_cli.data_dir / "openisales.db").is_file()
    listed = json.loads(fresh_cli.ok("tenant", "list", "--json"))
    assert [(t["vdnId"], t["timeZone"]) for t in listed] == [(1, "Asia/Shanghai")]


def test_tenant_create_twice_fails(cli: Cli) -> None:
    first = cli.create_tenant(12)
    assert_one_line_error(cli.run("tenant", "create", "--vdn-id", "12"), "12", "exists")
    listed = json.loads(cli.ok("tenant", "list", "--json"))
    assert [t["accessKey"] for t in listed] == [first["accessKey"]]


@pytest.mark.parametrize("vdn_id", ["0", "10000", "-1"])
def test_tenant_create_with_vdn_out_of_range(cli: Cli, vdn_id: str) -> None:
    assert_one_line_error(cli.run("tenant", "create", "--vdn-id", vdn_id), vdn_id, "9999")
    assert json.loads(cli.ok("tenant", "list", "--json")) == []


@pytest.mark.parametrize("zone", ["Mars/Base", "../../etc/passwd", ""])
def test_tenant_create_with_unknown_time_zone(cli: Cli, zone: str) -> None:
    result = cli.run("tenant", "create", "--vdn-id", "12", "--time-zone", zone)
    assert_one_line_error(result, "time zone")
    assert json.loads(cli.ok("tenant", "list", "--json")) == []


def test_tenant_create_bounds_are_accepted(cli: Cli) -> None:
    assert cli.create_tenant(1)["vdnId"] == 1
    assert cli.create_tenant(9999)["vdnId"] == 9999


# -- tenant list -------------------------------------------------------------------------------


def test_tenant_list_json(cli: Cli) -> None:
    assert json.loads(cli.ok("tenant", "list", "--json")) == []
    twelve = cli.create_tenant(12)
    three = cli.create_tenant(3, "--time-zone", "Europe/Berlin")
    out = cli.ok("tenant", "list", "--json")
    listed = json.loads(out)
    assert [(t["vdnId"], t["accessKey"], t["timeZone"]) for t in listed] == [
        (3, three["accessKey"], "Europe/Berlin"),
        (12, twelve["accessKey"], "UTC"),
    ]
    for tenant in listed:
        assert set(tenant) == {
            "vdnId",
            "accessKey",
            "timeZone",
            "resultPushMax",
            "defaultRegion",
            "createdAt",
        }
    assert twelve["secretKey"] not in out and three["secretKey"] not in out


def test_pushes_per_result_default_to_2_and_are_set_from_1_to_6(cli: Cli) -> None:
    cli.create_tenant(12)
    cli.create_tenant(13, "--result-push-max", "6")
    assert "at most 1 times" in cli.ok("tenant", "set", "--vdn-id", "12", "--result-push-max", "1")
    listed = json.loads(cli.ok("tenant", "list", "--json"))
    assert [(t["vdnId"], t["resultPushMax"]) for t in listed] == [(12, 1), (13, 6)]
    for bad in ("0", "7"):
        assert_one_line_error(
            cli.run("tenant", "set", "--vdn-id", "12", "--result-push-max", bad), "1 to 6"
        )
        assert_one_line_error(
            cli.run("tenant", "create", "--vdn-id", "14", "--result-push-max", bad), "1 to 6"
        )
    assert_one_line_error(
        cli.run("tenant", "set", "--vdn-id", "99", "--result-push-max", "3"), "99"
    )
    listed = json.loads(cli.ok("tenant", "list", "--json"))
    assert [(t["vdnId"], t["resultPushMax"]) for t in listed] == [(12, 1), (13, 6)]


def test_a_default_region_is_set_at_create_changed_and_cleared(cli: Cli) -> None:
    cli.create_tenant(12, "--default-region", "cn")
    cli.create_tenant(13)
    listed = json.loads(cli.ok("tenant", "list", "--json"))
    assert [(t["vdnId"], t["defaultRegion"]) for t in listed] == [(12, "CN"), (13, None)]
    assert "region GB" in cli.ok("tenant", "set", "--vdn-id", "13", "--default-region", "GB")
    assert "not parsed" in cli.ok("tenant", "set", "--vdn-id", "12", "--default-region", "")
    for bad in ("XX", "CHN", "1"):
        assert_one_line_error(
            cli.run("tenant", "set", "--vdn-id", "13", "--default-region", bad), "unknown region"
        )
        assert_one_line_error(
            cli.run("tenant", "create", "--vdn-id", "14", "--default-region", bad),
            "unknown region",
        )
    assert_one_line_error(cli.run("tenant", "set", "--vdn-id", "13"), "nothing to set")
    listed = json.loads(cli.ok("tenant", "list", "--json"))
    assert [(t["vdnId"], t["defaultRegion"]) for t in listed] == [(12, None), (13, "GB")]


def test_tenant_list_table_never_shows_secrets(cli: Cli) -> None:
    keys = cli.create_tenant(12)
    out = cli.ok("tenant", "list")
    assert keys["accessKey"] in out
    assert keys["secretKey"] not in out


# -- tenant rotate-key -------------------------------------------------------------------------


def _signed_request(keys: dict[str, Any], now_text: str) -> SignedRequest:
    path = f"/rest/isales/v1/openapi/campaigns/{keys['vdnId']}/file/queryServer"
    body = b'{"offset":0,"limit":10}'
    headers = {
        "host": "localhost",
        "content-type": "application/json; charset=UTF-8",
        "content-length": str(len(body)),
    }
    headers["authorization"] = signing.sign(
        access_key=keys["accessKey"],
        secret_key=keys["secretKey"],
        method="POST",
        path=path,
        headers=headers,
        body=body,
        timestamp=now_text,
    )
    return SignedRequest("POST", path, (), headers, body)


def _authenticate(rt: Runtime, request: SignedRequest) -> int:
    with rt.db.read() as session:
        return authentication.authenticate(
            session,
            rt.box,
            request,
            now=rt.clock(),
            skew=timedelta(minutes=15),
            replays=rt.replay,
        ).vdn_id


def test_rotate_key_replaces_the_pair(cli: Cli) -> None:
    old = cli.create_tenant(12)
    out = cli.ok("tenant", "rotate-key", "--vdn-id", "12")
    assert len(out.strip().splitlines()) == 1
    new = json.loads(out)
    assert set(new) == {"vdnId", "accessKey", "secretKey"}
    assert new["vdnId"] == 12
    assert new["accessKey"] != old["accessKey"] and new["secretKey"] != old["secretKey"]
    listed = json.loads(cli.ok("tenant", "list", "--json"))
    assert [t["accessKey"] for t in listed] == [new["accessKey"]]

    rt = cli.runtime()
    try:
        now_text = signing.format_timestamp(rt.clock())
        assert _authenticate(rt, _signed_request(new, now_text)) == 12
        with pytest.raises(AuthenticationError, match="unknown access key"):
            _authenticate(rt, _signed_request(old, now_text))
        mixed = {**new, "secretKey": old["secretKey"]}
        with pytest.raises(AuthenticationError, match="signature"):
            _authenticate(rt, _signed_request(mixed, now_text))
    finally:
        rt.close()


def test_rotate_key_of_an_unknown_tenant_fails(cli: Cli) -> None:
    assert_one_line_error(cli.run("tenant", "rotate-key", "--vdn-id", "77"), "77")


# -- db upgrade --------------------------------------------------------------------------------


def test_db_upgrade_is_idempotent(cli: Cli) -> None:
    for _ in range(2):
        result = cli.run("db", "upgrade")
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout
    assert cli.create_tenant(12)["vdnId"] == 12


def test_db_upgrade_on_a_fresh_data_dir_twice(fresh_cli: Cli) -> None:
    assert fresh_cli.run("db", "upgrade").returncode == 0
    assert (fresh_cli.data_dir / "openisales.db").is_file()
    second = fresh_cli.run("db", "upgrade")
    assert second.returncode == 0, second.stderr
    assert fresh_cli.create_tenant(5)["vdnId"] == 5


def test_no_arguments_prints_help(cli: Cli) -> None:
    result = cli.run()
    assert result.returncode != 0
    assert "tenant" in result.stdout + result.stderr


# -- a real server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    log: Path


@pytest.fixture
def server(cli: Cli) -> Iterator[Server]:
    with running_server(cli) as started:
        yield started


@contextlib.contextmanager
def running_server(cli: Cli) -> Iterator[Server]:
    """A real ``openisales serve`` on a free loopback port, stopped with SIGTERM afterwards."""
    port = _free_port()
    log_path = cli.data_dir.parent / "serve.log"
    log = log_path.open("w")
    cli.data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=cli.env,
        cwd=cli.data_dir.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz in 60 s"
            time.sleep(0.1)
        yield Server(url, process, log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


def test_real_server_serves_signed_calls(cli: Cli, server: Server) -> None:
    keys = cli.create_tenant(12)
    health = httpx.get(f"{server.url}/healthz").json()
    assert health["resultCode"] == "0200000"
    assert httpx.get(f"{server.url}/readyz").json()["resultCode"] == "0200000"

    with ISalesClient(server.url, keys["accessKey"], keys["secretKey"], 12) as client:
        added = client.add_server("isales", "password-123", "127.0.0.1", 22, "/home/sftp")
        assert added["resultCode"] == "0200000", added
        assert len(added["serverId"]) == 30 and added["serverId"].isdigit()
        listed = client.query_servers()
        assert [row["serverId"] for row in listed["server"]] == [added["serverId"]]
        assert "password-123" not in json.dumps(listed)

    unsigned = httpx.post(
        f"{server.url}/rest/isales/v1/openapi/campaigns/12/file/queryServer",
        json={"offset": 0, "limit": 10},
    )
    assert unsigned.status_code == 401
    assert unsigned.json()["resultCode"] == "0200101"

    # Rotating the key with the CLI while the server runs: the old key stops at once.
    new = json.loads(cli.ok("tenant", "rotate-key", "--vdn-id", "12"))
    with ISalesClient(server.url, keys["accessKey"], keys["secretKey"], 12) as client:
        with pytest.raises(ISalesHTTPError) as caught:
            client.query_servers()
        assert caught.value.status_code == 401
    with ISalesClient(server.url, new["accessKey"], new["secretKey"], 12) as client:
        assert client.query_servers()["total"] == 1
    assert "Traceback" not in server.log.read_text()


def test_real_server_stops_on_sigterm(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert server.process.wait(timeout=20) in (0, -signal.SIGTERM)
    log = server.log.read_text()
    assert "Application shutdown complete" in log, log
    assert "Traceback" not in log, log
