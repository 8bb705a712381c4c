"""The whole loop, as an integrator runs it: 10,000 records imported from a real sftp server
into a campaign of a real ``openisales serve``, dialled to the end by ``openisales dialer
simulate`` through the signed dialer interface, every result pushed to ``openisales dialer
receive`` on loopback; the receiver's count, the results query and the V2 statistics agree."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from openisales.client import ISalesClient
from tests.cli.test_cli import SCRIPT, Cli, running_server
from tests.cli.test_dialer_cli import dialer_receiver
from tests.support.servers import SftpServer
from tests.support.spreadsheets import write_xlsx

pytestmark = [pytest.mark.sftp, pytest.mark.slow]

RECORDS = 10_000
SUCCESS = "0200000"
VDN = 12


@dataclass
class Receiver:
    """``openisales dialer receive`` in a subprocess: its URL and the file it appends to."""

    url: str
    out: Path

    def lines(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        text = self.out.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    out = tmp_path / "pushed.jsonl"
    with dialer_receiver(out, tmp_path) as (_process, url):
        yield Receiver(url, out)


def _numbers(i: int) -> list[str]:
    """One number for most records, two for every fifth (the second is called if the first fails)."""
    first = f"1380{i:07d}"
    return [first, f"1370{i:07d}"] if i % 5 == 0 else [first]


def _file(path: Path) -> bytes:
    rows = [[f"r{i}", json.dumps([{"calledNo": n} for n in _numbers(i)])] for i in range(RECORDS)]
    return write_xlsx(path, ["sessionId", "called"], rows).read_bytes()


def _import(isales: ISalesClient, campaign: int, server_id: str) -> None:
    submitted = isales.upload_file_server(campaign, server_id, "loop.xlsx", "/upload")
    assert submitted["resultCode"] == SUCCESS, submitted
    task_id = submitted["importTaskId"]
    deadline = time.monotonic() + 120
    while True:
        page = isales.query_import_tasks(campaign, import_task_ids=[task_id])
        [task] = page["result"]
        if task["status"] in ("2", "3"):
            break
        assert time.monotonic() < deadline, task
        time.sleep(0.2)
    assert (task["status"], int(task["succNum"]), int(task["failNum"])) == ("2", RECORDS, 0), task


def _simulate(cli: Cli, keys: dict[str, Any], url: str, campaign: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENISALES_")}
    env.update(
        OPENISALES_URL=url,
        OPENISALES_ACCESS_KEY=keys["accessKey"],
        OPENISALES_SECRET_KEY=keys["secretKey"],
        OPENISALES_VDN_ID=str(VDN),
        HOME=str(cli.data_dir.parent),
    )
    run = subprocess.run(
        [str(SCRIPT), "dialer", "simulate", "--campaign", str(campaign), "--until-empty",
         "--rate", "100000/s", "--batch", "500", "--answer-rate", "0.6", "--seed", "7", "--json"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, (run.stdout, run.stderr)
    tally: dict[str, Any] = json.loads(run.stdout)
    return tally


def _wait_for(receiver: Receiver, count: int, server_log: Path) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 120
    while len(pushed := receiver.lines()) < count:
        assert time.monotonic() < deadline, (len(pushed), server_log.read_text()[-3000:])
        time.sleep(0.2)
    time.sleep(1.5)  # a push made twice would land now
    return receiver.lines()


def test_ten_thousand_records_are_dialled_to_the_end_and_each_result_arrives_once(
    tmp_path: Path, database_url: str, sftp: SftpServer, receiver: Receiver
) -> None:
    sftp.put_file("upload/loop.xlsx", _file(tmp_path / "loop.xlsx"))
    cli = Cli(tmp_path / "data", database_url)
    keys = cli.create_tenant(VDN)
    with running_server(cli) as server:
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        with ISalesClient(server.url, keys["accessKey"], keys["secretKey"], VDN) as isales:
            added = isales.add_server(
                sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home)
            )
            assert added["resultCode"] == SUCCESS, added
            created = isales.create_campaign(
                name="whole loop", deviceType=2, callBackUrl=receiver.url,
                strBeginTime=today.strftime("%Y-%m-%d %H:%M:%S"),
                strEndTime=(today + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S"),
            )  # fmt: skip
            assert created["resultCode"] == SUCCESS, created
            campaign = int(created["returnObject"]["id"])
            _import(isales, campaign, added["serverId"])

            started = time.monotonic()
            tally = _simulate(cli, keys, server.url, campaign)
            dialled = time.monotonic() - started
            pushed = _wait_for(receiver, tally["reported"], server.log)
            print(  # figures for the notes (pytest -s)
                f"\n{RECORDS} records: {tally['reported']} calls dialled in {dialled:.1f} s "
                f"(simulator {tally['seconds']} s), {len(pushed)} results received"
            )
            final = isales.query_results(campaign, page_size=1)
            every = isales.query_results(campaign, show_detail=1, page_size=1)
            statistics = isales.call(
                "GET", "/statistics", params={"campaignId": campaign}, version="v2"
            )
        counts = json.loads(
            cli.ok("results", "counts", "--campaign", str(campaign), "--vdn", str(VDN), "--json")
        )

    succeeded = tally["failCodes"].get("00000", 0)
    second_numbers = RECORDS // 5
    assert tally["refused"] == {}, tally
    # Every record called once, and the second number of a two-number record only after its
    # first failed: between 10,000 and 12,000 calls.
    assert tally["leased"] == tally["reported"]
    assert RECORDS <= tally["reported"] <= RECORDS + second_numbers, tally
    # Each result reached the receiver exactly once, as recorded.
    assert len(pushed) == tally["reported"]
    call_ids = Counter(item["callId"] for item in pushed)
    assert max(call_ids.values()) == 1
    assert {item["campaignId"] for item in pushed} == {campaign}
    assert len({item["sessionId"] for item in pushed}) == RECORDS
    assert sum(item["callStatus"] == 6 for item in pushed) == succeeded
    assert Counter(item["failCode"] for item in pushed) == Counter(tally["failCodes"])
    assert counts.get("delivered") == tally["reported"]
    assert sum(counts.values()) == tally["reported"]
    # The results query and the statistics count the same calls.
    assert every["totalCount"] == tally["reported"]
    assert final["totalCount"] == RECORDS
    [entry] = statistics["countDetail"]
    assert entry["unCallCount"] == 0, entry
    assert entry["totalFinishCount"] == RECORDS, entry
    assert entry["totalCallSucc"] == succeeded, entry
