"""File-server addresses outside the operator's allowed networks: refused at add, update, connect."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from openisales.client import ISalesClient
from openisales.networks import AddressNotAllowed, ServerNetworks, check_host
from openisales.settings import Settings
from tests.conftest import Api
from tests.imports.conftest import ImportSetup
from tests.support.spreadsheets import write_csv

SETTING = "OPENISALES_ALLOWED_SERVER_NETWORKS"
PRIVATE_TEN = "10.0.0.0/8"


def _restrict(api: Api, networks: str = PRIVATE_TEN) -> None:
    api.rt.settings.allowed_server_networks = networks


def _add(isales: ISalesClient, ip: str) -> dict[str, object]:
    return isales.add_server("isales", "sftp-password", ip, 22, "/home/sftp")


def test_by_default_the_ranges_allow_every_address() -> None:
    networks = ServerNetworks(Settings().server_networks, allow_local=True)
    for address in ("127.0.0.1", "10.1.2.3", "8.8.8.8", "::1", "fe80::1%eth0"):
        assert networks.allows(address)


def test_a_setting_that_is_not_a_network_list_is_refused() -> None:
    for text in ("10.0.0.0/33", "ten", " , "):
        with pytest.raises(ValueError):
            Settings(allowed_server_networks=text)


def test_check_host_literal_mapped_and_names() -> None:
    # Local addresses allowed: only the ranges decide here (test_local_addresses has the rest).
    networks = ServerNetworks((ip_network(PRIVATE_TEN), ip_network("fd00::/8")), allow_local=True)
    check_host("10.9.8.7", 22, networks)
    check_host("::ffff:10.0.0.5", 22, networks)  # an IPv4-mapped address is its IPv4 address
    check_host("fd12::5", 22, networks)
    for host in ("127.0.0.1", "::ffff:127.0.0.1", "11.0.0.1", "::1"):
        with pytest.raises(AddressNotAllowed, match=SETTING):
            check_host(host, 22, networks)
    with pytest.raises(AddressNotAllowed, match=r"'localhost' resolves to .*127\.0\.0\.1"):
        check_host("localhost", 22, networks)
    with pytest.raises(AddressNotAllowed, match="cannot be resolved"):
        check_host("no-such-host.invalid", 22, networks)


def test_add_server_outside_the_networks_is_a_parameter_error(
    api: Api, isales: ISalesClient
) -> None:
    _restrict(api)
    refused = _add(isales, "127.0.0.1")
    assert refused["resultCode"] == "02000007", refused
    assert "127.0.0.1" in str(refused["resultDesc"]) and SETTING in str(refused["resultDesc"])
    named = _add(isales, "localhost")  # a name: every address it resolves to must be allowed
    assert named["resultCode"] == "02000007", named
    assert _add(isales, "10.1.2.3")["resultCode"] == "0200000"
    servers = isales.query_servers()
    assert [s["ip"] for s in servers["server"]] == ["10.1.2.3"], servers


def test_update_server_to_an_address_outside_is_refused(api: Api, isales: ISalesClient) -> None:
    _restrict(api, "10.0.0.0/8,192.168.0.0/16")
    added = _add(isales, "10.1.2.3")
    server_id = str(added["serverId"])
    moved = isales.update_server(server_id, "isales", "127.0.0.1", 22, "/srv", "sftp-password")
    assert moved["resultCode"] == "02000007", moved
    assert "127.0.0.1" in moved["resultDesc"], moved
    inside = isales.update_server(server_id, "isales", "192.168.7.7", 22, "/srv", "sftp-password")
    assert inside["resultCode"] == "0200000", inside
    assert isales.query_servers()["server"][0]["ip"] == "192.168.7.7"


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost"])
def test_import_from_a_server_now_outside_fails_without_fetching(
    setup: ImportSetup, address: str
) -> None:
    if address != setup.sftp.host:  # re-point the server at a name resolving to the same host
        answer = setup.isales.update_server(
            setup.server_id,
            setup.sftp.username,
            address,
            setup.sftp.port,
            str(setup.sftp.home),
            setup.sftp.password,
        )
        assert answer["resultCode"] == "0200000", answer
    _restrict(setup.api)  # the operator narrows the ranges after the server was added
    path = write_csv(setup.sftp.home / "unused.csv", ["called"], [["13800001234"]])
    setup.put("calls.csv", path.read_bytes())
    task_id = setup.submit("calls.csv")
    setup.run_worker()
    result = setup.task(task_id)
    assert result["status"] == "3", result
    message = result["errMsg"]
    assert "127.0.0.1" in message and SETTING in message and PRIVATE_TEN in message, message
    assert "address not allowed" in message, message
    assert (result["succNum"], result["failNum"]) == (0, 0), result


def test_import_inside_the_networks_still_works(setup: ImportSetup) -> None:
    _restrict(setup.api, "127.0.0.0/8")
    path = write_csv(setup.sftp.home / "unused.csv", ["called"], [["13800001234"]])
    result = setup.import_file("calls.csv", path.read_bytes())
    assert (result["status"], result["succNum"]) == ("2", 1), result
