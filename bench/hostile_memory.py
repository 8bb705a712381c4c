"""Peak memory of ``openisales serve`` (and its child processes) importing hostile files.

Each case is a file that costs a reader far more memory than its size: a 1.5 KB xlsx whose two
cells span a huge range, a sheet XML of hundreds of MB that deflates to 2 MB, a large CSV with
one character outside the Basic Multilingual Plane, a short sheet whose cells all copy one long
shared string. For each case the benchmark starts a fresh ``openisales serve`` (SQLite, embedded
worker), puts the file on a real OpenSSH sftp server, submits it through the signed API and polls
until the task ends or serve dies, sampling the RSS of serve and of all its descendants every
10 ms. Printed per case: the outcome, serve's own peak (VmHWM), the largest child peak seen, the
largest serve + children RSS at one sample, and the seconds taken.

Run from the repository root, as root (the sftp server creates a system user and runs sshd):

    .venv/bin/python bench/hostile_memory.py [--case NAME ...] [--timeout SECONDS]

The files are built once into ``bench/.cache/hostile/``. ``PYTHONPATH`` decides which sources
serve runs, so the same script measures another checkout (``PYTHONPATH=/other/src``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CACHE_DIR = BENCH_DIR / ".cache" / "hostile"
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO_ROOT))

import import_bench as bench  # noqa: E402
from tests.support import hostile_files as files  # noqa: E402

MIB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    build: Callable[[Path], None]
    suffix: str = ".xlsx"


def _write(make: Callable[[], bytes]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(make())

    return write


def _numeric(rows: int, dimension: str | None = "") -> Callable[[Path], None]:
    def write(path: Path) -> None:
        files.write_numeric_xlsx(path, rows, 256, refs=False, dimension=dimension)

    return write


def _csv_with_emoji(path: Path) -> None:
    files.write_csv_with_one_emoji(path, 184_000_000)


CASES = (
    Case(
        "xfd",
        "xlsx, cells A1 and XFD1048576",
        _write(lambda: files.sparse_xlsx([("A1", "called"), ("XFD1048576", "x")])),
    ),
    Case(
        "xfd-forged",
        "the same, its dimension forged to A1:A2",
        _write(
            lambda: files.sparse_xlsx([("A1", "called"), ("XFD1048576", "x")], dimension="A1:A2")
        ),
    ),
    Case(
        "iv400000",
        "xlsx, cells A1 and IV400000",
        _write(lambda: files.sparse_xlsx([("A1", "called"), ("IV400000", "x")])),
    ),
    Case(
        "iv400000-forged",
        "the same, its dimension forged to A1:A2",
        _write(lambda: files.sparse_xlsx([("A1", "called"), ("IV400000", "x")], dimension="A1:A2")),
    ),
    Case(
        "numeric-933mb",
        "xlsx, 242,000 rows x 256 number cells without r: 933 MB of sheet XML",
        _numeric(242_000),
    ),
    Case(
        "numeric-460mb-forged",
        "xlsx, 120,000 rows x 256 number cells without r (460 MB), dimension A1:A2",
        _numeric(120_000, dimension="A1:A2"),
    ),
    Case(
        "shared-string",
        "xlsx, 80,000 cells copying one 32,000-character shared string",
        _write(lambda: files.shared_string_xlsx(80_000, 32_000)),
    ),
    Case(
        "csv-emoji-184mb",
        "CSV of 184 MB, ASCII but for one emoji",
        _csv_with_emoji,
        ".csv",
    ),
)


def cached_file(case: Case) -> Path:
    """The case's file, built on first use."""
    path = CACHE_DIR / f"{case.name}{case.suffix}"
    if not path.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        case.build(partial)
        partial.rename(path)
    return path


class Sampler(threading.Thread):
    """Samples serve's RSS and its descendants' every 10 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.stop_event = threading.Event()
        self.child_peak_kib = 0
        self.total_peak_kib = 0
        self.serve_peak_kib = 0

    def run(self) -> None:
        while not self.stop_event.wait(0.01):
            serve_hwm = bench.status_kib(self.pid, "VmHWM")
            if serve_hwm is None:
                return  # serve is gone
            self.serve_peak_kib = max(self.serve_peak_kib, serve_hwm)
            total = bench.status_kib(self.pid, "VmRSS") or 0
            for child in bench.descendants(self.pid):
                peak = bench.status_kib(child, "VmHWM") or 0
                self.child_peak_kib = max(self.child_peak_kib, peak)
                total += bench.status_kib(child, "VmRSS") or 0
            self.total_peak_kib = max(self.total_peak_kib, total)


@dataclass
class Outcome:
    case: Case
    size: int
    result: str
    seconds: float
    serve_kib: int
    child_kib: int
    total_kib: int


def run_case(case: Case, sftp: Any, timeout: float) -> Outcome:
    from tests.support.servers import free_port

    from openisales.client import ISalesClient

    path = cached_file(case)
    target = sftp.mkdir(bench.UPLOAD_DIR) / path.name
    shutil.copyfile(path, target)
    os.chown(target, sftp.uid, sftp.gid)
    data_dir = Path(tempfile.mkdtemp(prefix="isales-hostile-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENISALES_")}
    env["OPENISALES_DATA_DIR"] = str(data_dir)
    env["OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES"] = "true"  # the sftp server is on 127.0.0.1
    service = bench.Service(env, data_dir)
    try:
        service.start(free_port())
        keys = json.loads(service.cli("tenant", "create", "--vdn-id", str(bench.VDN_ID)))
        assert service.process is not None
        sampler = Sampler(service.process.pid)
        with ISalesClient(
            service.url, keys["accessKey"], keys["secretKey"], bench.VDN_ID, timeout=30
        ) as isales:
            added = isales.add_server(
                sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home)
            )
            campaign = isales.create_campaign(
                name="hostile",
                deviceType=2,
                strBeginTime="2099-01-01 00:00:00",
                strEndTime="2099-12-31 23:59:59",
            )["returnObject"]["id"]
            sampler.start()
            began = time.perf_counter()
            task_id = isales.upload_file_server(
                campaign, added["serverId"], path.name, file_path="/" + bench.UPLOAD_DIR
            )["importTaskId"]
            result = _wait(service, isales, campaign, task_id, timeout)
            seconds = time.perf_counter() - began
        sampler.stop_event.set()
        sampler.join()
        return Outcome(
            case,
            path.stat().st_size,
            result,
            seconds,
            sampler.serve_peak_kib,
            sampler.child_peak_kib,
            sampler.total_peak_kib,
        )
    finally:
        service.stop()
        target.unlink(missing_ok=True)
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait(service: Any, isales: Any, campaign: int, task_id: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = service.process.poll()
        if code is not None:
            return f"serve died ({_exit_text(code)})"
        try:
            answer = isales.query_import_tasks(campaign, import_task_ids=[task_id])
        except Exception as exc:  # serve may be dying right now
            time.sleep(0.2)
            if service.process.poll() is None:
                return f"query failed: {exc}"
            continue
        task = answer["result"][0]
        if str(task["status"]) in ("2", "3"):
            return _task_text(task)
        time.sleep(0.05)
    return "still running after the timeout"


def _exit_text(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


def _task_text(task: dict[str, Any]) -> str:
    if str(task["status"]) == "2":
        return (
            f"status 2 (totalNum {task.get('totalNum')}, succNum {task.get('succNum')}, "
            f"failNum {task.get('failNum')})"
        )
    return f"status 3: {task.get('errMsg', '')}"


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def report(outcomes: Sequence[Outcome]) -> None:
    print()
    print("| case | file | outcome | serve peak | largest child peak | serve + children | s |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for out in outcomes:
        print(
            f"| {out.case.name}: {out.case.what} | {out.size / 1024:,.1f} KiB | {out.result} | "
            f"{mib(out.serve_kib)} | {mib(out.child_kib)} | {mib(out.total_kib)} | "
            f"{out.seconds:.1f} |"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    names = [case.name for case in CASES]
    parser.add_argument("--case", action="append", choices=names, help="run only these cases")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("error: run as root: the sftp server creates a system user and runs sshd")
        return 2
    from tests.support.servers import SftpServer

    chosen = [case for case in CASES if not args.case or case.name in args.case]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"hostile-file memory benchmark; {os.cpu_count()} CPUs, load average {load}")
    for case in chosen:
        print(f"file {case.name}: {cached_file(case).stat().st_size:,} bytes", flush=True)
    outcomes = []
    with contextlib.ExitStack() as work:
        sftp = SftpServer()
        work.callback(sftp.close)
        sftp.start()
        for case in chosen:
            print(f"running {case.name} ...", flush=True)
            outcomes.append(run_case(case, sftp, args.timeout))
    report(outcomes)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average now {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
