"""``openisales dialer``: a simulated dialer against one real ``openisales serve``, and the
result-push receiver with real POSTs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from openisales.client import ISalesClient
from tests.cli.test_cli import SCRIPT, Cli, Server, running_server

SUCCESS = "0200000"
FAIL_CODES = {"00537", "00603", "00538", "00548", "00604", "01040"}


@dataclass
class Service:
    server: Server
    keys: dict[str, Any]
    home: Path

    @property
    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("OPENISALES_")}
        return {
            **base,
            "HOME": str(self.home),
            "OPENISALES_URL": self.server.url,
            "OPENISALES_ACCESS_KEY": self.keys["accessKey"],
            "OPENISALES_SECRET_KEY": self.keys["secretKey"],
            "OPENISALES_VDN_ID": "12",
        }

    def client(self) -> ISalesClient:
        return ISalesClient(self.server.url, self.keys["accessKey"], self.keys["secretKey"], 12)

    def dialer(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), "dialer", *args],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def shell_client(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``openisales client ...`` with this service's credentials, on a wide terminal."""
        return subprocess.run(
            [str(SCRIPT), "client", *args],
            env={**self.env, "COLUMNS": "200"},
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def campaign(self, name: str, records: list[dict[str, Any]]) -> int:
        """A started campaign (from today 00:00 UTC, any time of day) holding ``records``."""
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        with self.client() as isales:
            created = isales.create_campaign(
                name=name,
                deviceType=2,
                strBeginTime=today.strftime("%Y-%m-%d %H:%M:%S"),
                strEndTime=(today + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S"),
            )
            assert created["resultCode"] == SUCCESS, created
            campaign = int(created["returnObject"]["id"])
            for start in range(0, len(records), 20):
                body = {"callDataList": records[start : start + 20]}
                added = isales.call("POST", f"/calldata/{campaign}", json=body, version="v2")
                assert added["resultCode"] == SUCCESS, added
        return campaign


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One ``openisales serve`` on the embedded SQLite for the whole module."""
    root = tmp_path_factory.mktemp("dialer")
    cli = Cli(root / "data", None)
    keys = cli.create_tenant(12)
    with running_server(cli) as server:
        yield Service(server, keys, root)


def test_simulate_until_empty_finishes_every_record_once(service: Service) -> None:
    records = [
        {"sessionId": f"r{i}", "called": [f"1390000{i:04d}", f"1370000{i:04d}"][: 1 + i % 2]}
        for i in range(30)
    ]
    campaign = service.campaign("simulated", records)
    run = service.dialer(
        "simulate", "--campaign", str(campaign), "--answer-rate", "0.5", "--rate", "2000/s",
        "--seed", "3", "--batch", "7", "--until-empty", "--json",
    )  # fmt: skip
    assert run.returncode == 0, (run.stdout, run.stderr)
    tally = json.loads(run.stdout)
    assert tally["refused"] == {} and tally["leased"] == tally["reported"] >= 30, tally
    assert set(tally["failCodes"]) <= FAIL_CODES | {"00000"}
    assert sum(tally["failCodes"].values()) == tally["reported"]
    with service.client() as isales:
        final = isales.query_results(campaign)
        every = isales.query_results(campaign, show_detail=1, page_size=100)
        statistics = isales.call(
            "GET", "/statistics", params={"campaignId": campaign}, version="v2"
        )
    # Each record has exactly one final result: reached, or every one of its numbers failed.
    assert final["totalCount"] == 30
    assert sorted(row["sessionId"] for row in final["data"]) == sorted(
        r["sessionId"] for r in records
    )
    numbers = {r["sessionId"]: r["called"] for r in records}
    for row in final["data"]:
        assert row["callStatus"] == 6 or row["called"] == numbers[row["sessionId"]][-1], row
    assert every["totalCount"] == tally["reported"]
    reached = sum(row["callStatus"] == 6 for row in final["data"])
    assert reached == tally["failCodes"].get("00000", 0)
    [entry] = statistics["countDetail"]
    assert (entry["unCallCount"], entry["totalFinishCount"], entry["totalCallSucc"]) == (
        0,
        30,
        reached,
    )
    again = service.dialer("simulate", "--campaign", str(campaign), "--until-empty")
    assert again.returncode == 0 and again.stdout.startswith("leased 0, reported 0"), again.stdout


def test_simulate_stops_after_max_seconds_when_there_is_nothing_to_call(service: Service) -> None:
    campaign = service.campaign("empty", [])
    run = service.dialer("simulate", "--campaign", str(campaign), "--max-seconds", "0.3", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["leased"] == 0


def test_simulate_refusals_and_usage_errors(service: Service) -> None:
    unknown = service.dialer("simulate", "--campaign", "999", "--until-empty")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: 0200007"), unknown.stderr
    bad_rate = service.dialer("simulate", "--campaign", "1", "--rate", "fast")
    assert bad_rate.returncode == 2 and "rate" in bad_rate.stderr
    env = {k: v for k, v in service.env.items() if k != "OPENISALES_SECRET_KEY"}
    bare = subprocess.run(
        [str(SCRIPT), "dialer", "simulate", "--campaign", "1"],
        env=env, cwd=service.home, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert bare.returncode == 2 and "configure" in bare.stderr


@contextmanager
def dialer_receiver(out: Path, cwd: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``openisales dialer receive`` on a free loopback port, appending to ``out``: the process
    and its URL. Stopped with SIGINT at the end of the block unless the block stopped it."""
    receiver = subprocess.Popen(
        [str(SCRIPT), "dialer", "receive", "--port", "0", "--out", str(out)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        first = receiver.stdout.readline()
        assert first.startswith("listening on http://127.0.0.1:"), first
        yield receiver, first.split()[2].rstrip(",")
    finally:
        if receiver.poll() is None:
            receiver.send_signal(signal.SIGINT)
            receiver.communicate(timeout=20)


def test_receive_appends_each_pushed_result_and_answers_success(tmp_path: Path) -> None:
    out = tmp_path / "pushed.jsonl"
    with dialer_receiver(out, tmp_path) as (receiver, url):
        assert receiver.stdout is not None
        pushed = [
            {"campaignId": 7, "sessionId": "s1", "called": "13800000001", "callStatus": 6,
             "failCode": "00000", "callId": "c1", "callTimeStr": "2099-01-02 12:00:00",
             "vdnId": 12, "customField": "b", "recordPath": "/r/1.wav"},
            {"campaignId": 7, "sessionId": "s2", "called": "13800000002", "callStatus": 5,
             "failCode": "00537", "callId": "c2", "callTimeStr": "2099-01-02 12:00:05",
             "vdnId": 12, "customField": None, "recordPath": ""},
        ]  # fmt: skip
        answer = httpx.post(url, json=pushed, timeout=10)
        assert (answer.status_code, answer.json()) == (200, {"retCode": "0", "retMsg": "success"})
        assert receiver.stdout.readline().strip() == "received 2 result(s), 2 in all"
        refused = httpx.post(url, json={"not": "an array"}, timeout=10)
        assert refused.status_code == 400 and refused.json()["retCode"] == "1"
        again = httpx.post(url + "callback", json=pushed[:1], timeout=10)
        assert again.status_code == 200
        assert receiver.stdout.readline().strip() == "received 1 result(s), 3 in all"
        receiver.send_signal(signal.SIGINT)
        rest, errors = receiver.communicate(timeout=20)
    assert receiver.returncode == 0, errors
    assert rest.strip().splitlines()[-1] == "3 result(s) received"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [*pushed, pushed[0]]


def test_client_results_and_statistics_show_what_was_dialled(service: Service) -> None:
    records = [{"sessionId": f"q{i}", "called": [f"1350000{i:04d}"]} for i in range(12)]
    campaign = service.campaign("queried", records)
    run = service.dialer(
        "simulate", "--campaign", str(campaign), "--rate", "2000/s", "--until-empty", "--json"
    )
    assert run.returncode == 0, run.stderr
    reached = json.loads(run.stdout)["failCodes"].get("00000", 0)

    page = service.shell_client("results", "--campaign", str(campaign), "--page-size", "5")
    assert page.returncode == 0, page.stderr
    assert page.stdout.rstrip().endswith("12 in all"), page.stdout
    assert sum(f"q{i} " in page.stdout for i in range(12)) == 5  # one page of five rows
    raw = service.shell_client(
        "results", "--campaign", str(campaign), "--call-status", "6", "--every", "--json"
    )
    answer = json.loads(raw.stdout)
    assert answer["totalCount"] == reached
    assert all(row["callStatus"] == 6 for row in answer["data"])

    table = service.shell_client("statistics", "--campaign", str(campaign))
    assert table.returncode == 0, table.stderr
    counts = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in table.stdout.splitlines()
        if line.count("│") == 3
    }
    assert counts["totalFinishCount"] == "12" and counts["unCallCount"] == "0", table.stdout
    assert counts["totalCallSucc"] == str(reached)
    unknown = service.shell_client("results", "--campaign", "999")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: 0200007"), unknown.stderr
