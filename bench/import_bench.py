"""End-to-end benchmark of a call-data import: SFTP server -> signed API -> worker -> database.

One run:

1. generates (or takes from ``bench/.cache/``) a template file of N rows with known counts;
2. starts a real OpenSSH sftp server (and a PostgreSQL cluster with ``--db postgres``) from the
   test support code, and ``openisales serve`` as a subprocess on a free port;
3. creates a tenant with the CLI, registers the sftp server, creates a campaign and submits the
   file through the signed client, then polls ``queryDataImportTask`` every ~50 ms;
4. checks the task's counts against the generator's, and prints the end-to-end time, rows/s,
   the per-stage timings the worker recorded, the service's peak RSS and the query latencies;
5. times the naive baseline (``bench/naive_baseline.py``) on the same file and prints the ratio.

Two other kinds of run:

- ``--scaling [--sizes 10000,100000,500000]``: one such run for each size, each in a fresh sftp
  server, database and service, then one table of every size;
- ``--concurrent N [--workers W]``: N copies of the ``--rows`` file imported at once into N
  campaigns of one tenant, by ``openisales serve --no-worker`` and W ``openisales worker``
  processes on the same database; prints every task's time and counts, the wall time from the
  first submit to the last task's end, the aggregate rows/s, every process's peak RSS and the
  query latency across all polls (the record mapping is not downloaded, nor the baseline run).

Run from the repository root, as root (the sftp server creates a system user and runs sshd):

    .venv/bin/python bench/import_bench.py [--rows N] [--db sqlite|postgres] [--no-baseline] [--keep]
    .venv/bin/python bench/import_bench.py --scaling [--sizes N,N,...] [--db ...] [--no-baseline]
    .venv/bin/python bench/import_bench.py --concurrent N [--workers W] [--rows N] [--db ...]

Exit status: 0 when every count matches, 1 on a mismatch or a failed task, 2 when the set-up
could not be done (or the arguments are wrong), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import ctypes
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CACHE_DIR = BENCH_DIR / ".cache"

# Bump when the generated file changes in any way: cached files of another version are not used.
GENERATOR_VERSION = 1
SEED = 20240611
HEADER = ("sessionId", "called", "caller", "callData", "customField", "recycleTime")

INVALID_SHARE = 0.02
DUPLICATE_SHARE = 0.01
# A row that reuses an earlier sessionId with other numbers: not a duplicate, it is imported.
SAME_SESSION_OTHER_NUMBERS_SHARE = 0.005
# The invalid rows, one broken rule each, in these proportions; keys are the product's rules.
INVALID_RULES = {
    "called.calledNo.chars": 0.30,
    "sessionId.length": 0.20,
    "recycleTime.format": 0.15,
    "recycleTime.value": 0.10,
    "callData.length": 0.25,
}

POLL_SECONDS = 0.05
TASK_TIMEOUT_SECONDS = 1800.0
STAGES = ("fetch", "read", "validate", "classify", "write")
VDN_ID = 1
UPLOAD_DIR = "isales/upload"
MIB = 1024 * 1024
OPENISALES = (sys.executable, "-m", "openisales.cli")


class SetupError(Exception):
    """The benchmark could not set up its servers or the service."""


# --- the template file ------------------------------------------------------------------------

CHINESE_NAMES = (
    ("王", "李", "张", "刘", "陈", "杨", "黄", "赵"),
    ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇"),
)
LATIN_NAMES = (
    ("Anna", "Luis", "Minh", "Priya", "Tom", "Fatima"),
    ("Smith", "García", "Nguyen", "Kumar", "Okafor"),
)
PRODUCTS = (
    "Broadband 300M renewal",
    "5G unlimited plan upgrade",
    "家庭宽带续约",
    "Travel insurance",
    "信用卡分期",
    "Fibre 1000M",
    "Prepaid top-up reminder",
)
REGIONS = ("north", "south", "east", "west", "central")
NOTE_WORDS = (
    "prefers",
    "evening",
    "calls",
    "VIP",
    "customer",
    "since",
    "2019",
    "asked",
    "about",
    "discount",
    "老客户",
    "回访",
    "offer",
    "expires",
    "soon",
)
TYPES = ("mobile", "home", "office")
AREA_CODES = ("10", "21", "20", "755", "571", "28", "27", "25")
BAD_NUMBERS = ("138-{a}-{b}", "+86{a}{b}", "{a} {b}", "{a}{b}O", "{a}x{b}")
BAD_TIME_FORMATS = (
    "{y}/{m:02d}/{d:02d} 18:00:00",
    "{y}-{m:02d}-{d:02d}T09:30:00",
    "{y}-{m:02d}-{d:02d} 18:00",
    "{d:02d}.{m:02d}.{y} 10:00:00",
)
BAD_TIME_VALUES = (
    "2099-02-30 10:00:00",
    "2099-13-01 09:00:00",
    "2099-06-01 24:00:00",
    "2099-04-31 12:00:00",
)


@dataclass
class Expected:
    """What the generator put in the file, and the counts an import of it must report."""

    rows: int
    totalNum: int = 0
    succNum: int = 0
    failNum: int = 0
    repeatNum: int = 0
    blackNum: int = 0
    rules: dict[str, int] = field(default_factory=dict)
    same_session_other_numbers: int = 0
    numbers: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "totalNum": self.totalNum,
            "succNum": self.succNum,
            "failNum": self.failNum,
            "repeatNum": self.repeatNum,
            "blackNum": self.blackNum,
        }


class RowMaker:
    """Deterministic realistic rows: everything comes from one seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def numbers(self) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0]):
            kind = rng.random()
            if kind < 0.75:
                number = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            elif kind < 0.97:
                number = f"0{rng.choice(AREA_CODES)}{rng.randrange(10**8):08d}"
            else:
                number = f"400{rng.randrange(10**7):07d}#{rng.randrange(1, 999)}"
            out.append(number)
        return out

    def called(self, numbers: Sequence[str]) -> str:
        rng = self.rng
        items: list[dict[str, Any]] = []
        for number in numbers:
            item: dict[str, Any] = {"calledNo": number}
            if rng.random() < 0.5:
                delay = rng.choice((0, 0, 30, 60, 120, 600))
                # The documentation's example writes delayTime as a string.
                item["delayTime"] = str(delay) if rng.random() < 0.3 else delay
            if rng.random() < 0.4:
                item["type"] = rng.choice(TYPES)
            items.append(item)
        compact = rng.random() < 0.7
        return json.dumps(items, ensure_ascii=False, separators=(",", ":") if compact else None)

    def name(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            surnames, given = CHINESE_NAMES
            return rng.choice(surnames) + rng.choice(given) + rng.choice(("", *given))
        first, last = LATIN_NAMES
        return f"{rng.choice(first)} {rng.choice(last)}"

    def call_data(self, target: int) -> str:
        rng = self.rng
        data: dict[str, Any] = {
            "customerName": self.name(),
            "orderNo": f"ORD2099{rng.randrange(10**10):010d}",
            "product": rng.choice(PRODUCTS),
            "amount": f"{rng.randrange(900, 99900) / 100:.2f}",
            "dueDate": f"2099-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "agentGroup": f"renewals-{rng.choice(REGIONS)}",
            "note": "",
        }
        base = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        words: list[str] = []
        while base + len(" ".join(words)) < target:
            words.append(rng.choice(NOTE_WORDS))
        data["note"] = " ".join(words)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def recycle_time(self) -> str:
        rng = self.rng
        if rng.random() < 0.1:
            return ""
        moment = datetime(2099, 1, 1) + timedelta(seconds=rng.randrange(364 * 86400))
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def row(self, session_id: str, numbers: Sequence[str]) -> list[str]:
        rng = self.rng
        caller = f"400{rng.randrange(10**7):07d}" if rng.random() < 0.7 else ""
        custom = (
            f"batch=2099-{rng.randrange(1, 53):02d};region={rng.choice(REGIONS)}"
            if rng.random() < 0.8
            else ""
        )
        return [
            session_id,
            self.called(numbers),
            caller,
            self.call_data(rng.randrange(180, 221)),
            custom,
            self.recycle_time(),
        ]

    def break_rule(self, row: list[str], numbers: list[str], rule: str) -> None:
        """Make exactly one field of a valid row break ``rule``."""
        rng = self.rng
        if rule == "called.calledNo.chars":
            a, b = f"{rng.randrange(10**4):04d}", f"{rng.randrange(10**4):04d}"
            numbers[rng.randrange(len(numbers))] = rng.choice(BAD_NUMBERS).format(a=a, b=b)
            row[1] = self.called(numbers)
        elif rule == "sessionId.length":
            row[0] = (
                row[0] + "-" + "".join(rng.choices("0123456789abcdef", k=rng.randrange(20, 40)))
            )
        elif rule == "recycleTime.format":
            y, m, d = 2099, rng.randrange(1, 13), rng.randrange(1, 29)
            row[5] = rng.choice(BAD_TIME_FORMATS).format(y=y, m=m, d=d)
        elif rule == "recycleTime.value":
            row[5] = rng.choice(BAD_TIME_VALUES)
        elif rule == "callData.length":
            row[3] = self.call_data(rng.randrange(1100, 1600))
        else:
            raise ValueError(rule)


def generate_rows(maker: RowMaker, n: int, expected: Expected) -> Iterator[list[str]]:
    """The N data rows, counting into ``expected`` what an import of them must report.

    The counts come from doing what the product's rules say (a valid row whose sessionId and set
    of numbers were seen before is a repeat), not from what was meant, so they are exact.
    """
    rng = maker.rng
    rules, weights = list(INVALID_RULES), list(INVALID_RULES.values())
    seen: set[tuple[str, frozenset[str]]] = set()  # the product's identity of a valid row
    earlier: list[tuple[str, list[str]]] = []  # valid rows an import keeps or drops as repeats
    for i in range(n):
        draw = rng.random()
        session_id = f"CUST-{i:08d}"
        if draw < INVALID_SHARE:
            numbers = maker.numbers()
            row = maker.row(session_id, numbers)
            rule = rng.choices(rules, weights)[0]
            maker.break_rule(row, numbers, rule)
            expected.failNum += 1
            expected.rules[rule] = expected.rules.get(rule, 0) + 1
            expected.totalNum += 1
            expected.numbers += len(numbers)
            yield row
            continue
        if draw < INVALID_SHARE + DUPLICATE_SHARE and earlier:
            session_id, original = earlier[rng.randrange(len(earlier))]
            numbers = list(original)
            if rng.random() < 0.5:
                rng.shuffle(numbers)  # the same set in another order is still the same customer
        elif draw < INVALID_SHARE + DUPLICATE_SHARE + SAME_SESSION_OTHER_NUMBERS_SHARE and earlier:
            session_id = earlier[rng.randrange(len(earlier))][0]
            numbers = maker.numbers()
            expected.same_session_other_numbers += 1
        else:
            numbers = maker.numbers()
        identity = (session_id, frozenset(numbers))
        if identity in seen:
            expected.repeatNum += 1
        else:
            seen.add(identity)
            earlier.append((session_id, numbers))
            expected.succNum += 1
        expected.totalNum += 1
        expected.numbers += len(numbers)
        yield maker.row(session_id, numbers)


def write_template(path: Path, n: int) -> Expected:
    """Write the N-row file with XlsxWriter (constant memory); returns its expected counts."""
    import xlsxwriter

    expected = Expected(n)
    workbook = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = workbook.add_worksheet("calldata")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(generate_rows(RowMaker(SEED), n, expected), start=1):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    workbook.close()
    return expected


def cached_template(n: int) -> tuple[Path, Expected, bool]:
    """The N-row file from the cache, generated on first use; (path, expected, was cached)."""
    stem = f"calldata-{n}-g{GENERATOR_VERSION}"
    path, meta_path = CACHE_DIR / f"{stem}.xlsx", CACHE_DIR / f"{stem}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("size") == path.stat().st_size:
            return path, Expected(**meta["expected"]), True
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".partial-{os.getpid()}.xlsx")
    try:
        expected = write_template(partial, n)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    meta = {"generator": GENERATOR_VERSION, "seed": SEED, "size": path.stat().st_size}
    meta["expected"] = expected.__dict__
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return path, expected, False


# --- processes --------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """preexec_fn: the kernel sends SIGTERM to the child when the benchmark dies."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                found.update(int(child) for child in text.split())
    return found


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in _children(stack.pop()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def status_kib(pid: int, key: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status (VmHWM, VmRSS), or None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


STOP_SECONDS = 20.0


def stop_processes(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every process at once, give them 20 s in all, then SIGKILL what is left.

    Each runs in a session of its own, so a kill of its process group takes its children along;
    descendants seen before the stop are killed by pid too (one that left the group).
    """
    leftovers: set[int] = set()
    for process in processes:
        leftovers |= descendants(process.pid)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        leftovers |= descendants(process.pid)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Daemon:
    """An ``openisales`` command that runs until stopped: its own session, its log in the data dir."""

    def __init__(self, name: str, env: dict[str, str], data_dir: Path, log_name: str) -> None:
        self.name = name
        self.env = env
        self.data_dir = data_dir
        self.log_path = data_dir / log_name
        self.process: subprocess.Popen[bytes] | None = None

    def launch(self, *args: str) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*OPENISALES, *args],
                env=self.env,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        return self.process

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_text()[-chars:]

    def log_problems(self) -> list[str]:
        """The log's lines that tell of an error."""
        return [line for line in self.log_text().splitlines() if _tells_of_error(line)]

    def stop(self) -> None:
        stop_daemons([self])


def _tells_of_error(line: str) -> bool:
    # Text lines carry " ERROR ", JSON lines a "level" field; a traceback is in either.
    return "Traceback" in line or " ERROR " in line or '"level": "ERROR"' in line


def stop_daemons(daemons: Sequence[Daemon]) -> None:
    """Stop every daemon that still runs, all at once (a second call does nothing)."""
    processes = []
    for daemon in daemons:
        if daemon.process is not None:
            processes.append(daemon.process)
            daemon.process = None
    stop_processes(processes)


class Service(Daemon):
    """``openisales serve`` in a subprocess of its own session, with its log in the data dir."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        super().__init__("serve", env, data_dir, "serve.log")
        self.url = ""
        self.child_peaks_kib: dict[int, int] = {}
        self.sampled_total_kib = 0  # the largest RSS of serve + children seen at one sample

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [*OPENISALES, *args],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise SetupError(f"openisales {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def start(self, port: int, *options: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        process = self.launch("serve", "--host", "127.0.0.1", "--port", str(port), *options)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SetupError(f"openisales serve exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise SetupError(f"openisales serve did not answer /healthz in 60 s:\n{self.log_tail()}")

    def sample_memory(self) -> None:
        """Sample the RSS of serve and its children (a reader process, a worker pool, if any).

        A child's own peak (VmHWM) is kept per pid; a child that ends between two samples is
        seen at its last sample only.
        """
        if self.process is None:
            return
        total = status_kib(self.process.pid, "VmRSS") or 0
        for pid in descendants(self.process.pid):
            peak, rss = status_kib(pid, "VmHWM"), status_kib(pid, "VmRSS")
            if peak is not None:
                self.child_peaks_kib[pid] = max(peak, self.child_peaks_kib.get(pid, 0))
            total += rss or 0
        self.sampled_total_kib = max(self.sampled_total_kib, total)


# How long ago the file was written, as a CRM's export of the night before would be: past
# ``sftp.stability.RECENT_SECONDS``, so the fetch does not wait ``fetch_stable_seconds`` to see
# whether a file copied a moment ago is still growing (that wait is measured by the tests).
FILE_AGE_SECONDS = 600


def serve_files(work: contextlib.ExitStack, source: Path, names: Sequence[str]) -> Any:
    """A throwaway sftp server (stopped with ``work``) holding copies of ``source`` under
    ``names`` in UPLOAD_DIR; returns the ``tests.support.servers.SftpServer``."""
    from tests.support.servers import SftpServer

    print("starting the sftp server ...", flush=True)
    sftp = SftpServer()
    work.callback(sftp.close)
    sftp.start()
    upload = sftp.mkdir(UPLOAD_DIR)
    for name in names:
        place_file(source, upload / name, sftp.uid, sftp.gid)
    return sftp


def place_file(source: Path, target: Path, uid: int, gid: int) -> None:
    """Copy the file onto the sftp server, owned by its user, written FILE_AGE_SECONDS ago."""
    shutil.copyfile(source, target)
    os.chown(target, uid, gid)
    written = time.time() - FILE_AGE_SECONDS
    os.utime(target, (written, written))


def run_subprocess(command: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a child in its own session (Ctrl-C reaches only us); kill it if we are interrupted."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


# --- measuring --------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(share * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass
class ImportRun:
    task: dict[str, Any]
    seconds: float
    latencies: list[float]
    slowest: tuple[float, float, Any]
    first_seen: dict[str, float]
    serve_peak_kib: int | None
    serve_idle_kib: int | None
    child_peaks_kib: dict[int, int]
    sampled_total_kib: int
    failure_rules: Counter[str] | None
    log_problems: list[str]
    mapping: list[MappingDownload] = field(default_factory=list)


@dataclass
class MappingDownload:
    """One download of the task's record mapping, and the serve process around it."""

    fmt: str
    seconds: float
    size: int
    lines: int | None  # CSV: record lines (the header not counted)
    peak_before_kib: int | None
    peak_after_kib: int | None
    rss_after_kib: int | None


def download_mappings(isales: Any, task_id: str, serve_pid: int) -> list[MappingDownload]:
    """The record mapping as CSV, then as xlsx, each timed, with serve's VmHWM around it."""
    done = []
    for fmt in ("csv", "xlsx"):
        peak_before = status_kib(serve_pid, "VmHWM")
        began = time.perf_counter()
        data = isales.download_mapping(task_id, fmt)
        seconds = time.perf_counter() - began
        lines = len(data.decode("utf-8-sig").splitlines()) - 1 if fmt == "csv" else None
        done.append(
            MappingDownload(
                fmt,
                seconds,
                len(data),
                lines,
                peak_before,
                status_kib(serve_pid, "VmHWM"),
                status_kib(serve_pid, "VmRSS"),
            )
        )
    return done


def prepare_service(
    args: argparse.Namespace, work: contextlib.ExitStack, data_dir: Path
) -> Service:
    """The service's environment and, with ``--db postgres``, its database, upgraded."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.servers import PostgresServer

    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENISALES_")}
    env["OPENISALES_DATA_DIR"] = str(data_dir)
    env["OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES"] = "true"  # the sftp server is on 127.0.0.1
    service = Service(env, data_dir)
    if args.db == "postgres":
        print("starting PostgreSQL ...", flush=True)
        postgres = PostgresServer()
        work.callback(postgres.close)
        postgres.start()
        env["OPENISALES_DATABASE_URL"] = postgres.create_database("isales_bench")
        service.cli("db", "upgrade")
    return service


def run_import(
    args: argparse.Namespace, file_path: Path, work: contextlib.ExitStack, data_dir: Path
) -> ImportRun:
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.servers import free_port

    from openisales.client import ISalesClient

    remote_name = file_path.name
    sftp = serve_files(work, file_path, [remote_name])

    service = prepare_service(args, work, data_dir)

    print("starting openisales serve ...", flush=True)
    work.callback(service.stop)
    service.start(free_port())
    keys = json.loads(service.cli("tenant", "create", "--vdn-id", str(VDN_ID)))

    with ISalesClient(service.url, keys["accessKey"], keys["secretKey"], VDN_ID) as isales:
        added = isales.add_server(
            sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home)
        )
        _ok(added, "addServer")
        created = isales.create_campaign(
            name="import bench",
            deviceType=2,
            strBeginTime="2099-01-01 00:00:00",
            strEndTime="2099-12-31 23:59:59",
        )
        _ok(created, "create campaign")
        campaign_id = created["returnObject"]["id"]
        assert service.process is not None
        serve_pid = service.process.pid
        serve_idle_kib = status_kib(serve_pid, "VmRSS")

        print(f"importing {file_path.name} ...", flush=True)
        began = time.perf_counter()
        submitted = isales.upload_file_server(
            campaign_id, added["serverId"], remote_name, file_path="/" + UPLOAD_DIR
        )
        _ok(submitted, "uploadFileServer")
        task_id = submitted["importTaskId"]
        latencies: list[float] = []
        first_seen: dict[str, float] = {}
        task: dict[str, Any] = {}
        slowest: tuple[float, float, Any] = (0.0, 0.0, None)  # (sent at, seconds, processedNum)
        while True:
            call_began = time.perf_counter()
            answer = isales.query_import_tasks(campaign_id, import_task_ids=[task_id])
            now = time.perf_counter()
            latencies.append(now - call_began)
            _ok(answer, "queryDataImportTask")
            task = answer["result"][0]
            if now - call_began > slowest[1]:
                slowest = (call_began - began, now - call_began, task.get("processedNum"))
            first_seen.setdefault(str(task["status"]), now - began)
            if str(task["status"]) in ("2", "3"):
                seconds = now - began
                break
            if now - began > TASK_TIMEOUT_SECONDS:
                raise SetupError(f"the import did not end in {TASK_TIMEOUT_SECONDS:.0f} s: {task}")
            service.sample_memory()
            time.sleep(max(0.0, POLL_SECONDS - (time.perf_counter() - call_began)))

        service.sample_memory()
        serve_peak_kib = status_kib(serve_pid, "VmHWM")

        failure_rules = None
        if str(task["status"]) == "2" and task.get("failNum"):
            report = isales.download_failures(task_id, "csv")
            reader = csv.DictReader(io.StringIO(report.decode("utf-8-sig")))
            failure_rules = Counter(row["rule"] for row in reader)
        mapping = download_mappings(isales, task_id, serve_pid) if task["status"] == "2" else []

    service.stop()
    log = service.log_path.read_text(errors="replace")
    problems = [line for line in log.splitlines() if "Traceback" in line or " ERROR " in line]
    return ImportRun(
        task=task,
        seconds=seconds,
        latencies=latencies,
        slowest=slowest,
        first_seen=first_seen,
        serve_peak_kib=serve_peak_kib,
        serve_idle_kib=serve_idle_kib,
        child_peaks_kib=dict(service.child_peaks_kib),
        sampled_total_kib=service.sampled_total_kib,
        failure_rules=failure_rules,
        log_problems=problems,
        mapping=mapping,
    )


def _ok(envelope: dict[str, Any], what: str) -> None:
    if envelope.get("resultCode") != "0200000":
        raise SetupError(f"{what} failed: {envelope}")


def run_baseline(file_path: Path) -> dict[str, Any]:
    print("timing the naive baseline (openpyxl + strptime + ORM; slow) ...", flush=True)
    result = run_subprocess(
        [sys.executable, str(BENCH_DIR / "naive_baseline.py"), str(file_path), "--json"],
        timeout=3600,
    )
    if result.returncode != 0:
        raise SetupError(f"the naive baseline failed:\n{result.stdout}{result.stderr}")
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


# --- report -----------------------------------------------------------------------------------


def mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def report_import(run: ImportRun, expected: Expected) -> bool:
    """Print the figures and the checks; True when every check passed."""
    task = run.task
    rows = expected.totalNum
    print()
    print("== openisales ==")
    print(f"task status        {task['status']}  {task.get('errMsg') or ''}".rstrip())
    print(
        f"end-to-end         {run.seconds:.2f} s (submit -> status 2 seen)   "
        f"{rows / run.seconds:,.0f} rows/s"
    )
    created, begun, ended = (
        parse_time(task.get(key, "")) for key in ("createTime", "beginTime", "endTime")
    )
    if created and begun and ended:
        print(
            f"  server side      {(ended - created).total_seconds():.2f} s createTime -> endTime: "
            f"{(begun - created).total_seconds():.2f} s queued until a worker took it, "
            f"{(ended - begun).total_seconds():.2f} s beginTime -> endTime"
        )
    seen = ", ".join(f"status {status} at {at:.2f} s" for status, at in run.first_seen.items())
    print(f"  first seen       {seen}")
    timings: dict[str, float] = task.get("timings") or {}
    names = [*STAGES, *(name for name in timings if name not in STAGES)]
    print(
        "stages (s)         "
        + "  ".join(
            f"{name} {timings[name]:.2f}" if name in timings else f"{name} n/a" for name in names
        )
    )
    print(
        f"  sum of stages    {sum(timings.values()):.2f} s (stages that overlap, if the worker "
        "runs them concurrently, are counted twice)"
    )
    print(
        f"worker peak RSS    {mib(run.serve_peak_kib)} (VmHWM of the serve process, API and "
        f"worker; {mib(run.serve_idle_kib)} RSS before submitting)"
    )
    if run.child_peaks_kib:
        children = sum(run.child_peaks_kib.values())
        print(
            f"  child processes  {len(run.child_peaks_kib)} seen, their peaks (VmHWM) add up to "
            f"{mib(children)}; serve peak + those: {mib((run.serve_peak_kib or 0) + children)}; "
            f"largest serve + children RSS at one sample: {mib(run.sampled_total_kib)}"
        )
    else:
        print("  child processes  none seen")
    lat = sorted(value * 1000 for value in run.latencies)
    print(
        f"queryDataImportTask latency while importing  n={len(lat)}  "
        f"p50 {percentile(lat, 0.50):.1f} ms  p99 {percentile(lat, 0.99):.1f} ms  "
        f"max {lat[-1]:.1f} ms"
    )
    slow = [value for value in lat if value > 100]
    print(
        f"  over 100 ms      {len(slow)} calls, {sum(slow) / 1000:.2f} s of the "
        f"{run.seconds:.2f} s import spent waiting in them (one poller: a blocked call holds "
        "back the calls after it, so p99 by count understates a long block)"
    )
    sent_at, slowest_seconds, processed = run.slowest
    print(
        f"  slowest call     sent at {sent_at:.2f} s, took {slowest_seconds * 1000:.1f} ms, "
        f"answered processedNum={processed}"
    )

    print()
    print("== counts ==")
    passed = True
    for name, want in expected.counts().items():
        got = task.get(name)
        ok = got == want
        passed &= ok
        print(f"{name:12} {got!s:>9}  expected {want:>9}  {'PASS' if ok else 'FAIL'}")
    print(f"{'processedNum':12} {task.get('processedNum')!s:>9}  (reported progress)")
    if run.failure_rules is not None:
        for rule, want in sorted(expected.rules.items()):
            got_rule = run.failure_rules.get(rule, 0)
            ok = got_rule == want
            passed &= ok
            print(f"report {rule:24} {got_rule:>7}  expected {want:>7}  {'PASS' if ok else 'FAIL'}")
        others = {rule: n for rule, n in run.failure_rules.items() if rule not in expected.rules}
        if others:
            passed = False
            print(f"report: unexpected rules {others}  FAIL")
    stored = int(task.get("succNum") or 0) + int(task.get("blackNum") or 0)
    for download in run.mapping:
        print(
            f"mapping {download.fmt:5} {download.seconds:6.2f} s  {download.size / 2**20:6.1f} MiB  "
            f"serve VmHWM {mib(download.peak_before_kib)} -> {mib(download.peak_after_kib)}, "
            f"RSS after {mib(download.rss_after_kib)}"
        )
        if download.lines is not None:
            ok = download.lines == stored
            passed &= ok
            print(
                f"mapping lines {download.lines:>9}  expected {stored:>9}  {'PASS' if ok else 'FAIL'}"
            )
    if run.log_problems:
        print(f"serve log: {len(run.log_problems)} error lines, first: {run.log_problems[0][:200]}")
    return passed and str(task["status"]) == "2"


def report_baseline(
    baseline: dict[str, Any], expected: Expected, openisales_seconds: float
) -> None:
    print()
    print("== naive baseline (same file) ==")
    print(
        f"read {baseline['read_s']:.2f} s  validate {baseline['validate_s']:.2f} s  "
        f"insert {baseline['insert_s']:.2f} s  total {baseline['total_s']:.2f} s  "
        f"({expected.totalNum / baseline['total_s']:,.0f} rows/s, peak RSS "
        f"{baseline['peak_rss_mib']:.1f} MiB)"
    )
    counts = {name: baseline[name] for name in ("totalNum", "succNum", "failNum", "repeatNum")}
    same = all(expected.counts()[name] == value for name, value in counts.items())
    print(f"baseline counts    {counts} {'(as expected)' if same else '(differ from expected)'}")
    print(
        f"ratio baseline / openisales   {baseline['total_s']:.2f} s / {openisales_seconds:.2f} s"
        f" = {baseline['total_s'] / openisales_seconds:.1f}x"
    )


# --- scaling: one import of each size ---------------------------------------------------------


@dataclass
class ScalingStep:
    """One size of ``--scaling``: its import, whether its checks passed, its baseline if run."""

    expected: Expected
    run: ImportRun
    passed: bool
    baseline_seconds: float | None


def run_scaling(args: argparse.Namespace, work: contextlib.ExitStack) -> list[ScalingStep]:
    """Each size in a fresh sftp server, database and service, with the checks of a plain run."""
    steps = []
    for rows in args.sizes:
        print(f"\n=== {rows:,} rows ===", flush=True)
        file_path, expected = prepared_template(rows)
        # Everything this size starts is stopped before the next one starts.
        step = work.enter_context(contextlib.ExitStack())
        data_dir = Path(tempfile.mkdtemp(prefix="isales-bench-"))
        if not args.keep:
            step.callback(shutil.rmtree, data_dir, ignore_errors=True)
        run = run_import(args, file_path, step, data_dir)
        passed = report_import(run, expected)
        baseline_seconds = None
        if not args.no_baseline and str(run.task.get("status")) == "2":
            baseline = run_baseline(file_path)
            report_baseline(baseline, expected, run.seconds)
            baseline_seconds = float(baseline["total_s"])
        step.close()
        if args.keep:
            print(f"\nservice data directory kept: {data_dir}")
        print(f"\n{rows:,} rows: {'PASS' if passed else 'FAIL'}", flush=True)
        steps.append(ScalingStep(expected, run, passed, baseline_seconds))
    return steps


def report_scaling(steps: Sequence[ScalingStep], db: str) -> None:
    """One Markdown table, a line per size."""
    names = [*STAGES]
    for step in steps:
        names += [name for name in step.run.task.get("timings") or {} if name not in names]
    with_baseline = any(step.baseline_seconds is not None for step in steps)
    header = [
        "rows",
        "end-to-end s",
        "rows/s",
        *(f"{name} s" for name in names),
        "serve VmHWM",
        "children VmHWM",
        "serve+children at one sample",
        "query p99 ms",
        "checks",
    ]
    if with_baseline:
        header += ["baseline s", "baseline / openisales"]
    lines = [header]
    for step in steps:
        run, rows = step.run, step.expected.totalNum
        timings: dict[str, float] = run.task.get("timings") or {}
        latencies = sorted(value * 1000 for value in run.latencies)
        line = [
            f"{rows:,}",
            f"{run.seconds:.2f}",
            f"{rows / run.seconds:,.0f}",
            *(f"{timings[name]:.2f}" if name in timings else "n/a" for name in names),
            mib(run.serve_peak_kib),
            mib(sum(run.child_peaks_kib.values())) if run.child_peaks_kib else "no child",
            mib(run.sampled_total_kib),
            f"{percentile(latencies, 0.99):.1f} (n={len(latencies)})",
            "PASS" if step.passed else "FAIL",
        ]
        if with_baseline:
            base = step.baseline_seconds
            line += (
                [f"{base:.2f}", f"{base / run.seconds:.1f}x"] if base is not None else ["n/a"] * 2
            )
        lines.append(line)
    print()
    print(f"== scaling ({db}) ==")
    print_table(lines, right=[column != "checks" for column in header])


def print_table(lines: Sequence[Sequence[str]], right: Sequence[bool]) -> None:
    """A Markdown table, its columns padded so that it reads in a terminal too."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(right))]

    def cells(line: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if align else cell.ljust(width)
            for cell, width, align in zip(line, widths, right, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "-" * (width + 1) + ":" if align else "-" * (width + 2)
        for width, align in zip(widths, right, strict=True)
    )
    print(cells(lines[0]))
    print("|" + "|".join(rule) + "|")
    for line in lines[1:]:
        print(cells(line))


# --- concurrent imports: N tasks, W worker processes ------------------------------------------

WORKER_START_SECONDS = 60.0
# A tenant holds at most this many campaigns not completed of one kind (max_campaigns_per_kind).
MAX_CONCURRENT = 20


class WorkerDaemon(Daemon):
    """One ``openisales worker`` process (claim loop and result pusher), logging to its own file."""

    def __init__(self, env: dict[str, str], data_dir: Path, number: int) -> None:
        super().__init__(f"worker {number}", env, data_dir, f"worker-{number}.log")

    def start(self) -> None:
        self.launch("worker")

    def wait_started(self, deadline: float) -> None:
        """Wait until the worker logs that its claim loop runs: a task it takes waits on no start."""
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise SetupError(f"openisales worker exited:\n{self.log_tail()}")
            if any(
                "openisales.worker" in line and "started" in line
                for line in self.log_text().splitlines()
            ):
                return
            time.sleep(0.1)
        raise SetupError(
            f"{self.name} did not log its start in {WORKER_START_SECONDS:.0f} s:\n{self.log_tail()}"
        )


class MemorySampler:
    """The RSS of named processes and of all their descendants, sampled together."""

    def __init__(self, roots: Sequence[tuple[str, int]]) -> None:
        self.roots = list(roots)
        self.child_peaks_kib: dict[int, tuple[str, int]] = {}  # pid -> (whose child, VmHWM)
        self.sampled_total_kib = 0  # the largest sum of every RSS seen at one sample

    def sample(self) -> None:
        total = 0
        for name, pid in self.roots:
            total += status_kib(pid, "VmRSS") or 0
            for child in descendants(pid):
                peak, rss = status_kib(child, "VmHWM"), status_kib(child, "VmRSS")
                if peak is not None:
                    before = self.child_peaks_kib.get(child, (name, 0))[1]
                    self.child_peaks_kib[child] = (name, max(peak, before))
                total += rss or 0
        self.sampled_total_kib = max(self.sampled_total_kib, total)

    def root_peaks(self) -> list[tuple[str, int | None]]:
        """Each named process's own VmHWM now (read before stopping it)."""
        return [(name, status_kib(pid, "VmHWM")) for name, pid in self.roots]


@dataclass
class ConcurrentTask:
    """One of the concurrent imports: its campaign, its file on the server, what it came to."""

    number: int
    campaign_id: int
    remote_name: str
    task_id: str = ""
    submitted_at: float = 0.0  # perf_counter() when its uploadFileServer was sent
    ended_at: float | None = None  # perf_counter() when a query first saw status 2 or 3
    task: dict[str, Any] = field(default_factory=dict)
    failure_rules: Counter[str] | None = None
    ran_in: str = "?"  # the process whose log names the task's run

    @property
    def seconds(self) -> float:
        return (self.ended_at or self.submitted_at) - self.submitted_at


@dataclass
class ConcurrentRun:
    layout: str  # which processes ran the imports
    tasks: list[ConcurrentTask]
    wall_seconds: float  # first submit -> the last task seen at its final status
    submit_seconds: float  # first submit -> the last submit answered
    latencies: list[float]
    root_peaks: list[tuple[str, int | None]]
    child_peaks_kib: dict[int, tuple[str, int]]
    sampled_total_kib: int
    log_problems: list[str]


def worker_layout(service: Service, workers: int) -> tuple[bool, int, str]:
    """(serve without its worker, how many ``openisales worker`` to start, what that means)."""
    if "--no-worker" in service.cli("serve", "--help"):
        return True, workers, f"serve --no-worker (API only) + {workers} `openisales worker`"
    return (
        False,
        workers - 1,
        f"serve has no --no-worker: serve's embedded worker + {workers - 1} `openisales worker`",
    )


def run_concurrent(
    args: argparse.Namespace, file_path: Path, work: contextlib.ExitStack, data_dir: Path
) -> ConcurrentRun:
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.servers import free_port

    from openisales.client import ISalesClient

    # One campaign each, so copies of one file are no duplicates of another.
    names = [f"{file_path.stem}-c{n}{file_path.suffix}" for n in range(1, args.concurrent + 1)]
    sftp = serve_files(work, file_path, names)

    service = prepare_service(args, work, data_dir)
    without_worker, count, layout = worker_layout(service, args.workers)
    workers = [WorkerDaemon(service.env, data_dir, n) for n in range(1, count + 1)]
    work.callback(stop_daemons, [service, *workers])
    print("starting openisales serve ...", flush=True)
    service.start(free_port(), *(["--no-worker"] if without_worker else []))
    print(f"starting {count} openisales worker processes ...", flush=True)
    for daemon in workers:
        daemon.start()
    deadline = time.monotonic() + WORKER_START_SECONDS
    for daemon in workers:
        daemon.wait_started(deadline)
    keys = json.loads(service.cli("tenant", "create", "--vdn-id", str(VDN_ID)))

    with ISalesClient(service.url, keys["accessKey"], keys["secretKey"], VDN_ID) as isales:
        added = isales.add_server(
            sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home)
        )
        _ok(added, "addServer")
        tasks = []
        for number, name in enumerate(names, start=1):
            created = isales.create_campaign(
                name=f"import bench {number}",
                deviceType=2,
                strBeginTime="2099-01-01 00:00:00",
                strEndTime="2099-12-31 23:59:59",
            )
            _ok(created, f"create campaign {number}")
            tasks.append(ConcurrentTask(number, created["returnObject"]["id"], name))
        sampler = MemorySampler(
            [(daemon.name, daemon.pid) for daemon in (service, *workers) if daemon.pid]
        )

        print(f"importing {len(tasks)} copies of {file_path.name} at once ({layout}) ...")
        for item in tasks:
            item.submitted_at = time.perf_counter()
            submitted = isales.upload_file_server(
                item.campaign_id, added["serverId"], item.remote_name, file_path="/" + UPLOAD_DIR
            )
            _ok(submitted, f"uploadFileServer {item.number}")
            item.task_id = submitted["importTaskId"]
        began = tasks[0].submitted_at
        submit_seconds = time.perf_counter() - began
        latencies = poll_tasks(isales, tasks, sampler, began)
        sampler.sample()
        root_peaks = sampler.root_peaks()
        for item in tasks:
            if str(item.task["status"]) == "2" and item.task.get("failNum"):
                report = isales.download_failures(item.task_id, "csv")
                reader = csv.DictReader(io.StringIO(report.decode("utf-8-sig")))
                item.failure_rules = Counter(row["rule"] for row in reader)

    stop_daemons([service, *workers])
    daemons: list[Daemon] = [*workers, service]
    logs = {daemon.name: daemon.log_text() for daemon in daemons}
    for item in tasks:
        runs = f"running import task {item.task_id}"
        item.ran_in = ", ".join(name for name, text in logs.items() if runs in text) or "?"
    return ConcurrentRun(
        layout=layout,
        tasks=tasks,
        wall_seconds=max(item.ended_at or began for item in tasks) - began,
        submit_seconds=submit_seconds,
        latencies=latencies,
        root_peaks=root_peaks,
        child_peaks_kib=dict(sampler.child_peaks_kib),
        sampled_total_kib=sampler.sampled_total_kib,
        log_problems=[
            f"{daemon.name}: {line}" for daemon in daemons for line in daemon.log_problems()
        ],
    )


def poll_tasks(
    isales: Any, tasks: Sequence[ConcurrentTask], sampler: MemorySampler, began: float
) -> list[float]:
    """Query every task not ended yet, round after round (~50 ms), until all have ended.

    Returns the latency of every call; the memory of every process is sampled each round.
    """
    latencies: list[float] = []
    pending = list(tasks)
    while pending:
        round_began = time.perf_counter()
        for item in list(pending):
            call_began = time.perf_counter()
            answer = isales.query_import_tasks(item.campaign_id, import_task_ids=[item.task_id])
            now = time.perf_counter()
            latencies.append(now - call_began)
            _ok(answer, "queryDataImportTask")
            item.task = answer["result"][0]
            if str(item.task["status"]) in ("2", "3"):
                item.ended_at = now
                pending.remove(item)
        if pending and time.perf_counter() - began > TASK_TIMEOUT_SECONDS:
            raise SetupError(
                f"{len(pending)} imports did not end in {TASK_TIMEOUT_SECONDS:.0f} s: "
                f"{[item.task for item in pending]}"
            )
        sampler.sample()
        if pending:
            time.sleep(max(0.0, POLL_SECONDS - (time.perf_counter() - round_began)))
    return latencies


def count_problems(item: ConcurrentTask, expected: Expected) -> list[str]:
    """What in a task's counts and failure report differs from the generator's (empty: PASS)."""
    task = item.task
    problems = [f"status {task.get('status')}"] if str(task.get("status")) != "2" else []
    for name, want in expected.counts().items():
        if task.get(name) != want:
            problems.append(f"{name} {task.get(name)} (expected {want})")
    if expected.failNum and str(task.get("status")) == "2":
        got = item.failure_rules or Counter()
        for rule in sorted({*expected.rules, *got}):
            if got.get(rule, 0) != expected.rules.get(rule, 0):
                problems.append(
                    f"report {rule} {got.get(rule, 0)} (expected {expected.rules.get(rule, 0)})"
                )
    return problems


def report_concurrent(run: ConcurrentRun, expected: Expected) -> bool:
    """Print the per-task figures, the totals and the checks; True when every check passed."""
    rows, n = expected.totalNum, len(run.tasks)
    print()
    print(f"== openisales: {n} imports of {rows:,} rows at once ==")
    print(f"processes          {run.layout}")
    print(f"submitted          {n} x uploadFileServer in {run.submit_seconds:.2f} s, back to back")
    passed = True
    for item in run.tasks:
        task = item.task
        created, begun, ended = (
            parse_time(task.get(key, "")) for key in ("createTime", "beginTime", "endTime")
        )
        server = (
            f"queued {(begun - created).total_seconds():.2f} s, ran "
            f"{(ended - begun).total_seconds():.2f} s"
            if created and begun and ended
            else "server times n/a"
        )
        timings: dict[str, float] = task.get("timings") or {}
        names = [*STAGES, *(name for name in timings if name not in STAGES)]
        stages = "  ".join(
            f"{name} {timings[name]:.2f}" if name in timings else f"{name} n/a" for name in names
        )
        print(
            f"task {item.number}  campaign {item.campaign_id}  in {item.ran_in}  status "
            f"{task.get('status')}  end-to-end {item.seconds:.2f} s ({server})  stages (s) {stages}"
        )
    wall_ok = all(str(item.task.get("status")) == "2" for item in run.tasks)
    print(
        f"wall time          {run.wall_seconds:.2f} s from the first submit until the last task "
        f"was seen at {'status 2' if wall_ok else 'its final status (not every one 2)'}"
    )
    print(
        f"aggregate          {n} x {rows:,} rows / {run.wall_seconds:.2f} s = "
        f"{n * rows / run.wall_seconds:,.0f} rows/s"
    )
    print(
        "peak RSS (VmHWM)   "
        + "; ".join(f"{name} {mib(kib)}" for name, kib in run.root_peaks)
        + " (read at the end, before stopping them)"
    )
    for name, _kib in run.root_peaks:
        children = sorted(
            (pid, peak) for pid, (owner, peak) in run.child_peaks_kib.items() if owner == name
        )
        seen = ", ".join(f"pid {pid} {mib(peak)}" for pid, peak in children) or "none seen"
        print(f"  children of {name:8} {seen}")
    print(
        f"  largest sum at one sample  {mib(run.sampled_total_kib)} (RSS of every process above "
        "and of their children, sampled every poll round)"
    )
    lat = sorted(value * 1000 for value in run.latencies)
    print(
        f"queryDataImportTask latency across all polls  n={len(lat)}  "
        f"p50 {percentile(lat, 0.50):.1f} ms  p99 {percentile(lat, 0.99):.1f} ms  "
        f"max {lat[-1]:.1f} ms"
    )

    print()
    print("== counts ==")
    for item in run.tasks:
        problems = count_problems(item, expected)
        passed &= not problems
        task = item.task
        counts = "  ".join(f"{name} {task.get(name)}" for name in expected.counts())
        rules = (
            ""
            if item.failure_rules is None
            else f"  report rules {sum(item.failure_rules.values())}"
        )
        verdict = "PASS" if not problems else "FAIL: " + "; ".join(problems)
        print(f"task {item.number}  {counts}{rules}  {verdict}")
    if run.log_problems:
        print(f"logs: {len(run.log_problems)} error lines, first: {run.log_problems[0][:200]}")
    return passed


# --- main -------------------------------------------------------------------------------------


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


DEFAULT_ROWS = 500_000
DEFAULT_SIZES = (10_000, 100_000, 500_000)
DEFAULT_WORKERS = 2


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(item.replace("_", "")) for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of row counts: {text!r}"
        ) from None
    if not sizes:
        raise argparse.ArgumentTypeError("give at least one row count")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="End-to-end benchmark of an openisales call-data import."
    )
    parser.add_argument("--rows", type=int, help="data rows (default 500000)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument("--keep", action="store_true", help="keep the service's data directory")
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="import each of --sizes in turn, each in a fresh service and database, then print "
        "one table",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        metavar="N,N,...",
        help="row counts of --scaling (default 10000,100000,500000)",
    )
    parser.add_argument(
        "--concurrent",
        type=int,
        metavar="N",
        help="import N copies of the --rows file at once, into N campaigns of one tenant",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="W",
        help=f"openisales worker processes of --concurrent (default {DEFAULT_WORKERS})",
    )
    args = parser.parse_args(argv)
    if args.scaling and args.concurrent is not None:
        parser.error("--scaling and --concurrent are two kinds of run: choose one")
    if args.scaling and args.rows is not None:
        parser.error("--scaling imports the sizes of --sizes; leave out --rows")
    if args.sizes is not None and not args.scaling:
        parser.error("--sizes goes with --scaling")
    if args.workers is not None and args.concurrent is None:
        parser.error("--workers goes with --concurrent")
    args.rows = DEFAULT_ROWS if args.rows is None else args.rows
    args.sizes = list(DEFAULT_SIZES) if args.sizes is None else args.sizes
    args.workers = DEFAULT_WORKERS if args.workers is None else args.workers
    if not 1 <= args.rows <= 500_000:
        parser.error("--rows must be 1 to 500000 (the import's limit)")
    if not all(1 <= rows <= 500_000 for rows in args.sizes):
        parser.error("--sizes must each be 1 to 500000 (the import's limit)")
    if args.concurrent is not None and not 1 <= args.concurrent <= MAX_CONCURRENT:
        parser.error(f"--concurrent must be 1 to {MAX_CONCURRENT} (campaigns of one tenant)")
    if not 1 <= args.workers <= 64:
        parser.error("--workers must be 1 to 64")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("error: run as root: the sftp server creates a system user and runs sshd")
        return 2
    signal.signal(signal.SIGTERM, _raise_interrupt)
    work = contextlib.ExitStack()
    try:
        return _bench(args, work)
    except KeyboardInterrupt:
        print("\ninterrupted; stopping everything that was started", file=sys.stderr)
        return 130
    except SetupError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            work.close()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def prepared_template(rows: int) -> tuple[Path, Expected]:
    """The file of ``rows`` rows from the cache (generated on first use), described."""
    began = time.perf_counter()
    file_path, expected, cached = cached_template(rows)
    made = "cached" if cached else f"generated in {time.perf_counter() - began:.1f} s"
    print(
        f"file {file_path.relative_to(REPO_ROOT)}: {file_path.stat().st_size / MIB:.1f} MiB, "
        f"{made}; {expected.failNum} invalid rows {dict(sorted(expected.rules.items()))}, "
        f"{expected.repeatNum} duplicates, {expected.same_session_other_numbers} reusing a "
        f"sessionId with other numbers, {expected.numbers / expected.totalNum:.2f} numbers a row",
        flush=True,
    )
    return file_path, expected


def _bench(args: argparse.Namespace, work: contextlib.ExitStack) -> int:
    if args.scaling:
        return _bench_scaling(args, work)
    if args.concurrent is not None:
        return _bench_concurrent(args, work)
    print(
        f"openisales import benchmark: {args.rows:,} rows, {args.db}; "
        f"{os.cpu_count()} CPUs, load average {_load()}",
        flush=True,
    )
    file_path, expected = prepared_template(args.rows)
    data_dir = Path(tempfile.mkdtemp(prefix="isales-bench-"))
    if not args.keep:
        work.callback(shutil.rmtree, data_dir, ignore_errors=True)
    run = run_import(args, file_path, work, data_dir)
    passed = report_import(run, expected)
    if not args.no_baseline and str(run.task.get("status")) == "2":
        report_baseline(run_baseline(file_path), expected, run.seconds)
    if args.keep:
        print(f"\nservice data directory kept: {data_dir}")
    print(f"\nresult: {'PASS' if passed else 'FAIL'} (load average now {_load()})", flush=True)
    return 0 if passed else 1


def _bench_scaling(args: argparse.Namespace, work: contextlib.ExitStack) -> int:
    sizes = ", ".join(f"{rows:,}" for rows in args.sizes)
    print(
        f"openisales import benchmark, scaling: {sizes} rows, {args.db}; "
        f"{os.cpu_count()} CPUs, load average {_load()}",
        flush=True,
    )
    steps = run_scaling(args, work)
    report_scaling(steps, args.db)
    passed = all(step.passed for step in steps)
    print(f"\nresult: {'PASS' if passed else 'FAIL'} (load average now {_load()})", flush=True)
    return 0 if passed else 1


def _bench_concurrent(args: argparse.Namespace, work: contextlib.ExitStack) -> int:
    print(
        f"openisales import benchmark, concurrent: {args.concurrent} x {args.rows:,} rows, "
        f"{args.db}, {args.workers} workers; {os.cpu_count()} CPUs, load average {_load()}",
        flush=True,
    )
    file_path, expected = prepared_template(args.rows)
    data_dir = Path(tempfile.mkdtemp(prefix="isales-bench-"))
    if not args.keep:
        work.callback(shutil.rmtree, data_dir, ignore_errors=True)
    run = run_concurrent(args, file_path, work, data_dir)
    passed = report_concurrent(run, expected)
    if not args.no_baseline:
        print("\nnaive baseline: not run with --concurrent (run it with a plain run)")
    if args.keep:
        print(f"\nservice data directory kept: {data_dir} (serve.log, worker-*.log)")
    print(f"\nresult: {'PASS' if passed else 'FAIL'} (load average now {_load()})", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
