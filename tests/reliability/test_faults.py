"""Faults injected at task level: each checks that nothing is lost, doubled or left half-done."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from openisales.client import ISalesClient
from openisales.services import importers
from openisales.storage.models import CallData, ImportTask
from tests.conftest import Clock
from tests.imports.conftest import UPLOAD_DIR, ImportSetup, create_campaign
from tests.imports.test_worker_crash import _write_file
from tests.reliability.files import Expected, call_file, padded_csv
from tests.reliability.procs import Deployment, percentile, wait_for
from tests.support.servers import PostgresServer, SftpServer

BIG_ROWS = 30_000  # about 30 MB with its padded callData


def _stored(setup: ImportSetup, task_id: str) -> int:
    with setup.api.rt.db.transaction() as session:
        count = session.scalar(select(func.count()).where(CallData.import_task_id == task_id))
    return int(count or 0)


def _assert_counts(task: dict[str, Any], expected: Expected) -> None:
    assert task["status"] == "2", task.get("errMsg")
    got = (task["totalNum"], task["succNum"], task["failNum"], task["repeatNum"])
    assert got == (expected.total, expected.ok, expected.invalid, expected.repeat), task


def _stop_sftp_mid_transfer(setup: ImportSetup, task_id: str, seen: list[int]) -> threading.Thread:
    """Stop the sftp server once the task's download has begun (and before it has ended)."""
    downloads = setup.api.rt.settings.data_dir / "downloads" / task_id

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sizes = [p.stat().st_size for p in downloads.glob("*") if p.is_file()]
            if sizes and max(sizes) > 0:
                setup.sftp.pause_sessions()  # freeze the transfer where it is, then kill it
                seen.append(max(p.stat().st_size for p in downloads.glob("*") if p.is_file()))
                setup.sftp.stop()
                return
            time.sleep(0.001)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _big_task(setup: ImportSetup) -> tuple[str, Expected, int]:
    data, expected = padded_csv(BIG_ROWS)
    setup.put("big.csv", data)
    return setup.submit("big.csv"), expected, len(data)


@pytest.mark.slow
def test_sftp_killed_mid_transfer_is_retried_then_fails(setup: ImportSetup, clock: Clock) -> None:
    task_id, _expected, size = _big_task(setup)
    seen: list[int] = []
    watcher = _stop_sftp_mid_transfer(setup, task_id, seen)
    setup.run_worker()
    watcher.join(5)
    assert seen and 0 < seen[0] < size, (seen, size)
    waiting = setup.task(task_id)
    assert waiting["status"] == "0", waiting
    assert waiting["errMsg"].startswith("attempt 1 failed, retrying in 5 s: connection lost")
    assert not (setup.api.rt.settings.data_dir / "downloads" / task_id).exists()
    attempts = setup.api.rt.settings.import_max_attempts
    for attempt in range(2, attempts + 1):
        assert setup.run_worker() == 0  # backoff: not due yet
        clock.advance(minutes=5)
        assert setup.run_worker() == 1
        task = setup.task(task_id)
        if attempt < attempts:
            assert task["status"] == "0" and f"attempt {attempt} failed" in task["errMsg"], task
    assert task["status"] == "3", task
    assert (
        "unreachable" in task["errMsg"] and f"gave up after {attempts} attempts" in task["errMsg"]
    )
    assert _stored(setup, task_id) == 0


@pytest.mark.slow
def test_sftp_killed_mid_transfer_then_back_completes_exactly(
    setup: ImportSetup, clock: Clock
) -> None:
    task_id, expected, size = _big_task(setup)
    seen: list[int] = []
    watcher = _stop_sftp_mid_transfer(setup, task_id, seen)
    setup.run_worker()
    watcher.join(5)
    assert seen and 0 < seen[0] < size, (seen, size)
    assert setup.task(task_id)["status"] == "0"
    setup.sftp.start()
    clock.advance(seconds=6)
    assert setup.run_worker() == 1
    _assert_counts(setup.task(task_id), expected)
    assert _stored(setup, task_id) == expected.ok


def test_database_lost_mid_import_puts_the_task_back(
    setup: ImportSetup, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose database connection breaks is retried, never failed (nothing was committed)."""
    data, expected = call_file("db", 40)
    setup.put("a.xlsx", data)
    task_id = setup.submit("a.xlsx")
    real = importers.IMPORTERS["calldata"]

    def lose_the_database(*_args: object) -> None:
        raise OperationalError("COPY", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setitem(importers.IMPORTERS, "calldata", lose_the_database)
    assert setup.run_worker() == 1
    waiting = setup.task(task_id)
    assert waiting["status"] == "0", waiting
    assert "attempt 1 failed" in waiting["errMsg"] and "database" in waiting["errMsg"]
    monkeypatch.setitem(importers.IMPORTERS, "calldata", real)
    clock.advance(seconds=6)
    assert setup.run_worker() == 1
    _assert_counts(setup.task(task_id), expected)


# -- PostgreSQL restarted mid-import -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_restarted_mid_import(
    database_url: str, setup: ImportSetup, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    path = tmp_path / "big.xlsx"
    ok, invalid, repeat = _write_file(path)  # 200,000 rows
    setup.put("big.xlsx", path.read_bytes())
    task_id = setup.submit("big.xlsx")
    settings = setup.api.rt.settings
    deployment = Deployment(
        settings.sqlalchemy_url, settings.data_dir, {"OPENISALES_LEASE_SECONDS": "3"}
    )
    worker = deployment.worker()
    try:

        def writing() -> bool:
            with setup.api.rt.db.read() as session:
                task = session.get_one(ImportTask, task_id)
                return task.processed_num > 0

        wait_for(writing, 180, f"the import to write\n{deployment.log_tail()}")
        setup.api.rt.db.dispose()
        postgres_server.restart()
        with setup.api.rt.db.read() as session:
            assert session.scalar(select(func.count()).select_from(CallData)) == 0

        def ended() -> bool:
            with setup.api.rt.db.read() as session:
                return session.get_one(ImportTask, task_id).status in (2, 3)

        wait_for(ended, 300, f"the task to end\n{deployment.log_tail()}")
        assert worker.poll() is None, deployment.log_tail()
        done = setup.task(task_id)
        _assert_counts(done, Expected(200_000, ok, invalid, repeat))
        with setup.api.rt.db.read() as session:
            assert session.get_one(ImportTask, task_id).attempts == 2
        assert _stored(setup, task_id) == ok
        # The same worker process goes on working after the restart.
        setup.put("after.xlsx", call_file("after", 30)[0])
        second = setup.submit("after.xlsx")
        wait_for(lambda: setup.task(second)["status"] == "2", 60, deployment.log_tail())
    finally:
        deployment.close()


# -- SQLite busy under concurrent writers -------------------------------------------------------


@pytest.mark.slow
def test_sqlite_writers_wait_for_an_import_instead_of_failing(
    sftp: SftpServer, tmp_path: Path
) -> None:
    """An API process and a worker process on one SQLite file: writes queue on the busy timeout."""
    deployment = Deployment(f"sqlite:///{tmp_path / 'openisales.db'}", tmp_path / "data")
    deployment.cli("db", "upgrade")
    keys = deployment.create_tenant(31)
    _, port = deployment.serve("--no-worker")
    deployment.worker()
    answers: list[dict[str, Any]] = []
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    try:
        with ISalesClient(
            f"http://127.0.0.1:{port}", keys["accessKey"], keys["secretKey"], 31, timeout=120
        ) as isales:
            added = isales.add_server(
                sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home)
            )
            server_id = added["serverId"]
            campaign_id = create_campaign(isales)
            data, expected = padded_csv(20_000, pad=20)
            sftp.put_file(f"{UPLOAD_DIR}/import.csv", data)
            small, small_expected = call_file("small", 20)
            # One file name a writer: two writers signing the same upload in the same millisecond
            # would send one request twice, which the replay guard rightly answers once.
            for n in range(6):
                sftp.put_file(f"{UPLOAD_DIR}/small-{n}.xlsx", small)
            big_task = isales.upload_file_server(
                campaign_id, server_id, "import.csv", file_path="/" + UPLOAD_DIR
            )["importTaskId"]

            def status(task_id: str) -> str:
                answer = isales.query_import_tasks(campaign_id, import_task_ids=[task_id])
                return str(answer["result"][0]["status"])

            wait_for(lambda: status(big_task) != "0", 60, deployment.log_tail())

            def write(n: int) -> None:
                deadline = time.monotonic() + 120
                for i in range(15):
                    if time.monotonic() > deadline:
                        break
                    began = time.perf_counter()
                    try:
                        if i % 5 == 4:
                            answer = isales.upload_file_server(
                                campaign_id,
                                server_id,
                                f"small-{n}.xlsx",
                                file_path="/" + UPLOAD_DIR,
                            )
                        else:
                            record = {"sessionId": f"json-{n}-{i}", "called": str(13700000000 + i)}
                            answer = isales.call(
                                "POST", f"/calldata/{campaign_id}", json={"callDataList": [record]}
                            )
                    except Exception as exc:  # an HTTP 5xx or a broken connection
                        with lock:
                            errors.append(repr(exc))
                        continue
                    with lock:
                        answers.append(answer)
                        latencies.append(time.perf_counter() - began)

            writers = [threading.Thread(target=write, args=(n,)) for n in range(6)]
            for thread in writers:
                thread.start()
            for thread in writers:
                thread.join(180)
            wait_for(lambda: status(big_task) in ("2", "3"), 180, deployment.log_tail())
            big = isales.query_import_tasks(campaign_id, import_task_ids=[big_task])["result"][0]
    finally:
        deployment.close()
    assert errors == []
    assert [a for a in answers if a.get("resultCode") != "0200000"] == []
    assert "locked" not in deployment.log_tail(10**7).lower()
    assert len(answers) == 6 * 15
    _assert_counts(big, expected)
    print(
        f"\nsqlite writers during an import: {len(answers)} writes, "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; "
        f"import {big['beginTime']} .. {big['endTime']}"
    )
    del small_expected


# -- disk full while downloading ---------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs for a worker's data directory."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here to fill up: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_disk_full_while_downloading_fails_cleanly(
    setup: ImportSetup, small_disk: Path, tmp_path: Path
) -> None:
    data, _ = padded_csv(4000)  # about 4 MB: twice the disk
    setup.put("big.csv", data)
    task_id = setup.submit("big.csv")
    settings = setup.api.rt.settings
    master_key = (settings.data_dir / "master.key").read_text().strip()
    deployment = Deployment(
        settings.sqlalchemy_url,
        small_disk,
        {"OPENISALES_MASTER_KEY": master_key},
        log_dir=tmp_path,
    )
    deployment.worker()
    try:
        wait_for(lambda: setup.task(task_id)["status"] in ("2", "3"), 60, deployment.log_tail())
    finally:
        deployment.close()
    failed = setup.task(task_id)
    assert failed["status"] == "3", failed
    assert "disk full" in failed["errMsg"] and str(small_disk) in failed["errMsg"], failed
    assert list((small_disk / "downloads").rglob("*")) == []
    assert _stored(setup, task_id) == 0


# -- the service restarted with tasks queued ------------------------------------------------------


@pytest.mark.slow
def test_queued_tasks_survive_restarts(setup: ImportSetup) -> None:
    settings = setup.api.rt.settings
    deployment = Deployment(settings.sqlalchemy_url, settings.data_dir)
    files = {f"q{n}.xlsx": call_file(f"q{n}", 20 + n) for n in range(8)}
    for name, (data, _) in files.items():
        setup.put(name, data)
    try:
        # No worker is running: the tasks wait in the queue, then a worker started later runs them.
        first = {setup.submit(name): files[name][1] for name in list(files)[:4]}
        assert {setup.task(t)["status"] for t in first} == {"0"}
        worker = deployment.worker()
        wait_for(lambda: all(setup.task(t)["status"] == "2" for t in first), 120, "worker")
        deployment.stop(worker)

        # Queued through an API process that is stopped (SIGTERM) before any worker runs them;
        # the restarted service (with its embedded worker) runs every one.
        api, port = deployment.serve("--no-worker")
        creds = setup.api.creds
        with ISalesClient(
            f"http://127.0.0.1:{port}", creds.access_key, creds.secret_key, creds.vdn_id
        ) as isales:
            second = {}
            for name in list(files)[4:]:
                answer = isales.upload_file_server(
                    setup.campaign_id, setup.server_id, name, file_path="/" + UPLOAD_DIR
                )
                assert answer["resultCode"] == "0200000", answer
                second[str(answer["importTaskId"])] = files[name][1]
        deployment.stop(api)
        assert api.returncode in (0, -15), deployment.log_tail()  # uvicorn re-raises SIGTERM
        assert {setup.task(t)["status"] for t in second} == {"0"}
        deployment.serve()
        wait_for(lambda: all(setup.task(t)["status"] == "2" for t in second), 120, "serve")
    finally:
        deployment.close()
    for task_id, expected in {**first, **second}.items():
        _assert_counts(setup.task(task_id), expected)
        assert _stored(setup, task_id) == expected.ok
