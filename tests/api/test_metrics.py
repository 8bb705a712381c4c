"""``/metrics``: Prometheus text that moves with requests and imports; ``X-Request-Id``."""

from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families

from openisales.client import ISalesClient
from tests.conftest import Api
from tests.imports.conftest import ImportSetup, create_campaign
from tests.support.servers import SftpServer

UPLOAD = "/isales/upload"
ROUTE = "/rest/isales/v1/openapi/campaigns/{vdnId}/calldatafile/uploadFileServer/{campaignId}"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(api: Api) -> Samples:
    response = api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _setup(api: Api, isales: ISalesClient, sftp: SftpServer) -> ImportSetup:
    added = isales.add_server(sftp.username, sftp.password, sftp.host, sftp.port, str(sftp.home))
    return ImportSetup(api, isales, sftp, added["serverId"], create_campaign(isales))


def _csv(good: int, bad: int) -> bytes:
    rows = ["sessionId,called"]
    rows += [f's{i},"[{{""calledNo"":""1380000{i:04d}""}}]"' for i in range(good)]
    rows += [f"b{i},not json" for i in range(bad)]
    return ("\n".join(rows) + "\n").encode()


def test_import_moves_the_counters(api: Api, isales: ISalesClient, sftp: SftpServer) -> None:
    setup = _setup(api, isales, sftp)
    before = scrape(api)
    setup.put("m.csv", _csv(good=7, bad=2))
    task_id = setup.submit("m.csv", file_path=UPLOAD)

    queued = scrape(api)
    assert value(queued, "openisales_import_queue_depth", status="0") == 1
    assert value(queued, "openisales_import_queue_depth", status="1") == 0
    submitted = dict(route=ROUTE, method="POST", status="200", result_code="0200000")
    assert value(queued, "openisales_http_requests_total", **submitted) == (
        value(before, "openisales_http_requests_total", **submitted) + 1
    )

    setup.run_worker()
    assert setup.task(task_id)["status"] == "2"
    after = scrape(api)
    rows = "openisales_import_rows_total"
    for outcome, delta in (("succ", 7), ("fail", 2)):
        labels = {"kind": "calldata", "outcome": outcome}
        assert value(after, rows, **labels) - value(before, rows, **labels) == delta
    done = "openisales_import_task_duration_seconds_count"
    assert value(after, done, kind="calldata", status="2") == (
        value(before, done, kind="calldata", status="2") + 1
    )
    assert value(after, "openisales_import_queue_depth", status="0") == 0


def test_missing_file_counts_an_sftp_error_and_a_failed_task(
    api: Api, isales: ISalesClient, sftp: SftpServer
) -> None:
    setup = _setup(api, isales, sftp)
    before = scrape(api)
    task_id = setup.submit("nowhere.csv", file_path=UPLOAD)
    setup.run_worker()
    assert setup.task(task_id)["status"] == "3"
    after = scrape(api)
    errors = "openisales_sftp_errors_total"
    assert value(after, errors, kind="NOT_FOUND") == value(before, errors, kind="NOT_FOUND") + 1
    done = "openisales_import_task_duration_seconds_count"
    assert value(after, done, kind="calldata", status="3") == (
        value(before, done, kind="calldata", status="3") + 1
    )


def test_refused_requests_are_counted_by_route_template_and_code(api: Api) -> None:
    before = scrape(api)
    url = "/rest/isales/v1/openapi/campaigns/12/file/queryServer"
    answer = api.http.post(url, content=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status_code == 401
    after = scrape(api)
    labels = dict(
        route="/rest/isales/v1/openapi/campaigns/{vdnId}/file/queryServer",
        method="POST",
        status="401",
        result_code=json.loads(answer.content)["resultCode"],
    )
    name = "openisales_http_requests_total"
    assert value(after, name, **labels) == value(before, name, **labels) + 1
    unknown = api.http.get("/no/such/path/12345")
    assert unknown.status_code == 404
    assert not any("12345" in dict(key[1]).get("route", "") for key in scrape(api))


def test_request_id_is_echoed_or_made_up(api: Api) -> None:
    given = api.http.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = api.http.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    hostile = api.http.get("/healthz", headers={"X-Request-Id": "x" * 200})
    assert hostile.headers["x-request-id"] != "x" * 200


def test_metrics_over_real_http_parse(api: Api) -> None:
    text = api.http.get("/metrics").text
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {
        "openisales_http_requests",
        "openisales_import_rows",
        "openisales_import_task_duration_seconds",
        "openisales_import_queue_depth",
        "openisales_sftp_errors",
    } <= names
