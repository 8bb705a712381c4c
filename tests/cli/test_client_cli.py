"""``openisales client`` against a real ``openisales serve`` and a real sftp file server."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import SCRIPT, Cli, Server, _free_port, running_server
from tests.support.servers import SftpServer

UPLOAD = "isales/upload"
GOOD_ROWS = [[f"s{i}", json.dumps([{"calledNo": f"1380000{i:04d}"}])] for i in range(20)]
BAD_ROWS = [["b1", "not json"], ["b2", '[{"calledNo":"12X"}]']]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sessionId", "called"])
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The embedded SQLite default: these tests are about the client, not the database."""
    return Cli(tmp_path_factory.mktemp("client-cli") / "data", None)


@pytest.fixture(scope="module")
def server(cli: Cli) -> Iterator[Server]:
    """One real server for the module: each test works in a campaign of its own."""
    with running_server(cli) as started:
        yield started


@dataclass
class Shell:
    """``openisales client ...`` with a clean environment and its own HOME."""

    home: Path

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("OPENISALES_")}
        base.update(HOME=str(self.home), COLUMNS="200", **(env or {}))
        return subprocess.run(
            [str(SCRIPT), "client", *args],
            env=base,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, (result.stdout, result.stderr)
        return result.stdout


@dataclass
class Setup:
    shell: Shell
    profile: Path
    keys: dict[str, Any]
    server_id: str
    campaign_id: str
    sftp: SftpServer

    def submit(self, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.shell.run(
            "import",
            "--profile",
            str(self.profile),
            "--campaign",
            self.campaign_id,
            "--server-id",
            self.server_id,
            "--file",
            name,
            "--path",
            "/" + UPLOAD,
            *extra,
        )


@dataclass
class Tenant:
    """The module's tenant, configured once: a profile, a file server on the test sftp server."""

    shell: Shell
    profile: Path
    keys: dict[str, Any]
    server_id: str


@pytest.fixture(scope="module")
def tenant(
    cli: Cli, server: Server, sftp_server: SftpServer, tmp_path_factory: pytest.TempPathFactory
) -> Tenant:
    keys = cli.create_tenant(12)
    home = tmp_path_factory.mktemp("home")
    shell = Shell(home)
    profile = home / "profile.json"
    shell.ok(
        "configure",
        "--profile",
        str(profile),
        "--url",
        server.url,
        "--access-key",
        keys["accessKey"],
        "--secret-key",
        keys["secretKey"],
        "--vdn-id",
        "12",
    )
    server_id = shell.ok(
        "add-server",
        "--profile",
        str(profile),
        "--user",
        sftp_server.username,
        "--password",
        sftp_server.password,
        "--ip",
        sftp_server.host,
        "--port",
        str(sftp_server.port),
        "--path",
        str(sftp_server.home),
    ).strip()
    return Tenant(shell, profile, keys, server_id)


_campaign_names = itertools.count()


@pytest.fixture
def setup(tenant: Tenant, sftp: SftpServer) -> Setup:
    """The module's tenant with a new campaign, and the sftp server's home emptied."""
    campaign_id = tenant.shell.ok(
        "create-campaign",
        "--profile",
        str(tenant.profile),
        "--name",
        f"renewals-{next(_campaign_names)}",
        "--begin",
        "2099-01-01 00:00:00",
        "--end",
        "2099-12-31 23:59:59",
    ).strip()
    return Setup(tenant.shell, tenant.profile, tenant.keys, tenant.server_id, campaign_id, sftp)


def test_configure_writes_a_private_profile(setup: Setup) -> None:
    assert setup.profile.stat().st_mode & 0o777 == 0o600
    stored = json.loads(setup.profile.read_text())
    assert stored["accessKey"] == setup.keys["accessKey"] and stored["vdnId"] == 12
    assert len(setup.server_id) == 30 and setup.server_id.isdigit()
    assert setup.campaign_id.isdigit()


def test_import_waits_and_prints_the_counts(setup: Setup, server: Server) -> None:
    setup.sftp.put_file(f"{UPLOAD}/good.csv", _csv(GOOD_ROWS))
    result = setup.submit("good.csv")
    assert result.returncode == 0, result.stderr
    assert "completed" in result.stdout
    assert "totalNum 20, succNum 20, failNum 0" in result.stdout
    assert "failure report" not in result.stdout

    listed = setup.shell.run(
        "tasks", "--profile", str(setup.profile), "--campaign", setup.campaign_id, "--json"
    )
    assert listed.returncode == 0, listed.stderr
    envelope = json.loads(listed.stdout)
    assert envelope["resultCode"] == "0200000"
    assert [t["status"] for t in envelope["result"]] == ["2"]
    table = setup.shell.ok(
        "tasks", "--profile", str(setup.profile), "--campaign", setup.campaign_id
    )
    assert envelope["result"][0]["id"] in table

    # The serve log: one JSON object per line, request ids on requests, the task id on the
    # import, and never a secret.
    log_text = server.log.read_text()
    lines = [json.loads(line) for line in log_text.splitlines() if line.strip()]
    assert any(line.get("request_id") for line in lines)
    task_id = envelope["result"][0]["id"]
    assert any(line.get("import_task_id") == task_id for line in lines)
    for secret in (setup.keys["secretKey"], setup.sftp.password):
        assert secret not in log_text


def test_failed_rows_then_failures_downloads_the_report(setup: Setup) -> None:
    setup.sftp.put_file(f"{UPLOAD}/mixed.csv", _csv(GOOD_ROWS[:3] + BAD_ROWS))
    result = setup.submit("mixed.csv")
    assert result.returncode == 0, result.stderr
    assert "succNum 3, failNum 2" in result.stdout
    hint = next(line for line in result.stdout.splitlines() if line.startswith("failure report:"))
    task_id = hint.split()[5]
    assert hint.startswith(f"failure report: openisales client failures {task_id} --profile")

    out = setup.shell.ok(
        "failures", task_id, "--profile", str(setup.profile), "--format", "csv", "--output", "r.csv"
    )
    report = (setup.shell.home / out.strip()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(report)))
    assert sorted(int(row[0]) for row in rows[1:]) == [5, 6]

    xlsx = setup.shell.ok("failures", task_id, "--profile", str(setup.profile))
    assert (setup.shell.home / xlsx.strip()).read_bytes()[:2] == b"PK"
    unknown = setup.shell.run("failures", "9" * 30, "--profile", str(setup.profile))
    assert unknown.returncode == 1 and "0200111" in unknown.stderr

    # The accepted rows' mapping: rows 2-4 became the three records, in row order.
    out = setup.shell.ok("mapping", task_id, "--profile", str(setup.profile))
    mapping = (setup.shell.home / out.strip()).read_bytes().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(mapping)))
    assert lines[0][:4] == ["rowNumber", "dataId", "sessionId", "calledNo"]
    assert [line[0] for line in lines[1:]] == ["2", "3", "4"]
    assert all(line[1].isdigit() for line in lines[1:])


def test_no_wait_prints_the_task_id(setup: Setup) -> None:
    setup.sftp.put_file(f"{UPLOAD}/good.csv", _csv(GOOD_ROWS))
    result = setup.submit("good.csv", "--no-wait")
    assert result.returncode == 0, result.stderr
    task_id = result.stdout.strip()
    assert task_id.isdigit() and len(task_id) == 30


def test_import_of_a_missing_file_exits_3(setup: Setup) -> None:
    result = setup.submit("nowhere.csv")
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "failed" in result.stderr and "Traceback" not in result.stderr


def test_import_of_a_dated_file_moved_after_the_import(setup: Setup) -> None:
    """--file with a date pattern, --move-after-import: the day's file ends up in done/."""
    today = datetime.now(UTC).date()
    days = [today, today + timedelta(days=1)]  # the submit may fall after midnight (UTC tenant)
    for day in days:
        setup.sftp.put_file(f"{UPLOAD}/calls_{day:%Y%m%d}.csv", _csv(GOOD_ROWS))
    result = setup.submit("calls_$(yyyyMMdd).csv", "--move-after-import")
    assert result.returncode == 0, result.stderr
    assert "succNum 20" in result.stdout
    task = _moved_task(setup)
    assert task["fetchedFileName"] in {f"calls_{day:%Y%m%d}.csv" for day in days}
    assert task["movedTo"] == f"{UPLOAD}/done/{task['fetchedFileName']}"
    assert setup.sftp.path(task["movedTo"]).exists()
    assert not setup.sftp.path(f"{UPLOAD}/{task['fetchedFileName']}").exists()


def _moved_task(setup: Setup) -> dict[str, Any]:
    """The campaign's one task once its file was moved (a moment after it completed)."""
    for _look in range(100):
        listed = setup.shell.ok(
            "tasks", "--profile", str(setup.profile), "--campaign", setup.campaign_id, "--json"
        )
        task: dict[str, Any] = json.loads(listed)["result"][0]
        if task["movedTo"]:
            return task
        time.sleep(0.1)
    raise AssertionError(f"the file was not moved: {task}")


def test_schedule_then_cancel(setup: Setup) -> None:
    answer = setup.submit("daily.csv", "--hour", "3", "--minute", "30", "--json")
    assert answer.returncode == 0, answer.stderr
    schedule_id = json.loads(answer.stdout)["scheduleId"]
    listed = setup.shell.ok(
        "schedules", "--profile", str(setup.profile), "--campaign", setup.campaign_id
    )
    assert schedule_id in listed
    setup.shell.ok("schedules", "--profile", str(setup.profile), "--cancel", schedule_id)
    again = json.loads(
        setup.shell.ok(
            "schedules", "--profile", str(setup.profile), "--campaign", setup.campaign_id, "--json"
        )
    )
    assert [s["status"] for s in again["result"]] == ["cancelled"]
    lone = setup.submit("daily.csv", "--hour", "3")
    assert lone.returncode == 2


def test_blocklist_commands(setup: Setup) -> None:
    profile = ("--profile", str(setup.profile))
    setup.shell.ok("blocklist", "add", "13900000001", "13900000002", *profile)
    listed = json.loads(setup.shell.ok("blocklist", "query", *profile, "--json"))
    assert sorted(e["blocklistNo"] for e in listed["result"]) == ["13900000001", "13900000002"]
    setup.shell.ok("blocklist", "delete", "13900000001", *profile)
    assert "13900000001" not in setup.shell.ok("blocklist", "query", *profile)
    bad = setup.shell.run("blocklist", "add", "12X", *profile)
    assert bad.returncode == 1 and bad.stderr.startswith("error: 0200")


def test_credentials_from_the_environment_and_the_default_profile(
    setup: Setup, server: Server
) -> None:
    env = {
        "OPENISALES_URL": server.url,
        "OPENISALES_ACCESS_KEY": setup.keys["accessKey"],
        "OPENISALES_SECRET_KEY": setup.keys["secretKey"],
        "OPENISALES_VDN_ID": "12",
    }
    result = setup.shell.run("tasks", "--campaign", setup.campaign_id, "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["count"] == 0
    # Without anything: a configuration error.
    bare = setup.shell.run("tasks", "--campaign", setup.campaign_id)
    assert bare.returncode == 2 and "configure" in bare.stderr
    # The default profile under HOME.
    default = setup.shell.home / ".config" / "openisales" / "profile.json"
    setup.shell.ok(
        "configure",
        "--url",
        server.url,
        "--access-key",
        setup.keys["accessKey"],
        "--secret-key",
        setup.keys["secretKey"],
        "--vdn-id",
        "12",
    )
    assert default.stat().st_mode & 0o777 == 0o600
    setup.shell.ok("tasks", "--campaign", setup.campaign_id)


def test_wrong_secret_exits_1_with_the_result_code(setup: Setup, server: Server) -> None:
    env = {
        "OPENISALES_URL": server.url,
        "OPENISALES_ACCESS_KEY": setup.keys["accessKey"],
        "OPENISALES_SECRET_KEY": "not-the-secret",
        "OPENISALES_VDN_ID": "12",
    }
    result = setup.shell.run("tasks", "--campaign", setup.campaign_id, env=env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: 0200101") and "HTTP 401" in result.stderr
    assert "not-the-secret" not in result.stderr


def test_unreachable_service_exits_4(tmp_path: Path) -> None:
    shell = Shell(tmp_path)
    env = {
        "OPENISALES_URL": f"http://127.0.0.1:{_free_port()}",
        "OPENISALES_ACCESS_KEY": "AK",
        "OPENISALES_SECRET_KEY": "SK",
        "OPENISALES_VDN_ID": "12",
    }
    result = shell.run("tasks", "--campaign", "1", env=env)
    assert result.returncode == 4, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: cannot reach the service")


def test_unreadable_profile_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = Shell(tmp_path).run("tasks", "--campaign", "1", "--profile", str(bad))
    assert result.returncode == 2 and "cannot read profile" in result.stderr
