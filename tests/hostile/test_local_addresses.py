"""File servers on this host or on special addresses: refused by default, in every spelling.

And a tenant cannot tell a closed port from a filtered one or from a service that is no SSH
server: every failure before an SSH session exists reads the same in ``errMsg``.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest

from openisales.client import ISalesClient
from openisales.networks import LOCAL_SETTING, AddressNotAllowed, ServerNetworks, check_host
from openisales.settings import Settings
from tests.conftest import Api
from tests.imports.conftest import ImportSetup
from tests.support.servers import free_port

#: Each is this host, no host at all, or a group: the default refuses them all.
LOCAL_SPELLINGS = [
    "127.0.0.1",
    "127.0.0.2",
    "127.1",  # the resolver's short form
    "2130706433",  # 127.0.0.1 as one decimal number
    "0x7f.1",
    "0177.0.0.1",
    "localhost",
    "0.0.0.0",
    "0",
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::127.0.0.1",
    "169.254.169.254",  # link-local, where cloud metadata services answer
    "fe80::1",
    "fe80::1%eth0",
    "224.0.0.1",
    "ff02::1",
    "255.255.255.255",
]
ORDINARY = ["10.1.2.3", "192.168.7.7", "8.8.8.8", "2001:db8::5", "::ffff:10.0.0.5"]


def _default() -> ServerNetworks:
    settings = Settings()
    return ServerNetworks(settings.server_networks, settings.allow_local_server_addresses)


def _own_address() -> str:
    """A non-loopback address of this machine (the source of its route to a documentation net)."""
    for family, probe in ((socket.AF_INET, "198.51.100.1"), (socket.AF_INET6, "2001:db8::1")):
        with suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))  # UDP: nothing is sent
            return str(sock.getsockname()[0])
    pytest.skip("this machine has no address but loopback")


@pytest.mark.parametrize("host", LOCAL_SPELLINGS)
def test_the_default_refuses_local_and_special_addresses(host: str) -> None:
    with pytest.raises(AddressNotAllowed, match=LOCAL_SETTING):
        check_host(host, 22, _default())


def test_the_default_refuses_this_hosts_own_address() -> None:
    own = _own_address()
    with pytest.raises(AddressNotAllowed, match="an address of this host"):
        check_host(own, 22, _default())


def test_ordinary_addresses_stay_allowed_by_default() -> None:
    for host in ORDINARY:
        check_host(host, 22, _default())


def test_the_setting_allows_local_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOCAL_SETTING, "true")
    allowing = _default()
    assert allowing.allow_local
    for host in [*LOCAL_SPELLINGS, _own_address()]:
        check_host(host, 22, allowing)


def _add(isales: ISalesClient, ip: str) -> dict[str, object]:
    return isales.add_server("isales", "sftp-password", ip, 22, "/home/sftp")


def test_add_and_update_server_refuse_local_addresses_by_default(
    api: Api, isales: ISalesClient
) -> None:
    api.rt.settings.allow_local_server_addresses = False  # the fixtures allow the test server
    for host in ("127.1", "2130706433", "::ffff:127.0.0.1", "localhost", "0.0.0.0"):
        refused = _add(isales, host)
        assert refused["resultCode"] == "02000007", (host, refused)
        assert "serverInfo.ip" in str(refused["resultDesc"]), refused
        assert LOCAL_SETTING in str(refused["resultDesc"]), refused
    server_id = str(_add(isales, "10.1.2.3")["serverId"])
    moved = isales.update_server(server_id, "isales", "127.1", 22, "/srv", "sftp-password")
    assert moved["resultCode"] == "02000007", moved
    assert [s["ip"] for s in isales.query_servers()["server"]] == ["10.1.2.3"]


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "127.1"])
def test_import_from_a_local_server_fails_by_default_without_connecting(
    setup: ImportSetup, address: str
) -> None:
    connections: list[socket.socket] = []
    with _listener(connections.append) as port:
        _point_at(setup, address, port)  # registered while the fixtures allow local servers
        setup.api.rt.settings.allow_local_server_addresses = False  # the operator's default
        setup.put("calls.csv", b"called\n13800001234\n")
        task_id = setup.submit("calls.csv")
        setup.run_worker()
    result = setup.task(task_id)
    assert result["status"] == "3", result
    assert "address not allowed" in result["errMsg"] and LOCAL_SETTING in result["errMsg"], result
    assert "127.0.0.1 is a loopback address" in result["errMsg"], result
    assert connections == []  # refused before a TCP connection was even opened


# -- one message for every failure before an SSH session ----------------------------------------


def _point_at(setup: ImportSetup, host: str, port: int) -> None:
    answer = setup.isales.update_server(
        setup.server_id, setup.sftp.username, host, port, str(setup.sftp.home), setup.sftp.password
    )
    assert answer["resultCode"] == "0200000", answer


@contextmanager
def _listener(serve: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP port on 127.0.0.1 whose every connection is handed to ``serve``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        held: list[socket.socket] = []

        def accept() -> None:
            with suppress(OSError):
                while True:
                    conn, _ = server.accept()
                    held.append(conn)
                    serve(conn)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield int(server.getsockname()[1])
        finally:
            server.shutdown(socket.SHUT_RDWR)
            for conn in held:
                conn.close()
            thread.join(5)


def _close_at_once(conn: socket.socket) -> None:
    conn.close()  # a service that hangs up on a greeting it does not understand


def _answer_http(conn: socket.socket) -> None:
    with suppress(OSError):
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close()


def _say_nothing(conn: socket.socket) -> None:
    """Keep the connection open and silent (closed when the listener stops)."""


def _first_attempt(setup: ImportSetup, port: int) -> str:
    _point_at(setup, "127.0.0.1", port)
    task_id = setup.submit("calls.csv")
    assert setup.run_worker() == 1
    waiting = setup.task(task_id)
    assert waiting["status"] == "0", waiting  # retried later, like any passing fault
    return str(waiting["errMsg"]).replace(f":{port}", ":PORT")


def test_refused_silent_and_non_ssh_ports_read_the_same(
    setup: ImportSetup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openisales")
    setup.api.rt.settings.sftp_connect_timeout = 0.5
    setup.put("calls.csv", b"called\n13800001234\n")
    messages = {"refused": _first_attempt(setup, free_port())}
    for name, serve in (
        ("closed", _close_at_once),
        ("http", _answer_http),
        ("silent", _say_nothing),
    ):
        with _listener(serve) as port:
            messages[name] = _first_attempt(setup, port)
    assert len(set(messages.values())) == 1, messages
    told = messages["refused"]
    assert "unreachable: no SSH session could be established with" in told, told
    for revealing in ("refused", "closed the connection during login", "within", "lost"):
        assert revealing not in told.replace("refused or closed the connection", ""), told
    # The operator's log keeps what really happened.
    logged = " ".join(r.getMessage() for r in caplog.records if "fetch failed" in r.getMessage())
    assert "Connection refused" in logged, logged
    assert "within 0.5 s" in logged, logged
    assert "before the SSH session was established" in logged, logged


def test_a_wrong_password_on_a_real_ssh_server_stays_distinct(setup: ImportSetup) -> None:
    answer = setup.isales.update_server(
        setup.server_id,
        setup.sftp.username,
        setup.sftp.host,
        setup.sftp.port,
        str(setup.sftp.home),
        "Wrong-Secret-123",
    )
    assert answer["resultCode"] == "0200000", answer
    setup.put("calls.csv", b"called\n13800001234\n")
    task_id = setup.submit("calls.csv")
    setup.run_worker()
    result = setup.task(task_id)
    assert result["status"] == "3", result
    assert result["errMsg"].startswith("auth failed:"), result
