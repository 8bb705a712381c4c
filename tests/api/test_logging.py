"""Structured logs: JSON lines with request and task ids, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from openisales import logs
from openisales.client import ISalesClient, ISalesHTTPError
from tests.conftest import Api
from tests.imports.conftest import ImportSetup, create_campaign
from tests.support.servers import SftpServer


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged, at every level, through the service's JSON formatter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_no_secret_is_ever_logged(
    api: Api, isales: ISalesClient, sftp: SftpServer, captured: io.StringIO
) -> None:
    authorizations: list[str] = []
    isales._http.event_hooks["request"].append(
        lambda request: authorizations.append(request.headers["Authorization"])
    )
    added = isales.add_server(sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home))
    assert added["resultCode"] == "0200000", added
    setup = ImportSetup(api, isales, sftp, added["serverId"], create_campaign(isales))
    setup.put("a.csv", b'sessionId,called\ns1,"[{""calledNo"":""13800000001""}]"\nb,bad\n')
    task_id = setup.submit("a.csv")
    setup.run_worker()
    assert setup.task(task_id)["status"] == "2"
    wrong_secret = "wrong-secret-0123456789"
    with ISalesClient(
        "http://testserver", api.creds.access_key, wrong_secret, 12, transport=api.http._transport
    ) as wrong:
        wrong._http.event_hooks["request"].append(
            lambda request: authorizations.append(request.headers["Authorization"])
        )
        with pytest.raises(ISalesHTTPError):
            wrong.query_servers()
    text = captured.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    assert any(r.get("import_task_id") == task_id for r in records), text
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
    assert authorizations
    for secret in (sftp.password, api.creds.secret_key, wrong_secret, *authorizations):
        assert secret not in text
    signatures = [value.rsplit("/", 1)[-1] for value in authorizations]
    for signature in signatures:
        assert signature not in text


def test_request_id_reaches_records_written_by_a_route(api: Api, captured: io.StringIO) -> None:
    app = api.http.app

    @app.get("/probe")  # type: ignore[attr-defined, misc]
    def probe() -> dict[str, str]:  # a sync route: runs in a worker thread
        logging.getLogger("openisales.probe").info("probing")
        return {}

    answer = api.http.get("/probe", headers={"X-Request-Id": "req-42"})
    assert answer.headers["x-request-id"] == "req-42"
    records = [json.loads(line) for line in captured.getvalue().splitlines()]
    probes = [r for r in records if r["message"] == "probing"]
    assert [r.get("request_id") for r in probes] == ["req-42"]
    assert "import_task_id" not in probes[0]
