"""Schemathesis over the service's own OpenAPI document: every interface, signed requests.

Each generated request is signed with tenant 12's keys (an unsigned fuzz would only ever see
401) and sent in-process to the app. Whatever the input: never a 5xx, and on every iSales path
a JSON body with the envelope (the failure report download answers a file on success).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from openisales.api.app import create_app
from openisales.client import AuthV2
from openisales.services.runtime import Runtime
from openisales.settings import Settings
from tests.conftest import Api
from tests.imports.conftest import create_campaign

ENVELOPE = ("resultCode", "resultDesc", "returnCode", "returnDesc")
FILE_DOWNLOAD = "/failures"


def _document() -> dict[str, Any]:
    """The OpenAPI document; building it needs only the settings, not a database."""
    stub = cast(Runtime, SimpleNamespace(settings=Settings()))
    return create_app(stub).openapi()


schema = schemathesis.openapi.from_dict(_document())


class Target:
    """The app of one test, tenant 12's signer and ids worth aiming at."""

    def __init__(self, api: Api, http: TestClient, campaign_id: int) -> None:
        self.api = api
        self.http = http
        self.campaign_id = campaign_id
        self.auth = AuthV2(api.creds.access_key, api.creds.secret_key, clock=api.rt.clock)


@pytest.fixture
def target(api: Api) -> Iterator[Target]:
    # Exceptions inside the app surface as test failures with their traceback.
    with (
        TestClient(create_app(api.rt), raise_server_exceptions=True) as http,
        api.client() as isales,
    ):
        yield Target(api, http, create_campaign(isales))


def _aim(case: schemathesis.Case, target: Target) -> None:
    """Mostly act as the signing tenant, and sometimes on an existing campaign."""
    parameters = case.path_parameters
    if "vdnId" in parameters and random.random() < 0.9:
        parameters["vdnId"] = target.api.creds.vdn_id
    if "campaignId" in parameters and random.random() < 0.5:
        parameters["campaignId"] = target.campaign_id


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_5xx_and_always_the_envelope(case: schemathesis.Case, target: Target) -> None:
    _aim(case, target)
    prepared = requests.Request(**_request_kwargs(case)).prepare()
    headers = {k: v for k, v in prepared.headers.items() if k.lower() != "content-length"}
    response = target.http.request(
        prepared.method or case.method,
        prepared.url or "",
        content=prepared.body,
        headers=headers,
        auth=target.auth,
    )
    described = f"{case.method} {prepared.url} body={prepared.body!r}"
    assert response.status_code < 500, f"{described} -> {response.status_code} {response.text}"
    path = case.formatted_path
    if not path.startswith("/rest/isales/"):
        return
    if FILE_DOWNLOAD in path and response.status_code == 200 and not _is_json(response):
        return
    assert _is_json(response), f"{described} -> {response.status_code} {response.text[:200]}"
    body = response.json()
    assert isinstance(body, dict), f"{described} -> {body!r}"
    missing = [key for key in ENVELOPE if key not in body]
    assert not missing, f"{described} -> {response.status_code} {body!r} lacks {missing}"


def _request_kwargs(case: schemathesis.Case) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    allowed = ("method", "url", "headers", "params", "json", "data", "files")
    return {key: value for key, value in kwargs.items() if key in allowed}


def _is_json(response: Any) -> bool:
    return str(response.headers.get("content-type", "")).startswith("application/json")
