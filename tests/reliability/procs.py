"""Service processes for the reliability tests: ``openisales`` CLI subprocesses on one database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.servers import _port_accepts, free_port


@dataclass
class Deployment:
    """The environment every process of one deployment shares: database, data dir, settings."""

    database_url: str
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None  # default: the data directory
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "OPENISALES_DATABASE_URL": self.database_url,
            "OPENISALES_DATA_DIR": str(self.data_dir),
            "OPENISALES_WORKER_POLL_SECONDS": "0.2",
            "OPENISALES_ALLOW_LOCAL_SERVER_ADDRESSES": "true",  # the sftp test server: 127.0.0.1
            **self.extra_env,
            **extra,
        }

    def cli(self, *args: str) -> str:
        """Run an ``openisales`` command to its end; returns its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "openisales.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"openisales {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout

    def create_tenant(self, vdn_id: int, time_zone: str = "UTC") -> dict[str, Any]:
        keys: dict[str, Any] = json.loads(
            self.cli("tenant", "create", "--vdn-id", str(vdn_id), "--time-zone", time_zone)
        )
        return keys

    def _spawn(self, name: str, args: list[str], **extra: str) -> subprocess.Popen[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir or self.data_dir) / f"{name}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "openisales.cli", *args],
                env=self.env(**extra),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def worker(self, **extra: str) -> subprocess.Popen[bytes]:
        return self._spawn("worker", ["worker"], **extra)

    def serve(self, *options: str, **extra: str) -> tuple[subprocess.Popen[bytes], int]:
        """Start ``openisales serve`` on a free port; returns the process once it listens."""
        port = free_port()
        process = self._spawn("serve", ["serve", "--port", str(port), *options], **extra)
        wait_for(lambda: _port_accepts("127.0.0.1", port) or process.poll() is not None, 60)
        assert process.poll() is None, f"serve exited: {self.log_tail()}"
        return process, port

    def log_tail(self, chars: int = 3000) -> str:
        text = "".join(f"--- {log.name}\n{log.read_text(errors='replace')}" for log in self.logs)
        return text[-chars:]

    def stop(self, process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def close(self) -> None:
        for process in self.processes:
            self.stop(process)


def wait_for(predicate: Callable[[], object], timeout: float, what: str = "") -> None:
    """Poll ``predicate`` every 0.1 s until it is true; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
