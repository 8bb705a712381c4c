"""``serve`` over HTTPS, and its refusal of plain HTTP off loopback."""

from __future__ import annotations

import json
import os
import socket
import ssl
import warnings
from pathlib import Path

import httpx
import pytest

from openisales.client import ISalesClient
from openisales.transport import is_loopback
from tests.transport.conftest import (
    Service,
    Tls,
    answers,
    assert_one_line_error,
    free_port,
    listening,
    make_key_pair,
)


def test_signed_calls_over_https(service: Service, tls: Tls) -> None:
    keys = json.loads(service.run("tenant", "create", "--vdn-id", "12").stdout)
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    args = ("--port", str(port), "--tls-cert", str(tls.cert), "--tls-key", str(tls.key))
    with service.serve(*args, ready=answers(url, tls.client_context())):
        with ISalesClient(
            url, keys["accessKey"], keys["secretKey"], 12, verify=str(tls.cert)
        ) as client:
            added = client.add_server("isales", "password-123", "10.0.0.5", 22, "/home/sftp")
            assert added["resultCode"] == "0200000", added
            assert [row["serverId"] for row in client.query_servers()["server"]] == [
                added["serverId"]
            ]

        # Plain HTTP to the TLS port gets no answer.
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)

        # A client that does not trust the certificate refuses it.
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/healthz", timeout=5)

        # TLS 1.2 at least: 1.2 and 1.3 are served, 1.1 is not.
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            context = tls.client_context()
            context.minimum_version = context.maximum_version = version
            with (
                socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname="127.0.0.1") as wrapped,
            ):
                assert wrapped.version() == version.name.replace("v1_", "v1.")
        old = tls.client_context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            old.maximum_version = ssl.TLSVersion.TLSv1_1
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            pytest.raises(ssl.SSLError),
        ):
            old.wrap_socket(raw, server_hostname="127.0.0.1")


def test_tls_from_settings(service: Service, tls: Tls) -> None:
    service.extra_env.update(OPENISALES_TLS_CERT=str(tls.cert), OPENISALES_TLS_KEY=str(tls.key))
    port = free_port()
    url = f"https://localhost:{port}"
    with service.serve("--port", str(port), ready=answers(url, tls.client_context())):
        assert httpx.get(f"{url}/readyz", verify=tls.client_context()).status_code == 200


def test_plain_http_off_loopback_is_refused(service: Service) -> None:
    port = free_port()
    result = service.run("serve", "--host", "0.0.0.0", "--port", str(port), timeout=30)
    assert_one_line_error(result, "0.0.0.0", "--tls-cert", "--insecure-http")
    assert not listening(port)
    assert not service.data_dir.exists()  # refused before touching anything


def test_insecure_http_allows_plain_http_off_loopback(service: Service) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with service.serve(
        "--host", "0.0.0.0", "--port", str(port), "--insecure-http", ready=answers(url)
    ):
        assert httpx.get(f"{url}/healthz").json()["resultCode"] == "0200000"


def test_insecure_http_from_settings(service: Service) -> None:
    service.extra_env.update(OPENISALES_INSECURE_HTTP="true", OPENISALES_HOST="0.0.0.0")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with service.serve("--port", str(port), ready=answers(url)):
        assert httpx.get(f"{url}/healthz").status_code == 200


def _bad_tls_cases(tmp_path: Path, tls: Tls) -> dict[str, tuple[list[str], tuple[str, ...]]]:
    other_cert, other_key = make_key_pair(tmp_path / "other", "other")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key\n")
    unreadable = tmp_path / "unreadable.key"
    unreadable.write_bytes(tls.key.read_bytes())
    unreadable.chmod(0)
    cert, key = str(tls.cert), str(tls.key)
    return {
        "junk key": (["--tls-cert", cert, "--tls-key", str(junk)], ("junk.pem", "private key")),
        "missing key": (
            ["--tls-cert", cert, "--tls-key", str(tmp_path / "nope.key")],
            ("nope.key", "cannot read"),
        ),
        "mismatched key": (
            ["--tls-cert", cert, "--tls-key", str(other_key)],
            ("other.key", "does not match"),
        ),
        "key as certificate": (
            ["--tls-cert", key, "--tls-key", key],
            ("certificate",),
        ),
        "certificate alone": (["--tls-cert", str(other_cert)], ("--tls-key",)),
        "key alone": (["--tls-key", key], ("--tls-cert",)),
        "unreadable key": (
            ["--tls-cert", cert, "--tls-key", str(unreadable)],
            ("unreadable.key",),
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "junk key",
        "missing key",
        "mismatched key",
        "key as certificate",
        "certificate alone",
        "key alone",
        "unreadable key",
    ],
)
def test_bad_tls_files_fail_before_listening(
    service: Service, tls: Tls, tmp_path: Path, case: str
) -> None:
    args, needles = _bad_tls_cases(tmp_path, tls)[case]
    if case == "unreadable key" and _root():
        pytest.skip("root reads any file")
    port = free_port()
    result = service.run("serve", "--port", str(port), *args, timeout=30)
    assert_one_line_error(result, *needles)
    assert not listening(port)


def _root() -> bool:
    return os.geteuid() == 0


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("", False),
        ("example.com", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
