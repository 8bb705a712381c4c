"""Control characters (NUL above all) in every text field of every interface: 02000002.

On PostgreSQL a NUL in a text column is a ``DataError`` (HTTP 500); on SQLite it was stored and
written raw into the console's HTML. Every body field, query parameter and path parameter that
takes text is tried with a NUL, an escape, DEL, a C1 control and a line break; only the free-text
fields (``description``, ``callData``) may hold a line break or a tab.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from openisales.client import ISalesClient

INVALID_CHARS = "02000002"
BAD = ["\x00", "\x1b", "\x7f", "\x85", "\n"]
LINE_BREAKS = {"\n", "\r", "\t"}
FREE_TEXT = {"description", "callData"}

SERVER = {
    "userName": "u1",
    "serverPwd": "password1",
    "serverInfo": {"ip": "127.0.0.1", "port": 22, "filePath": "/data"},
}
IMPORT = {"serverId": "1", "filePath": "/in", "fileName": "a.xlsx", "hour": 1, "minute": 2}
TASKS = {"offset": 0, "limit": 10, "importTaskIds": ["1"]}
RECORD = {
    "sessionId": "s1",
    "called": "13800001234",
    "caller": "4001",
    "customField": "vip",
    "recycleTime": "2099-01-01 00:00:00",
    "callData": "note",
    "priority": "3",
}
CAMPAIGN = {
    "name": "spring",
    "description": "spring offer",
    "strBeginTime": "2099-01-01 00:00:00",
    "strEndTime": "2099-12-31 23:59:59",
    "deviceType": 2,
    "callerNo": "10086",
    "scheduleParam": {"workDays": "1,2,3"},
    "ivrParam": {"flow": "main"},
    "callBackUrl": "https://crm.example.com/cb",  # documented, not interpreted: kept as given
}
# (method, path, version, a valid body)
BODIES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("POST", "/file/addServer", "v1", SERVER),
    ("POST", "/file/1/updateServer", "v1", SERVER),
    ("POST", "/calldatafile/uploadFileServer/1", "v1", IMPORT),
    ("POST", "/calldatafile/queryDataImportTask/1", "v1", TASKS),
    ("POST", "/calldata/1", "v1", {"callDataList": [RECORD]}),
    (
        "POST",
        "/calldata/1",
        "v2",
        {
            "callDataList": [
                {
                    **RECORD,
                    "called": [{"calledNo": "13800001234", "type": "mobile"}, "13800001235"],
                    "callData": {"greeting": "hello"},
                    "batchId": "b1",
                }
            ],
            "batchId": "b2",
        },
    ),
    (
        "POST",
        "/calldata/1/delete",
        "v1",
        {"sessionId": "s1", "called": "138", "customField": "vip", "recycleTime": "x"},
    ),
    (
        "POST",
        "/blocklist/add",
        "v1",
        {"blocklist": ["13800001234"], "validityExpirationTime": "2099-01-01 00:00:00"},
    ),
    ("POST", "/blocklist/delete", "v1", {"blocklistNo": "13800001234"}),
    ("POST", "/blocklist/query", "v1", {"blocklist": ["13800001234"]}),
    ("POST", "/blackfile/uploadFileServer", "v1", IMPORT),
    ("POST", "/blackfile/queryDataImportTask", "v1", TASKS),
    ("POST", "", "v1", CAMPAIGN),
    ("PUT", "/1", "v1", CAMPAIGN),
]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every string in a JSON value, and of every object key (marked ``KEY``)."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, (KEY, key))
            yield from _leaves(item, (*path, key))


KEY = "key"


def _inject(body: dict[str, Any], path: tuple[Any, ...], char: str) -> dict[str, Any]:
    """``body`` with ``char`` put in the middle of the string (or key) at ``path``."""
    changed = copy.deepcopy(body)
    *parents, last = path
    holder: Any = changed
    for step in parents:
        holder = holder[step]
    if isinstance(last, tuple):
        key = last[1]
        holder[key[:1] + char + key[1:]] = holder.pop(key)
    else:
        holder[last] = holder[last][:1] + char + holder[last][1:]
    return changed


def _field_name(path: tuple[Any, ...]) -> str:
    """The name the answer must mention: the field at ``path``; for a name, its object."""
    if isinstance(path[-1], tuple):
        path = path[:-1]
    return next((step for step in reversed(path) if isinstance(step, str)), "body")


def _is_free_text(path: tuple[Any, ...]) -> bool:
    return any(step in FREE_TEXT for step in path)


def _assert_refused(answer: dict[str, Any], field: str) -> None:
    assert answer["resultCode"] == INVALID_CHARS, answer
    assert field in answer["resultDesc"], answer
    assert "control character" in answer["resultDesc"], answer


def test_campaign_named_with_nul_is_refused(isales: ISalesClient) -> None:
    created = isales.create_campaign(**{**CAMPAIGN, "name": "a\x00b"})
    _assert_refused(created, "name")
    listed = isales.list_campaigns(name="a\x00b")
    _assert_refused(listed, "name")
    ok = isales.create_campaign(**CAMPAIGN)
    assert ok["resultCode"] == "0200000", ok


@pytest.mark.parametrize(
    ("method", "where", "version", "body"),
    [pytest.param(*case, id=f"{case[0]} {case[2]}{case[1]}") for case in BODIES],
)
def test_every_body_text_field_refuses_control_characters(
    isales: ISalesClient, method: str, where: str, version: str, body: dict[str, Any]
) -> None:
    for path in _leaves(body):
        for char in BAD:
            answer = isales.call(method, where, json=_inject(body, path, char), version=version)
            if char in LINE_BREAKS and _is_free_text(path) and not isinstance(path[-1], tuple):
                assert answer["resultCode"] != INVALID_CHARS, (path, char, answer)
                continue
            _assert_refused(answer, _field_name(path))


QUERIES = [
    ("/calldata/1", "v1", "importTaskId"),
    ("/statistics", "v2", "batchId"),
    ("", "v1", "name"),
    ("/calldatafile/importTasks/1/failures", "v1", "format"),
]


@pytest.mark.parametrize(("where", "version", "name"), QUERIES)
def test_query_parameters_refuse_control_characters(
    isales: ISalesClient, where: str, version: str, name: str
) -> None:
    for char in BAD:
        answer = isales.call("GET", where, params={name: f"a{char}b"}, version=version)
        _assert_refused(answer, name)


PATHS = [
    ("POST", "/file/{}/updateServer", SERVER, "serverId"),
    ("POST", "/file/{}/deleteServer", None, "serverId"),
    ("GET", "/calldatafile/importTasks/{}/failures", None, "importTaskId"),
    ("POST", "/importSchedules/{}/cancel", None, "scheduleId"),
    ("GET", "/calldata/1/{}", None, "dataId"),
]


@pytest.mark.parametrize(("method", "where", "body", "name"), PATHS)
def test_path_parameters_refuse_control_characters(
    isales: ISalesClient, method: str, where: str, body: dict[str, Any] | None, name: str
) -> None:
    for char in BAD:
        answer = isales.call(method, where.format(quote(f"a{char}b", safe="")), json=body)
        _assert_refused(answer, name)
