"""Prometheus metrics of this process, served at ``/metrics``.

Counters and histograms live in the process that counts them: with several processes (``serve
--no-worker`` behind a balancer, separate ``openisales worker``s) each has its own, and request
metrics come from API processes only, import metrics from the process whose worker ran the task
(the embedded worker of ``serve`` shows its imports at that process's ``/metrics``; a standalone
worker exposes none; result pushes likewise come from the process whose pusher made them). Sum
them across instances in Prometheus. The queue depth and the result deliveries by state are
read from the database at scrape time, so every API process reports the same value.

| metric | type | labels |
|---|---|---|
| ``openisales_http_requests_total`` | counter | route (template), method, status, result_code |
| ``openisales_http_request_duration_seconds`` | histogram | route, method |
| ``openisales_import_rows_total`` | counter | kind (calldata, blocklist), outcome (succ, fail, repeat, black) |
| ``openisales_import_task_duration_seconds`` | histogram | kind, status (2 completed, 3 failed) |
| ``openisales_import_queue_depth`` | gauge | status (0 queued, 1 running) |
| ``openisales_sftp_errors_total`` | counter | kind (UNREACHABLE, TIMEOUT, AUTH_FAILED, NOT_FOUND, …) |
| ``openisales_result_pushes_total`` | counter | status (the receiver's HTTP status, or ``none``: no answer) |
| ``openisales_result_deliveries`` | gauge | state (pending, delivering, delivered, undeliverable, no_receiver) |

Rows per second: ``rate(openisales_import_rows_total[5m])``.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from openisales.domain.result_delivery import DeliveryState

__all__ = ["CONTENT_TYPE_LATEST", "render"]

HTTP_REQUESTS = Counter(
    "openisales_http_requests",
    "HTTP requests answered, by route template, method, HTTP status and iSales resultCode.",
    ["route", "method", "status", "result_code"],
)
HTTP_DURATION = Histogram(
    "openisales_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IMPORT_ROWS = Counter(
    "openisales_import_rows",
    "Rows of imported files, by outcome (succ, fail, repeat, black), counted when a task commits.",
    ["kind", "outcome"],
)
TASK_DURATION = Histogram(
    "openisales_import_task_duration_seconds",
    "Run time of an import task that reached an end state, by that status (2 or 3).",
    ["kind", "status"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0),
)
QUEUE_DEPTH = Gauge(
    "openisales_import_queue_depth",
    "Import tasks in the database by status (0 queued or waiting for a schedule, 1 running).",
    ["status"],
)
SFTP_ERRORS = Counter(
    "openisales_sftp_errors",
    "Failed file fetches from file servers, by kind.",
    ["kind"],
)

RESULT_PUSHES = Counter(
    "openisales_result_pushes",
    "POSTs of call results to receivers, by the answer's HTTP status (none: no answer).",
    ["status"],
)
RESULT_DELIVERIES = Gauge(
    "openisales_result_deliveries",
    "Call results in the push outbox by delivery state, in the database.",
    ["state"],
)

ROW_OUTCOMES = {
    "succ_num": "succ",
    "fail_num": "fail",
    "repeat_num": "repeat",
    "black_num": "black",
}


def rows_imported(kind: str, counts: Mapping[str, object]) -> None:
    """Count a committed task's rows; ``counts`` holds the task's ``*_num`` columns."""
    for column, outcome in ROW_OUTCOMES.items():
        value = counts.get(column)
        if isinstance(value, int) and value > 0:
            IMPORT_ROWS.labels(kind=kind, outcome=outcome).inc(value)


def task_ended(kind: str, status: int, seconds: float) -> None:
    """Observe an ended task's run time under its kind and end status."""
    TASK_DURATION.labels(kind=kind, status=str(status)).observe(seconds)


def sftp_error(kind: str) -> None:
    """Count one failed file fetch of the given kind."""
    SFTP_ERRORS.labels(kind=kind).inc()


def result_push(status: int | None) -> None:
    """Count one POST to a receiver by its answer's HTTP status."""
    RESULT_PUSHES.labels(status="none" if status is None else str(status)).inc()


def render(queue_depth: Mapping[int, int], deliveries: Mapping[DeliveryState, int]) -> bytes:
    """The text exposition, with the queue depth and delivery counts just read from the database."""
    for status in (0, 1):
        QUEUE_DEPTH.labels(status=str(status)).set(queue_depth.get(status, 0))
    for state in DeliveryState:
        RESULT_DELIVERIES.labels(state=state.name.lower()).set(deliveries.get(state, 0))
    return generate_latest(REGISTRY)
