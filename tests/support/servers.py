"""Real servers on loopback for the test suite: an OpenSSH sftp server and a PostgreSQL cluster.

Both run as throwaway processes with their files in a temporary directory and stop (and remove
that directory) in ``close()``. They need the system packages installed by
``scripts/install-test-deps.sh``; the sftp server also needs root (it creates a system user and
runs sshd, which needs root for privilege separation).

Several test runs may share a machine: each ``SftpServer`` takes an exclusive lock on a numbered
slot and uses that slot's system user (``isales-sftp``, ``isales-sftp1``, ...), so two runs never
share a home directory or kill each other's sessions. PostgreSQL clusters are independent anyway.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

SSHD = Path("/usr/sbin/sshd")
SSH_KEYGEN = Path("/usr/bin/ssh-keygen")
INSTALL_HINT = "run scripts/install-test-deps.sh (as root) to install them"

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """preexec_fn: have the kernel send SIGTERM to the child when the test process dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _run(cmd: list[str], *, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        cmd, input=input_text, capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"command failed ({result.returncode}): {' '.join(cmd)}\n"
            f"{result.stdout}{result.stderr}".rstrip()
        )
    return result


def _proc_ids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _proc_parent_and_uid(pid: int) -> tuple[int, int] | None:
    """(parent pid, real uid) of a process, or None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    ppid = re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE)
    uid = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
    if ppid is None or uid is None:
        return None
    return int(ppid.group(1)), int(uid.group(1))


def _descendants(root_pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid in _proc_ids():
        info = _proc_parent_and_uid(pid)
        if info is not None:
            children.setdefault(info[0], []).append(pid)
    found: set[int] = set()
    stack = [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _pids_of_uid(uid: int) -> set[int]:
    pids = set()
    for pid in _proc_ids():
        info = _proc_parent_and_uid(pid)
        if info is not None and info[1] == uid:
            pids.add(pid)
    return pids


def _signal_all(pids: set[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pids: set[int], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    remaining = set(pids)
    while remaining and time.monotonic() < deadline:
        remaining = {pid for pid in remaining if Path(f"/proc/{pid}").exists() and _alive(pid)}
        if remaining:
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    """True unless the process is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


class SftpServer:
    """An OpenSSH sshd on 127.0.0.1 serving only sftp (internal-sftp) for one system user.

    The user's home directory (``home``) is the file server's default path. Call ``start()``
    first; ``close()`` stops everything and removes the temporary directory.
    """

    USER_PREFIX = "isales-sftp"
    MAX_SLOTS = 16

    def __init__(self) -> None:
        if os.geteuid() != 0:
            raise RuntimeError("SftpServer needs root (it creates a system user and runs sshd)")
        missing = self.missing_requirements()
        if missing:
            raise RuntimeError(f"missing {', '.join(missing)}: {INSTALL_HINT}")
        self._lock_file: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.username = self._claim_slot()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.password = secrets.token_urlsafe(18)
        self._tmp = Path(tempfile.mkdtemp(prefix="isales-sshd-"))
        self._config = self._tmp / "sshd_config"
        self._host_key = self._tmp / "host_ed25519"
        self.log_path = self._tmp / "sshd.log"
        self.host_key_public = ""
        try:
            self._ensure_user()
            entry = pwd.getpwnam(self.username)
            self.uid: int = entry.pw_uid
            self.gid: int = entry.pw_gid
            self.home = Path(entry.pw_dir)
            self.regenerate_host_key()
            self._write_config()
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._release_slot()
            raise
        atexit.register(self.close)

    @staticmethod
    def missing_requirements() -> list[str]:
        return [str(path) for path in (SSHD, SSH_KEYGEN) if not path.exists()]

    # -- setup -----------------------------------------------------------------------------

    def _claim_slot(self) -> str:
        """Lock a slot so parallel test runs on one machine each get their own user."""
        lock_dir = Path(tempfile.gettempdir())
        for slot in range(self.MAX_SLOTS):
            path = lock_dir / f"openisales-sftp-slot-{slot}.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            lock_file = os.fdopen(fd, "r+b")
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock_file.close()
                continue
            self._lock_file = lock_file
            return self.USER_PREFIX if slot == 0 else f"{self.USER_PREFIX}{slot}"
        raise RuntimeError(f"all {self.MAX_SLOTS} sftp test server slots are in use")

    def _ensure_user(self) -> None:
        try:
            pwd.getpwnam(self.username)
        except KeyError:
            _run(
                [
                    "useradd",
                    "--system",
                    "--create-home",
                    "--home-dir",
                    f"/home/{self.username}",
                    "--shell",
                    "/usr/sbin/nologin",
                    "--user-group",
                    self.username,
                ]
            )
        _run(["chpasswd"], input_text=f"{self.username}:{self.password}\n")

    def regenerate_host_key(self) -> str:
        """Make a new ed25519 host key; a running server is restarted to present it."""
        for path in (self._host_key, self._host_key.with_suffix(".pub")):
            path.unlink(missing_ok=True)
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(self._host_key)])
        algorithm, blob = self._host_key.with_suffix(".pub").read_text().split()[:2]
        self.host_key_public = f"{algorithm} {blob}"
        if self.running:
            self.restart()
        return self.host_key_public

    def _write_config(self) -> None:
        options = [
            f"Port {self.port}",
            f"ListenAddress {self.host}",
            f"HostKey {self._host_key}",
            f"PidFile {self._tmp / 'sshd.pid'}",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication no",
            "AuthorizedKeysFile none",
            "UsePAM no",
            "PermitRootLogin no",
            f"AllowUsers {self.username}",
            "Subsystem sftp internal-sftp",
            "ForceCommand internal-sftp",
            "AllowTcpForwarding no",
            "X11Forwarding no",
            "MaxStartups 100",
            "LogLevel VERBOSE",
            # OpenSSH >= 9.8 penalises sources with failed logins or killed sessions; the tests
            # do both on purpose. Dropped below for versions that do not know the option.
            "PerSourcePenalties no",
        ]
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd -t insists on it too
        self._config.write_text("\n".join(options) + "\n")
        check = subprocess.run(
            [str(SSHD), "-t", "-f", str(self._config)], capture_output=True, text=True, check=False
        )
        if check.returncode != 0 and "PerSourcePenalties" in check.stderr:
            options.remove("PerSourcePenalties no")
            self._config.write_text("\n".join(options) + "\n")
            check = subprocess.run(
                [str(SSHD), "-t", "-f", str(self._config)],
                capture_output=True,
                text=True,
                check=False,
            )
        if check.returncode != 0:
            raise RuntimeError(f"sshd rejects the test config: {check.stderr.strip()}")

    # -- process control -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        for _attempt in range(3):
            with self.log_path.open("ab") as log:
                log.write(f"--- starting sshd on port {self.port}\n".encode())
            self._process = subprocess.Popen(
                [str(SSHD), "-D", "-f", str(self._config), "-E", str(self.log_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    break
                if _port_accepts(self.host, self.port):
                    return
                time.sleep(0.02)
            log_text = self.log_path.read_text(errors="replace")
            self._kill_listener()
            if "Address already in use" in log_text:
                self.port = free_port()  # someone took the port: try another one
                self._write_config()
                continue
            raise RuntimeError(f"sshd did not start; its log:\n{log_text[-4000:]}")
        raise RuntimeError("sshd did not find a free port")

    def kill_sessions(self) -> None:
        """Kill every per-connection sshd process and sftp session; the listener stays up.

        Clients in the middle of a transfer see the connection drop.
        """
        pids: set[int] = _pids_of_uid(self.uid)
        if self._process is not None:
            pids |= _descendants(self._process.pid)
        _signal_all(pids, signal.SIGKILL)
        _wait_gone(pids)

    def session_pids(self) -> set[int]:
        """Live processes running as the sftp user (one per open sftp session)."""
        return {pid for pid in _pids_of_uid(self.uid) if _alive(pid)}

    def pause_sessions(self) -> None:
        """SIGSTOP the sftp sessions: clients stop getting answers but keep the connection."""
        _signal_all(_pids_of_uid(self.uid), signal.SIGSTOP)

    def resume_sessions(self) -> None:
        _signal_all(_pids_of_uid(self.uid), signal.SIGCONT)

    def _kill_listener(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._process = None

    def stop(self) -> None:
        """Stop the server the hard way: the listener and every live session go at once."""
        self.kill_sessions()
        self._kill_listener()
        self.kill_sessions()  # anything forked in between

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server, remove its temporary directory and release the slot."""
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.clear()
        self._release_slot()
        atexit.unregister(self.close)

    def _release_slot(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- files -----------------------------------------------------------------------------

    def path(self, relative_path: str) -> Path:
        """Absolute local path of a file under the home directory (no escaping it)."""
        path = (self.home / relative_path.lstrip("/")).resolve(strict=False)
        if path != self.home and self.home not in path.parents:
            raise ValueError(f"{relative_path!r} is outside {self.home}")
        return self.home / relative_path.lstrip("/")

    def mkdir(self, relative_path: str) -> Path:
        """Create a directory (and its parents) under the home, owned by the sftp user."""
        target = self.path(relative_path)
        missing = [p for p in [target, *target.parents] if not p.exists()]
        target.mkdir(parents=True, exist_ok=True)
        for directory in missing:
            os.chown(directory, self.uid, self.gid)
        return target

    def put_file(self, relative_path: str, data: bytes) -> Path:
        """Write a file under the home directory, owned by the sftp user; returns its path."""
        target = self.path(relative_path)
        self.mkdir(str(target.parent.relative_to(self.home)))
        target.write_bytes(data)
        os.chown(target, self.uid, self.gid)
        target.chmod(0o644)
        return target

    def clear(self) -> None:
        """Empty the home directory (files, directories, symlinks, dotfiles)."""
        self.home.mkdir(mode=0o755, exist_ok=True)
        os.chown(self.home, self.uid, self.gid)
        self.home.chmod(0o755)
        for entry in self.home.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (trust auth, fsync off).

    ``start()`` runs initdb on first use; ``close()`` stops the server and removes the cluster.
    As root, initdb and pg_ctl run as the ``postgres`` user (initdb refuses to run as root).
    """

    def __init__(self) -> None:
        bin_dir = self.find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(f"PostgreSQL server binaries (initdb) not found: {INSTALL_HINT}")
        self.bin_dir = bin_dir
        self.host = "127.0.0.1"
        self.port = free_port()
        self.user = "postgres"
        self._as_root = os.geteuid() == 0
        self._tmp = Path(tempfile.mkdtemp(prefix="isales-pg-"))
        if self._as_root:
            entry = pwd.getpwnam("postgres")
            os.chown(self._tmp, entry.pw_uid, entry.pw_gid)
        self.data_dir = self._tmp / "data"
        self.log_path = self._tmp / "postgres.log"
        self._initialised = False
        self._running = False
        atexit.register(self.close)

    @staticmethod
    def find_bin_dir() -> Path | None:
        """The bin directory of the newest PostgreSQL under /usr/lib/postgresql."""
        found = glob.glob("/usr/lib/postgresql/*/bin/initdb")

        def version(path: str) -> tuple[int, ...]:
            name = Path(path).parent.parent.name
            return tuple(int(part) for part in re.findall(r"\d+", name))

        if not found:
            return None
        return Path(max(found, key=version)).parent

    def _cmd(self, *args: str) -> list[str]:
        if not self._as_root:
            return list(args)
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", "postgres", "--", *args]
        return ["su", "-s", "/bin/sh", "postgres", "-c", " ".join(map(_shell_quote, args))]

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self._running:
            return
        if not self._initialised:
            _run(
                self._cmd(
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-A",
                    "trust",
                    "-U",
                    self.user,
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                )
            )
            self._initialised = True
        last_error: RuntimeError | None = None
        for _attempt in range(3):
            options = (
                f"-p {self.port} -k {self._tmp} -c listen_addresses={self.host} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                _run(
                    self._cmd(
                        str(self.bin_dir / "pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-l",
                        str(self.log_path),
                        "-o",
                        options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    )
                )
            except RuntimeError as exc:
                last_error = exc
                log_text = (
                    self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
                )
                if "could not bind" in log_text or "already in use" in log_text:
                    self.port = free_port()
                    continue
                raise RuntimeError(f"{exc}\npostgres log:\n{log_text[-4000:]}") from None
            self._running = True
            return
        raise RuntimeError(f"PostgreSQL did not find a free port: {last_error}")

    def stop(self) -> None:
        if not self._running:
            return
        try:
            _run(
                self._cmd(
                    str(self.bin_dir / "pg_ctl"),
                    *("-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop"),
                )
            )
        except RuntimeError:
            self._kill_postmaster()
        self._running = False

    def _kill_postmaster(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, signal.SIGQUIT)
            _wait_gone({pid})

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and remove the cluster directory."""
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._initialised = False
        atexit.unregister(self.close)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- databases -------------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def _admin(self, statement: str, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(name)))

    def create_database(self, name: str) -> str:
        """Create a database; returns its SQLAlchemy URL."""
        self._admin("CREATE DATABASE {}", name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists, disconnecting its sessions."""
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def _shell_quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
