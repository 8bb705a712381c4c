"""Load: two API processes and three workers on one PostgreSQL, 200 concurrent signed imports.

Every task completes exactly once with exact counts, no request is refused, no record is
doubled, and a scheduled import fired while three workers poll runs exactly once. Throughput and
latency are printed (run with ``-s``), never asserted.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openisales.client import ISalesClient
from openisales.storage.db import make_engine
from openisales.storage.models import CallData, ImportSchedule, ImportTask
from tests.reliability.files import SHARED_SESSION, Expected, call_file
from tests.reliability.procs import Deployment, percentile, wait_for
from tests.support.servers import PostgresServer, SftpServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TENANTS = (21, 22, 23, 24)
CAMPAIGNS_PER_TENANT = 2
SUBMISSIONS = 200
SUBMIT_THREADS = 16
QUERY_THREADS = 4
UPLOAD = "/isales/upload"


@dataclass
class Campaign:
    vdn_id: int
    campaign_id: int
    campaign_pk: int
    server_id: str


@dataclass
class Submission:
    campaign: Campaign
    file_name: str
    expected: Expected
    task_id: str = ""


@pytest.fixture
def deployment(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Deployment]:
    name = f"isales_load_{uuid.uuid4().hex[:8]}"
    url = postgres_server.create_database(name)
    deployed = Deployment(url, tmp_path / "data")
    deployed.cli("db", "upgrade")
    try:
        yield deployed
    finally:
        deployed.close()
        postgres_server.drop_database(name)


def _clients(keys: dict[int, dict[str, Any]], ports: list[int]) -> dict[tuple[int, int], Any]:
    return {
        (vdn, port): ISalesClient(
            f"http://127.0.0.1:{port}", k["accessKey"], k["secretKey"], vdn, timeout=120
        )
        for vdn, k in keys.items()
        for port in ports
    }


def _set_up_campaigns(
    clients: dict[tuple[int, int], ISalesClient], port: int, sftp: SftpServer
) -> list[Campaign]:
    campaigns = []
    for vdn in TENANTS:
        isales = clients[(vdn, port)]
        added = isales.add_server(
            sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home)
        )
        assert added["resultCode"] == "0200000", added
        for n in range(CAMPAIGNS_PER_TENANT):
            created = isales.create_campaign(
                name=f"load-{vdn}-{n}",
                deviceType=2,
                strBeginTime="2099-01-01 00:00:00",
                strEndTime="2099-12-31 23:59:59",
            )
            assert created["resultCode"] == "0200000", created
            campaign_id = int(created["returnObject"]["id"])
            campaigns.append(Campaign(vdn, campaign_id, 0, added["serverId"]))
    return campaigns


def _prepare_files(campaigns: list[Campaign], sftp: SftpServer) -> list[Submission]:
    rng = random.Random(6)
    submissions = []
    for k in range(SUBMISSIONS):
        campaign = campaigns[k % len(campaigns)]
        data, expected = call_file(f"f{k}", rng.randint(20, 50), shared=True)
        name = f"load-{k}.xlsx"
        sftp.put_file(f"{UPLOAD.lstrip('/')}/{name}", data)
        submissions.append(Submission(campaign, name, expected))
    return submissions


def test_two_apis_three_workers_200_concurrent_imports(
    deployment: Deployment, sftp: SftpServer
) -> None:
    keys = {vdn: deployment.create_tenant(vdn) for vdn in TENANTS}
    apis = [deployment.serve("--no-worker") for _ in range(2)]
    ports = [port for _, port in apis]
    clients = _clients(keys, ports)
    engine = make_engine(deployment.database_url, pool_size=2)
    try:
        campaigns = _set_up_campaigns(clients, ports[0], sftp)
        submissions = _prepare_files(campaigns, sftp)
        for _ in range(3):
            deployment.worker()
        figures = _run_load(clients, ports, submissions, engine, deployment)
        _check_results(engine, submissions, campaigns, clients, ports)
        _scheduled_import_fires_once(engine, clients, ports, campaigns[0], sftp, deployment)
    finally:
        for client in clients.values():
            client.close()
        engine.dispose()
    print("\nload figures:", figures)


def _run_load(
    clients: dict[tuple[int, int], ISalesClient],
    ports: list[int],
    submissions: list[Submission],
    engine: Any,
    deployment: Deployment,
) -> dict[str, float]:
    submit_latency: list[float] = []
    query_latency: list[float] = []
    answers: list[dict[str, Any]] = []
    turn = itertools.count()
    lock = threading.Lock()

    def submit(item: Submission) -> None:
        port = ports[next(turn) % len(ports)]
        isales = clients[(item.campaign.vdn_id, port)]
        began = time.perf_counter()
        answer = isales.upload_file_server(
            item.campaign.campaign_id, item.campaign.server_id, item.file_name, file_path=UPLOAD
        )
        with lock:
            submit_latency.append(time.perf_counter() - began)
            answers.append(answer)
        item.task_id = str(answer.get("importTaskId", ""))

    stop_queries = threading.Event()
    query_answers: list[dict[str, Any]] = []

    def query(n: int) -> None:
        rng = random.Random(n)
        deadline = time.monotonic() + 600
        while not stop_queries.is_set() and time.monotonic() < deadline:
            item = rng.choice(submissions)
            port = ports[rng.randrange(len(ports))]
            isales = clients[(item.campaign.vdn_id, port)]
            ids = [item.task_id] if item.task_id else None
            began = time.perf_counter()
            # A distinct offset per call: two identical signed calls in one millisecond would
            # look like a replay.
            answer = isales.query_import_tasks(
                item.campaign.campaign_id, offset=rng.randrange(10_000), import_task_ids=ids
            )
            with lock:
                query_latency.append(time.perf_counter() - began)
                query_answers.append(answer)
            time.sleep(0.02)

    queriers = [threading.Thread(target=query, args=(n,)) for n in range(QUERY_THREADS)]
    for thread in queriers:
        thread.start()
    began = time.perf_counter()
    try:
        with ThreadPoolExecutor(SUBMIT_THREADS) as pool:
            list(pool.map(submit, submissions))
        submitted = time.perf_counter() - began
        assert [a for a in answers if a.get("resultCode") != "0200000"] == []
        task_ids = [item.task_id for item in submissions]
        assert len(set(task_ids)) == SUBMISSIONS

        def all_done() -> bool:
            with engine.connect() as conn:
                finished = conn.scalar(
                    select(func.count())
                    .select_from(ImportTask)
                    .where(ImportTask.task_id.in_(task_ids), ImportTask.status.in_((2, 3)))
                )
            return bool(finished == SUBMISSIONS)

        wait_for(all_done, 600, f"all {SUBMISSIONS} tasks to end\n{deployment.log_tail()}")
        elapsed = time.perf_counter() - began
    finally:
        stop_queries.set()
        for thread in queriers:
            thread.join(60)
    assert [a for a in query_answers if a.get("resultCode") != "0200000"] == []
    rows = sum(item.expected.total for item in submissions)
    return {
        "submissions": SUBMISSIONS,
        "rows": rows,
        "submit_wall_s": round(submitted, 2),
        "all_done_wall_s": round(elapsed, 2),
        "tasks_per_s": round(SUBMISSIONS / elapsed, 1),
        "rows_per_s": round(rows / elapsed, 0),
        "submit_p50_ms": round(percentile(submit_latency, 0.5) * 1000, 1),
        "submit_p99_ms": round(percentile(submit_latency, 0.99) * 1000, 1),
        "queries": len(query_latency),
        "query_p50_ms": round(percentile(query_latency, 0.5) * 1000, 1),
        "query_p99_ms": round(percentile(query_latency, 0.99) * 1000, 1),
    }


def _check_results(
    engine: Any,
    submissions: list[Submission],
    campaigns: list[Campaign],
    clients: dict[tuple[int, int], ISalesClient],
    ports: list[int],
) -> None:
    shared_stored: dict[int, int] = {}
    for item in submissions:
        isales = clients[(item.campaign.vdn_id, ports[1])]
        answer = isales.query_import_tasks(
            item.campaign.campaign_id, import_task_ids=[item.task_id]
        )
        assert answer["resultCode"] == "0200000" and answer["count"] == 1, answer
        task = answer["result"][0]
        want = item.expected
        assert task["status"] == "2", task.get("errMsg")
        assert (task["totalNum"], task["failNum"], task["blackNum"]) == (
            want.total,
            want.invalid,
            0,
        )
        # The shared row is stored by exactly one import of the campaign, a repeat in the others.
        stored_shared = task["succNum"] - want.ok
        assert stored_shared in (0, 1), task
        assert task["repeatNum"] == want.repeat + 1 - stored_shared, task
        key = item.campaign.campaign_id * 100_000 + item.campaign.vdn_id
        shared_stored[key] = shared_stored.get(key, 0) + stored_shared
    assert sorted(shared_stored.values()) == [1] * len(campaigns)

    task_ids = [item.task_id for item in submissions]
    with engine.connect() as conn:
        attempts = conn.execute(
            select(ImportTask.attempts, func.count())
            .where(ImportTask.task_id.in_(task_ids))
            .group_by(ImportTask.attempts)
        ).all()
        stored = conn.scalar(
            select(func.count()).select_from(CallData).where(CallData.import_task_id.in_(task_ids))
        )
        succ_and_black = conn.scalar(
            select(func.sum(ImportTask.succ_num + ImportTask.black_num)).where(
                ImportTask.task_id.in_(task_ids)
            )
        )
        doubled = conn.scalar(
            select(func.count()).select_from(
                select(CallData.campaign_pk, CallData.session_id, CallData.called_key)
                .group_by(CallData.campaign_pk, CallData.session_id, CallData.called_key)
                .having(func.count() > 1)
                .subquery()
            )
        )
        shared_rows = conn.scalar(
            select(func.count()).select_from(CallData).where(CallData.session_id == SHARED_SESSION)
        )
    assert attempts == [(1, SUBMISSIONS)]  # every task ran exactly once
    assert stored == succ_and_black
    assert doubled == 0
    assert shared_rows == len(campaigns)


def _scheduled_import_fires_once(
    engine: Any,
    clients: dict[tuple[int, int], ISalesClient],
    ports: list[int],
    campaign: Campaign,
    sftp: SftpServer,
    deployment: Deployment,
) -> None:
    data, expected = call_file("daily", 30)
    sftp.put_file(f"{UPLOAD.lstrip('/')}/daily.xlsx", data)
    later = datetime.now(UTC) + timedelta(hours=3)  # the first run waits; only the SQL nudge fires
    answer = clients[(campaign.vdn_id, ports[0])].upload_file_server(
        campaign.campaign_id,
        campaign.server_id,
        "daily.xlsx",
        file_path=UPLOAD,
        hour=later.hour,
        minute=later.minute,
    )
    assert answer["resultCode"] == "0200000", answer
    first_run = str(answer["importTaskId"])
    with engine.begin() as conn:
        schedule_id = conn.scalar(
            select(ImportTask.schedule_id).where(ImportTask.task_id == first_run)
        )
        assert schedule_id
        conn.execute(
            update(ImportSchedule)
            .where(ImportSchedule.schedule_id == schedule_id)
            .values(next_run_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    def runs() -> list[tuple[str, int]]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(ImportTask.task_id, ImportTask.status).where(
                    ImportTask.schedule_id == schedule_id, ImportTask.task_id != first_run
                )
            ).all()
        return [(row[0], row[1]) for row in rows]

    wait_for(lambda: any(status == 2 for _, status in runs()), 120, "the scheduled run")
    time.sleep(2)  # ten more polls of each of the three workers
    fired = runs()
    assert len(fired) == 1, fired
    with Session(engine) as session:
        task = session.get_one(ImportTask, fired[0][0])
        first = session.get_one(ImportTask, first_run)
        next_run_at = session.scalar(
            select(ImportSchedule.next_run_at).where(ImportSchedule.schedule_id == schedule_id)
        )
    assert (task.succ_num, task.fail_num, task.repeat_num) == (
        expected.ok,
        expected.invalid,
        expected.repeat,
    )
    assert first.status == 0  # the first run still waits for its own time
    assert next_run_at is not None and next_run_at > datetime.now(UTC), deployment.log_tail()
