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

Run from the repository root, as root (the sftp server creates a system user and runs sshd):

    .venv/bin/python bench/import_bench.py [--rows N] [--db sqlite|postgres] [--no-baseline] [--keep]

Exit status: 0 when every count matches, 1 on a mismatch or a failed task, 2 when the set-up
could not be done.
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


class Service:
    """``openisales serve`` in a subprocess of its own session, with its log in the data dir."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.env = env
        self.data_dir = data_dir
        self.log_path = data_dir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
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

    def start(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*OPENISALES, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=self.env,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(f"openisales serve exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise SetupError(f"openisales serve did not answer /healthz in 60 s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

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

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        leftovers = descendants(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        leftovers |= descendants(process.pid)
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


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


def run_import(
    args: argparse.Namespace, file_path: Path, work: contextlib.ExitStack, data_dir: Path
) -> ImportRun:
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.servers import PostgresServer, SftpServer, free_port

    from openisales.client import ISalesClient

    print("starting the sftp server ...", flush=True)
    sftp = SftpServer()
    work.callback(sftp.close)
    sftp.start()
    remote_name = file_path.name
    target = sftp.mkdir(UPLOAD_DIR) / remote_name
    shutil.copyfile(file_path, target)
    os.chown(target, sftp.uid, sftp.gid)

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


# --- main -------------------------------------------------------------------------------------


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="End-to-end benchmark of an openisales call-data import."
    )
    parser.add_argument("--rows", type=int, default=500_000, help="data rows (default 500000)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument("--keep", action="store_true", help="keep the service's data directory")
    args = parser.parse_args(argv)
    if not 1 <= args.rows <= 500_000:
        parser.error("--rows must be 1 to 500000 (the import's limit)")
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


def _bench(args: argparse.Namespace, work: contextlib.ExitStack) -> int:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"openisales import benchmark: {args.rows:,} rows, {args.db}; "
        f"{os.cpu_count()} CPUs, load average {load}",
        flush=True,
    )
    began = time.perf_counter()
    file_path, expected, cached = cached_template(args.rows)
    made = "cached" if cached else f"generated in {time.perf_counter() - began:.1f} s"
    print(
        f"file {file_path.relative_to(REPO_ROOT)}: {file_path.stat().st_size / MIB:.1f} MiB, "
        f"{made}; {expected.failNum} invalid rows {dict(sorted(expected.rules.items()))}, "
        f"{expected.repeatNum} duplicates, {expected.same_session_other_numbers} reusing a "
        f"sessionId with other numbers, {expected.numbers / expected.totalNum:.2f} numbers a row",
        flush=True,
    )
    data_dir = Path(tempfile.mkdtemp(prefix="isales-bench-"))
    if not args.keep:
        work.callback(shutil.rmtree, data_dir, ignore_errors=True)
    run = run_import(args, file_path, work, data_dir)
    passed = report_import(run, expected)
    if not args.no_baseline and str(run.task.get("status")) == "2":
        report_baseline(run_baseline(file_path), expected, run.seconds)
    if args.keep:
        print(f"\nservice data directory kept: {data_dir}")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nresult: {'PASS' if passed else 'FAIL'} (load average now {load})", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
