"""A real ``openisales serve`` subprocess on a fresh SQLite data directory, and TLS material."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.certificates import make_key_pair

__all__ = ["make_key_pair"]  # test_tls.py takes it from here

SCRIPT = Path(sys.executable).with_name("openisales")
START_DEADLINE = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Tls:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    cert, key = make_key_pair(tmp_path / "tls")
    return Tls(cert, key)


@dataclass
class Service:
    """The console script bound to one fresh data directory."""

    data_dir: Path
    extra_env: dict[str, str]

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("OPENISALES_")}
        env["OPENISALES_DATA_DIR"] = str(self.data_dir)
        env.update(self.extra_env)
        return env

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args],
            env=self.env,
            cwd=self.data_dir.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    @contextmanager
    def serve(self, *args: str, ready: Callable[[], bool]) -> Iterator[subprocess.Popen[str]]:
        """Start ``serve`` and wait until ``ready()``; stop it on exit."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir.parent / "serve.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [str(SCRIPT), "serve", *args],
                env=self.env,
                cwd=self.data_dir.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                deadline = time.monotonic() + START_DEADLINE
                while not ready():
                    assert process.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline, "serve did not become ready"
                    time.sleep(0.1)
                yield process
            finally:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait(timeout=10)
        assert "Traceback" not in log_path.read_text(), log_path.read_text()


@pytest.fixture
def service(tmp_path: Path) -> Service:
    return Service(tmp_path / "data", {})


def answers(url: str, verify: ssl.SSLContext | bool = True) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1, verify=verify).status_code == 200
        except httpx.TransportError:
            return False

    return ready


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]
