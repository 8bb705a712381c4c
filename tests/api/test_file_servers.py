"""File-server interfaces (cec_07_0792-0795): addServer, queryServer, updateServer, deleteServer."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from openisales.client import ISalesClient
from openisales.storage import file_servers as server_rows
from openisales.storage.db import make_engine
from tests.conftest import Api, Clock

PASSWORD = "Secret-Pass-4711"
SUCCESS = "0200000"
ENVELOPE_KEYS = {"resultCode", "resultDesc", "returnCode", "returnDesc"}


def add_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "userName": "isales",
        "serverPwd": PASSWORD,
        "serverInfo": {"ip": "10.21.124.175", "port": 22, "filePath": "/home/sftp"},
    }
    body.update(overrides)
    return body


def add(isales: ISalesClient, **overrides: Any) -> dict[str, Any]:
    return isales.call("POST", "/file/addServer", json=add_body(**overrides))


def assert_code(envelope: dict[str, Any], code: str) -> None:
    assert envelope["resultCode"] == envelope["returnCode"] == code, envelope
    assert envelope["resultDesc"] == envelope["returnDesc"]
    if code != SUCCESS:
        assert set(envelope) == ENVELOPE_KEYS, envelope
        assert envelope["resultDesc"].strip()


def add_ok(isales: ISalesClient, **overrides: Any) -> str:
    envelope = add(isales, **overrides)
    assert_code(envelope, SUCCESS)
    server_id = envelope["serverId"]
    assert isinstance(server_id, str)
    return server_id


# -- addServer ---------------------------------------------------------------------------------


def test_add_returns_a_30_digit_server_id(isales: ISalesClient) -> None:
    first = add_ok(isales)
    second = add_ok(isales, userName="other")
    for server_id in (first, second):
        assert len(server_id) == 30 and server_id.isdigit()
    assert first != second


def test_add_accepts_port_as_a_digit_string(isales: ISalesClient) -> None:
    server_id = add_ok(
        isales, serverInfo={"ip": "sftp.example.com", "port": "2222", "filePath": "/data"}
    )
    row = isales.query_servers()["server"][0]
    assert row == {
        "serverId": server_id,
        "ip": "sftp.example.com",
        "port": "2222",
        "filePath": "/data",
        "userName": "isales",
        "requireDoneMarker": False,
    }


@pytest.mark.parametrize("password", ["1234567", "x" * 81, "a"])
def test_password_length_outside_8_to_80(isales: ISalesClient, password: str) -> None:
    envelope = add(isales, serverPwd=password)
    assert_code(envelope, "02000005")
    assert "8" in envelope["resultDesc"] and "80" in envelope["resultDesc"]
    if len(password) > 3:
        assert password not in envelope["resultDesc"]


@pytest.mark.parametrize("password", ["12345678", "x" * 80, " spaces inside and around "])
def test_password_length_at_the_bounds(isales: ISalesClient, password: str) -> None:
    add_ok(isales, serverPwd=password)


@pytest.mark.parametrize("bad", ["/", ".", "@", "¥", "~", "!", "#", "$", "<", "\\", "'", '"', "…"])
def test_user_name_with_forbidden_character(isales: ISalesClient, bad: str) -> None:
    envelope = add(isales, userName=f"is{bad}ales")
    assert_code(envelope, "02000002")
    assert "userName" in envelope["resultDesc"]


def test_user_name_of_30_characters_is_accepted(isales: ISalesClient) -> None:
    add_ok(isales, userName="u" * 30)


def test_user_name_of_31_characters_is_too_long(isales: ISalesClient) -> None:
    envelope = add(isales, userName="u" * 31)
    assert_code(envelope, "02000003")
    assert "userName" in envelope["resultDesc"]


def test_empty_user_name(isales: ISalesClient) -> None:
    assert_code(add(isales, userName=""), "02000001")


@pytest.mark.parametrize("field", ["serverPwd", "userName", "serverInfo"])
def test_missing_required_field(isales: ISalesClient, field: str) -> None:
    body = add_body()
    del body[field]
    envelope = isales.call("POST", "/file/addServer", json=body)
    assert_code(envelope, "02000001")
    assert field in envelope["resultDesc"]


@pytest.mark.parametrize("field", ["ip", "port", "filePath"])
def test_missing_server_info_field(isales: ISalesClient, field: str) -> None:
    info = {"ip": "10.0.0.1", "port": 22, "filePath": "/home/sftp"}
    del info[field]
    envelope = add(isales, serverInfo=info)
    assert_code(envelope, "02000001")
    assert f"serverInfo.{field}" in envelope["resultDesc"]


@pytest.mark.parametrize("field", ["serverPwd", "userName", "serverInfo"])
def test_null_required_field_is_empty(isales: ISalesClient, field: str) -> None:
    envelope = add(isales, **{field: None})
    assert_code(envelope, "02000001")
    assert envelope["resultDesc"] == f"{field}: is required"


def test_null_port_is_empty(isales: ISalesClient) -> None:
    envelope = add(isales, serverInfo={"ip": "10.0.0.1", "port": None, "filePath": "/x"})
    assert_code(envelope, "02000001")


def test_unknown_extra_field_is_ignored(isales: ISalesClient) -> None:
    # A newer edition's field is not refused (it was 02000011); docs/api.md "Unknown fields".
    assert_code(add(isales, serverType="ftp"), SUCCESS)
    assert "serverType" not in _only_server(isales)


def test_unknown_extra_field_in_server_info_is_ignored(isales: ISalesClient) -> None:
    info = {"ip": "10.0.0.1", "port": 22, "filePath": "/home/sftp", "protocol": "ftp"}
    assert_code(add(isales, serverInfo=info), SUCCESS)
    assert "protocol" not in _only_server(isales)


@pytest.mark.parametrize("port", ["abc", "22.5", True, [22], {"n": 22}])
def test_port_of_the_wrong_type(isales: ISalesClient, port: object) -> None:
    envelope = add(isales, serverInfo={"ip": "10.0.0.1", "port": port, "filePath": "/home/sftp"})
    assert_code(envelope, "02000006")
    assert "port" in envelope["resultDesc"]


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_port_out_of_range(isales: ISalesClient, port: int) -> None:
    envelope = add(isales, serverInfo={"ip": "10.0.0.1", "port": port, "filePath": "/home/sftp"})
    assert_code(envelope, "02000007")


def test_ip_with_forbidden_characters(isales: ISalesClient) -> None:
    info = {"ip": "10.0.0.1; rm -rf /", "port": 22, "filePath": "/home/sftp"}
    assert_code(add(isales, serverInfo=info), "02000002")


def test_relative_default_path_is_refused(isales: ISalesClient) -> None:
    info = {"ip": "10.0.0.1", "port": 22, "filePath": "home/sftp"}
    envelope = add(isales, serverInfo=info)
    assert_code(envelope, "02000007")
    assert "filePath" in envelope["resultDesc"]


def test_same_address_path_and_user_twice_already_exists(isales: ISalesClient) -> None:
    first = add_ok(isales)
    envelope = add(isales)
    assert_code(envelope, "0200109")
    assert first in envelope["resultDesc"]
    # Spelled differently, the same default path is the same server.
    info = {"ip": "10.21.124.175", "port": 22, "filePath": "/home/./sftp/"}
    assert_code(add(isales, serverInfo=info), "0200109")
    assert isales.query_servers()["total"] == 1


def test_a_different_user_path_or_port_is_another_server(isales: ISalesClient) -> None:
    add_ok(isales)
    add_ok(isales, userName="other")
    add_ok(isales, serverInfo={"ip": "10.21.124.175", "port": 2222, "filePath": "/home/sftp"})
    add_ok(isales, serverInfo={"ip": "10.21.124.175", "port": 22, "filePath": "/home/other"})
    assert isales.query_servers()["total"] == 4


def test_same_server_in_two_tenants_is_allowed(api: Api, isales: ISalesClient) -> None:
    add_ok(isales)
    with api.client(api.new_tenant(13)) as other:
        add_ok(other)
        assert other.query_servers()["total"] == 1
    assert isales.query_servers()["total"] == 1


# -- queryServer -------------------------------------------------------------------------------


def test_query_pages_with_offset_and_limit(isales: ISalesClient, clock: Clock) -> None:
    ids = []
    for n in range(5):
        ids.append(add_ok(isales, userName=f"user{n}"))
        clock.advance(seconds=1)
    first = isales.query_servers(offset=0, limit=2)
    assert_code(first, SUCCESS)
    assert first["total"] == 5
    assert [row["serverId"] for row in first["server"]] == ids[:2]
    second = isales.query_servers(offset=2, limit=2)
    assert [row["serverId"] for row in second["server"]] == ids[2:4]
    last = isales.query_servers(offset=4, limit=2)
    assert [row["userName"] for row in last["server"]] == ["user4"]
    beyond = isales.query_servers(offset=10, limit=2)
    assert beyond["server"] == [] and beyond["total"] == 5
    assert len(isales.query_servers(offset=0, limit=100)["server"]) == 5


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_query_limit_out_of_range(isales: ISalesClient, limit: int) -> None:
    envelope = isales.call("POST", "/file/queryServer", json={"offset": 0, "limit": limit})
    assert_code(envelope, "02000007")
    assert "limit" in envelope["resultDesc"]


def test_query_negative_offset(isales: ISalesClient) -> None:
    envelope = isales.call("POST", "/file/queryServer", json={"offset": -1, "limit": 10})
    assert_code(envelope, "02000007")


@pytest.mark.parametrize("body", [{"offset": 0}, {"limit": 10}])
def test_query_needs_offset_and_limit(isales: ISalesClient, body: dict[str, int]) -> None:
    assert_code(isales.call("POST", "/file/queryServer", json=body), "02000001")


def test_query_never_shows_the_password(isales: ISalesClient) -> None:
    add_ok(isales)
    response = isales.request("POST", "/file/queryServer", json={"offset": 0, "limit": 10})
    assert response.status_code == 200
    assert PASSWORD not in response.text
    row = response.json()["server"][0]
    documented = {"serverId", "ip", "port", "filePath", "userName"}
    assert set(row) == documented | {"requireDoneMarker"}  # the extension beside them
    assert row["port"] == "22" and row["filePath"] == "/home/sftp"


def test_query_shows_only_the_tenants_own_servers(api: Api, isales: ISalesClient) -> None:
    mine = add_ok(isales)
    with api.client(api.new_tenant(13)) as other:
        add_ok(other, userName="theirs")
        assert [row["userName"] for row in other.query_servers()["server"]] == ["theirs"]
    listed = isales.query_servers()
    assert [row["serverId"] for row in listed["server"]] == [mine]


# -- secrets at rest ---------------------------------------------------------------------------


def _stored_bytes(api: Api) -> bytes:
    """Everything the database holds about file servers, as bytes."""
    url = api.rt.db.url
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT server_id, user_name, password_enc, file_servers::text FROM file_servers"
                )
            ).all()
    finally:
        engine.dispose()
    return b"".join(
        b"|".join(value if isinstance(value, bytes) else str(value).encode() for value in row)
        for row in rows
    )


def test_password_is_not_stored_in_plain_text(api: Api, isales: ISalesClient) -> None:
    server_id = add_ok(isales, userName="plainuser")
    stored = _stored_bytes(api)
    assert b"plainuser" in stored  # the check sees the rows...
    assert server_id.encode() in stored
    assert PASSWORD.encode() not in stored  # ...and the password is not among them
    assert PASSWORD.encode("utf-16-le") not in stored
    # It is sealed with the master key, which lives in the data directory, readable by us only.
    key_file = api.rt.settings.data_dir / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with api.rt.db.transaction() as session:
        token = session.execute(
            text("SELECT password_enc FROM file_servers WHERE server_id = :id"), {"id": server_id}
        ).scalar_one()
    fernet = Fernet(key_file.read_text().strip().encode())
    assert fernet.decrypt(bytes(token)).decode() == PASSWORD


def test_updated_password_is_not_stored_in_plain_text(api: Api, isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    new_password = "Another-Secret-0815"
    envelope = isales.update_server(
        server_id, "isales", "10.9.9.9", 22, "/home/sftp", password=new_password
    )
    assert_code(envelope, SUCCESS)
    assert new_password.encode() not in _stored_bytes(api)


# -- updateServer ------------------------------------------------------------------------------


def _only_server(isales: ISalesClient) -> dict[str, Any]:
    servers = isales.query_servers()["server"]
    assert len(servers) == 1
    row: dict[str, Any] = servers[0]
    return row


def test_update_changes_the_fields(isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    envelope = isales.update_server(
        server_id, "newuser", "10.1.1.1", 2222, "/srv/files", password="new-password-1"
    )
    assert_code(envelope, SUCCESS)
    assert _only_server(isales) == {
        "serverId": server_id,
        "ip": "10.1.1.1",
        "port": "2222",
        "filePath": "/srv/files",
        "userName": "newuser",
        "requireDoneMarker": False,
    }


def test_update_requires_the_password_when_the_ip_changes(isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    envelope = isales.update_server(server_id, "isales", "10.1.1.1", 22, "/home/sftp")
    assert_code(envelope, "02000001")
    assert "serverPwd" in envelope["resultDesc"]
    assert _only_server(isales)["ip"] == "10.21.124.175"  # nothing changed


def test_update_without_password_when_only_the_path_changes(isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    envelope = isales.update_server(server_id, "isales", "10.21.124.175", 22, "/home/sftp/in")
    assert_code(envelope, SUCCESS)
    assert _only_server(isales)["filePath"] == "/home/sftp/in"


def test_update_without_password_when_only_the_user_changes(isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    assert_code(
        isales.update_server(server_id, "renamed", "10.21.124.175", 22, "/home/sftp"), SUCCESS
    )
    assert _only_server(isales)["userName"] == "renamed"


# -- serverPwd on update: required only when the ip changes (cec_07_0794) -------------------------


def _password_and_host_key(api: Api, server_id: str) -> tuple[str, str | None]:
    with api.rt.db.read() as session:
        server = server_rows.get(session, 12, server_id)
        assert server is not None
        return api.rt.box.open(server.password_enc), server.host_key


def _pin(api: Api, server_id: str) -> None:
    with api.rt.db.transaction() as session:
        server = server_rows.get(session, 12, server_id)
        assert server is not None
        server.host_key = "ssh-ed25519 AAAA-pinned"


def test_update_keeping_the_ip_without_password_keeps_the_stored_one(
    api: Api, isales: ISalesClient
) -> None:
    server_id = add_ok(isales)
    _pin(api, server_id)
    answer = isales.update_server(server_id, "renamed", "10.21.124.175", 22, "/home/sftp/in")
    assert_code(answer, SUCCESS)
    assert _password_and_host_key(api, server_id) == (PASSWORD, "ssh-ed25519 AAAA-pinned")
    assert _only_server(isales)["userName"] == "renamed"


def test_a_new_port_on_the_same_ip_keeps_the_password_and_forgets_the_host_key(
    api: Api, isales: ISalesClient
) -> None:
    server_id = add_ok(isales)
    _pin(api, server_id)
    assert_code(
        isales.update_server(server_id, "isales", "10.21.124.175", 2222, "/home/sftp"), SUCCESS
    )
    assert _password_and_host_key(api, server_id) == (PASSWORD, None)  # maybe another sshd
    assert _only_server(isales)["port"] == "2222"


@pytest.mark.parametrize(
    ("stored", "given"),
    [("fd00::1", "fd00:0:0:0:0:0:0:1"), ("sftp.example.com", "SFTP.Example.com")],
)
def test_the_same_ip_written_otherwise_is_the_same_ip(
    api: Api, isales: ISalesClient, stored: str, given: str
) -> None:
    server_id = add_ok(isales, serverInfo={"ip": stored, "port": 22, "filePath": "/home/sftp"})
    assert_code(isales.update_server(server_id, "isales", given, 22, "/home/sftp"), SUCCESS)
    assert _password_and_host_key(api, server_id)[0] == PASSWORD


def test_a_new_ip_without_password_is_refused_and_changes_nothing(
    api: Api, isales: ISalesClient
) -> None:
    server_id = add_ok(isales)
    _pin(api, server_id)
    answer = isales.update_server(server_id, "renamed", "10.21.124.176", 22, "/home/sftp")
    assert_code(answer, "02000001")
    assert answer["resultDesc"] == "serverPwd: required when serverInfo.ip changes"
    assert _only_server(isales)["ip"] == "10.21.124.175"
    assert _only_server(isales)["userName"] == "isales"
    assert _password_and_host_key(api, server_id) == (PASSWORD, "ssh-ed25519 AAAA-pinned")


def test_a_new_ip_with_password_stores_both(api: Api, isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    _pin(api, server_id)
    answer = isales.update_server(
        server_id, "isales", "10.21.124.176", 22, "/home/sftp", password="Other-Pass-0815"
    )
    assert_code(answer, SUCCESS)
    assert _password_and_host_key(api, server_id) == ("Other-Pass-0815", None)


def test_a_password_sent_with_the_same_ip_replaces_the_stored_one(
    api: Api, isales: ISalesClient
) -> None:
    server_id = add_ok(isales)
    answer = isales.update_server(
        server_id, "isales", "10.21.124.175", 22, "/home/sftp", password="Other-Pass-0815"
    )
    assert_code(answer, SUCCESS)
    assert _password_and_host_key(api, server_id)[0] == "Other-Pass-0815"


def test_update_validates_like_add(isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    cases = [
        ({"userName": "a/b"}, "02000002"),
        ({"userName": "u" * 31}, "02000003"),
        ({"serverPwd": "short"}, "02000005"),
        ({"serverInfo": {"ip": "10.0.0.1", "port": "abc", "filePath": "/x"}}, "02000006"),
        ({"unknown": 1}, SUCCESS),  # ignored, as by add
    ]
    base = {
        "userName": "isales",
        "serverInfo": {"ip": "10.21.124.175", "port": 22, "filePath": "/home/sftp"},
    }
    for change, code in cases:
        envelope = isales.call("POST", f"/file/{server_id}/updateServer", json={**base, **change})
        assert_code(envelope, code)


def test_update_onto_another_servers_address_already_exists(isales: ISalesClient) -> None:
    add_ok(isales)
    other = add_ok(isales, userName="other")
    envelope = isales.update_server(other, "isales", "10.21.124.175", 22, "/home/sftp")
    assert_code(envelope, "0200109")


def test_update_to_its_own_address_is_fine(isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    assert_code(
        isales.update_server(server_id, "isales", "10.21.124.175", 22, "/home/sftp"), SUCCESS
    )


def test_update_of_an_unknown_server(isales: ISalesClient) -> None:
    envelope = isales.update_server("1" * 30, "isales", "10.0.0.1", 22, "/x", password="password-1")
    assert_code(envelope, "0200006")


# -- deleteServer ------------------------------------------------------------------------------


def test_delete_then_delete_again(isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    keep = add_ok(isales, userName="keep")
    assert_code(isales.delete_server(server_id), SUCCESS)
    assert [row["serverId"] for row in isales.query_servers()["server"]] == [keep]
    envelope = isales.delete_server(server_id)
    assert_code(envelope, "0200006")
    assert server_id in envelope["resultDesc"]


def test_delete_frees_the_address(isales: ISalesClient) -> None:
    server_id = add_ok(isales)
    assert_code(isales.delete_server(server_id), SUCCESS)
    assert add_ok(isales) != server_id


# -- tenant isolation --------------------------------------------------------------------------


def test_another_tenants_server_looks_like_an_unknown_one(api: Api, isales: ISalesClient) -> None:
    with api.client(api.new_tenant(13)) as other:
        theirs = add_ok(other)
    unknown = "9" * 30

    def shape(envelope: dict[str, Any], server_id: str) -> tuple[str, str]:
        return envelope["resultCode"], envelope["resultDesc"].replace(server_id, "<id>")

    for server_id in (theirs, unknown):
        assert_code(
            isales.update_server(server_id, "x", "10.0.0.1", 22, "/x", password="password-1"),
            "0200006",
        )
    update_theirs = isales.update_server(theirs, "x", "10.0.0.1", 22, "/x", password="password-1")
    update_unknown = isales.update_server(unknown, "x", "10.0.0.1", 22, "/x", password="password-1")
    assert shape(update_theirs, theirs) == shape(update_unknown, unknown)
    delete_theirs, delete_unknown = isales.delete_server(theirs), isales.delete_server(unknown)
    assert_code(delete_theirs, "0200006")
    assert shape(delete_theirs, theirs) == shape(delete_unknown, unknown)
    # And the other tenant's server is untouched.
    with api.rt.db.transaction() as session:
        row = session.execute(
            text("SELECT user_name, ip, vdn_id FROM file_servers WHERE server_id = :id"),
            {"id": theirs},
        ).one()
    assert tuple(row) == ("isales", "10.21.124.175", 13)


def test_duplicate_that_slips_past_the_check_is_still_already_exists(
    isales: ISalesClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two concurrent adds both pass the look-up; the unique index decides, and the loser
    # gets the same answer as a sequential duplicate, not an internal error.
    add_ok(isales)
    other = add_ok(isales, userName="other")
    monkeypatch.setattr(server_rows, "find_same_address", lambda *_args, **_kw: None)
    assert_code(add(isales), "0200109")
    envelope = isales.update_server(other, "isales", "10.21.124.175", 22, "/home/sftp")
    assert_code(envelope, "0200109")
    monkeypatch.undo()
    assert sorted(row["userName"] for row in isales.query_servers()["server"]) == [
        "isales",
        "other",
    ]


# -- requireDoneMarker (extension) -------------------------------------------------------------


def test_done_marker_setting_is_stored_kept_and_changed(isales: ISalesClient) -> None:
    server_id = add_ok(isales, requireDoneMarker=True)
    assert _only_server(isales)["requireDoneMarker"] is True
    kept = isales.update_server(server_id, "isales", "10.21.124.175", 22, "/home/sftp/in")
    assert_code(kept, SUCCESS)  # left out: the stored setting stays
    assert _only_server(isales)["requireDoneMarker"] is True
    changed = isales.update_server(
        server_id, "isales", "10.21.124.175", 22, "/home/sftp/in", require_done_marker=False
    )
    assert_code(changed, SUCCESS)
    assert _only_server(isales)["requireDoneMarker"] is False


@pytest.mark.parametrize("value", ["true", 1, None])
def test_done_marker_setting_must_be_a_boolean(isales: ISalesClient, value: object) -> None:
    envelope = add(isales, requireDoneMarker=value)
    if value is None:  # JSON null: as if left out
        assert_code(envelope, SUCCESS)
        assert _only_server(isales)["requireDoneMarker"] is False
    else:
        assert_code(envelope, "02000006")
