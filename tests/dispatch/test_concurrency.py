"""Several dialers leasing from one campaign at once never receive the same number."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from openisales.services import dispatch
from openisales.services.dispatch import LeaseRequest
from tests.dispatch.conftest import Dial, numbers_json

RECORDS = 600


def load_campaign(dial: Dial) -> int:
    campaign = dial.campaign()
    dial.load(campaign, *({"called": numbers_json(str(100_000 + i))} for i in range(RECORDS)))
    assert len(dial.lease(campaign, limit=1, leaseSeconds=3600)) == 1  # enters the records
    return campaign


def test_threads_leasing_at_once(dial: Dial) -> None:
    campaign = load_campaign(dial)
    rt, now = dial.api.rt, dial.clock.now
    barrier = threading.Barrier(4)
    got: list[list[int]] = [[] for _ in range(4)]

    def run(index: int) -> None:
        request = LeaseRequest(f"dialer-{index}", 15, 600)
        barrier.wait()
        while True:
            with rt.db.transaction() as session:
                records = dispatch.lease(session, 12, campaign, request, now)
            if not records:
                return
            got[index].extend(int(record["dataId"]) for record in records)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    leased = [data_id for part in got for data_id in part]
    assert len(leased) == len(set(leased)) == RECORDS - 1


@pytest.mark.postgres
def test_processes_leasing_at_once_on_postgres(dial: Dial, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("processes race for rows on PostgreSQL; SQLite has one writer")
    campaign = load_campaign(dial)
    start_at = time.time() + 3
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.dispatch.lease_worker",
                database_url,
                "12",
                str(campaign),
                dial.clock.now.isoformat(),
                f"dialer-{i}",
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    got = [json.loads(output) for output in outputs]
    leased = [data_id for part in got for data_id in part]
    assert len(leased) == len(set(leased)) == RECORDS - 1
    assert sum(1 for part in got if part) >= 2  # SKIP LOCKED: they leased side by side
