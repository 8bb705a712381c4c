"""A worker process SIGKILLed while its pusher's POST is in flight: the push is made again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from openisales.domain.result_delivery import DeliveryState
from openisales.receiver_client import ReceiverClient
from openisales.services.result_push import push_once
from openisales.settings import Settings
from openisales.storage.models import ResultDelivery
from tests.dispatch.conftest import Dial
from tests.dispatch.test_result_push import Push
from tests.support.receivers import receiver

CLAIM_SECONDS = 30


def start_worker(settings: Settings, data_dir: Path) -> subprocess.Popen[bytes]:
    """``openisales worker`` on the test database, with the real clock."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("OPENISALES_")},
        "OPENISALES_DATABASE_URL": settings.sqlalchemy_url,
        "OPENISALES_DATA_DIR": str(data_dir),
        "OPENISALES_WORKER_POLL_SECONDS": "0.2",
        "OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES": "true",  # the receiver is on 127.0.0.1
        "OPENISALES_RESULT_PUSH_CLAIM_SECONDS": str(CLAIM_SECONDS),
    }
    with (data_dir / "worker.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "openisales.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_for(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_push_in_flight_when_the_worker_is_killed_is_made_again(
    dial: Dial, settings: Settings, tmp_path: Path
) -> None:
    dial.clock.now = datetime.now(UTC)  # the worker process reads the real clock
    rt = dial.api.rt
    with receiver() as held, ReceiverClient(rt.server_networks, 5) as client:
        push = Push(dial, client)
        campaign = dial.campaign(callBackUrl=held.url)
        ids = push.record(campaign, 3)
        held.hold()
        worker = start_worker(settings, tmp_path / "worker")
        try:
            arrived = held.arrived.wait(60)
            log = (tmp_path / "worker" / "worker.log").read_text(errors="replace")
            assert arrived, f"the worker pushed nothing: {log[-2000:]}"
        finally:
            worker.kill()  # SIGKILL: no clean-up, the claim stays
            worker.wait(30)
        held.release()  # the receiver took the push; nobody hears its 200
        assert wait_for(lambda: len(held.posts) == 1, 10)
        assert set(push.states()) == {DeliveryState.DELIVERING}

        dial.clock.now = datetime.now(UTC)
        assert push_once(rt, client).claimed == 0  # the dead worker's claim still holds
        dial.clock.now = datetime.now(UTC) + timedelta(seconds=CLAIM_SECONDS + 1)
        assert push_once(rt, client).count(DeliveryState.DELIVERED) == 3

    # At least once: the receiver got the results twice and dedupes them by callId.
    assert [sorted(item["callId"] for item in post.items) for post in held.posts] == [
        sorted(ids),
        sorted(ids),
    ]
    with rt.db.read() as session:
        entries = session.scalars(select(ResultDelivery)).all()
    assert {(entry.state, entry.pushes) for entry in entries} == {(DeliveryState.DELIVERED, 2)}
