"""Request id and request metrics: the outermost ASGI middleware, and the ``/metrics`` route.

The request id comes from an incoming ``X-Request-Id`` (if it is short and plain) or is made up;
it is returned in the response's ``X-Request-Id`` and set in :data:`openisales.logs.request_id`
for every log record written while the request runs.

Requests are counted by route *template* (never the raw path, whose ids would make a new series
each), method, HTTP status and the envelope's ``resultCode``, which is read from the start of the
first body chunk of JSON answers under ``/rest/isales/`` (every envelope starts with it).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openisales import logs, metrics
from openisales.api.deps import runtime
from openisales.services import imports, result_deliveries
from openisales.services.runtime import Runtime

ISALES_PREFIX = "/rest/isales/"
REQUEST_ID_HEADER = b"x-request-id"
PLAIN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
RESULT_CODE = re.compile(rb'"resultCode"\s*:\s*"([0-9A-Za-z]{1,16})"')
UNMATCHED = "<unmatched>"

router = APIRouter(tags=["system"])


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(rt: Runtime = Depends(runtime)) -> Response:
    """This process's metrics in the Prometheus text format (see :mod:`openisales.metrics`)."""
    with rt.db.read() as session:
        depth = imports.queue_depth(session)
        deliveries = result_deliveries.counts(session)
    return Response(metrics.render(depth, deliveries), media_type=metrics.CONTENT_TYPE_LATEST)


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or uuid.uuid4().hex
        token = logs.request_id.set(rid)
        began = time.perf_counter()
        answer: dict[str, Any] = {"status": 500, "code": ""}
        wants_code = scope["path"].startswith(ISALES_PREFIX)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = list(message.get("headers", []))
                answer["json"] = any(
                    key.lower() == b"content-type" and b"json" in value for key, value in headers
                )
                headers.append((REQUEST_ID_HEADER, rid.encode("ascii")))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and wants_code and answer.get("json"):
                answer["json"] = False  # only the first chunk is looked at
                found = RESULT_CODE.search(message.get("body", b"")[:512])
                if found:
                    answer["code"] = found.group(1).decode("ascii")
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_template(scope)
            method = scope["method"]
            metrics.HTTP_REQUESTS.labels(
                route=route, method=method, status=str(answer["status"]), result_code=answer["code"]
            ).inc()
            metrics.HTTP_DURATION.labels(route=route, method=method).observe(
                time.perf_counter() - began
            )
            logs.request_id.reset(token)


def _incoming_id(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            return text if PLAIN_ID.match(text) else None
    return None


def _route_template(scope: Scope) -> str:
    """The matched route's path template; requests refused before routing are matched here."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    path = scope["path"]
    for pattern, template in _templates(scope.get("app")):
        if pattern.match(path):
            return template
    return UNMATCHED


def _templates(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """The documented paths as patterns, built once per app from its OpenAPI document."""
    state = getattr(app, "state", None)
    cached: list[tuple[re.Pattern[str], str]] | None = getattr(state, "route_templates", None)
    if cached is None:
        paths = app.openapi().get("paths", {}) if hasattr(app, "openapi") else {}
        cached = [(compile_path(template)[0], template) for template in paths]
        if state is not None:
            state.route_templates = cached
    return cached
