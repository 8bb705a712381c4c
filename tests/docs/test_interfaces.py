"""One registry of interfaces: every route has its entry, every entry its route, and both the
OpenAPI document and docs/api.md show each interface's source page as the registry says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from openisales.api import interfaces, reference
from openisales.api.app import create_app
from openisales.api.interfaces import INTERFACES, Interface, Status
from openisales.client import ISalesClient
from openisales.services.runtime import Runtime
from openisales.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PAGE_ID = re.compile(r"^cec_07_(07|40)\d{2}$")
NOT_SERVED = [entry for entry in INTERFACES if not entry.implemented]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    rt = Runtime.from_settings(Settings(data_dir=tmp_path_factory.mktemp("interfaces")))
    try:
        yield create_app(rt)
    finally:
        rt.close()


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    with TestClient(app) as http:
        answer = http.get("/openapi.json")
        assert answer.status_code == 200
        served: dict[str, Any] = answer.json()
        return served


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


# ----------------------------------------------------------------------------- routes
def test_every_route_of_the_app_has_an_entry(app: FastAPI) -> None:
    missing = interfaces.unregistered(app.routes)
    assert not missing, f"add these routes to INTERFACES in openisales/api/interfaces.py: {missing}"


def test_every_entry_said_to_be_served_has_its_route(app: FastAPI) -> None:
    assert not interfaces.unserved(app.routes)


def test_the_check_finds_a_route_added_without_an_entry(app: FastAPI) -> None:
    extra = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)  # only the routes given
    extra.router.routes.extend(app.routes)

    @extra.post(interfaces.V1 + "/calldata/{campaignId}/undocumented")
    def undocumented() -> None: ...

    assert interfaces.unregistered(extra.routes) == [
        ("POST", interfaces.V1 + "/calldata/{campaignId}/undocumented")
    ]


def test_the_routes_walked_include_the_included_routers(app: FastAPI) -> None:
    walked = set(interfaces.served_routes(app.routes))
    assert ("POST", interfaces.V1 + "/file/addServer") in walked  # an included router's
    assert ("GET", "/openapi.json") in walked  # the app's own
    assert ("GET", "/console/campaigns") in walked  # the console's
    assert not any(path.startswith("/docs/assets") for _, path in walked)  # the mount: files


@pytest.mark.parametrize("entry", NOT_SERVED, ids=lambda e: e.title)
def test_no_route_serves_an_interface_said_not_to_be_served(app: FastAPI, entry: Interface) -> None:
    assert not any(entry.covers(m, p) for m, p in interfaces.served_routes(app.routes))


# ----------------------------------------------------------------------------- the registry
def test_no_two_entries_cover_the_same_interface() -> None:
    keys = [(method, entry.path) for entry in INTERFACES for method in entry.methods]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("entry", INTERFACES, ids=lambda e: f"{' '.join(e.methods)} {e.path}")
def test_an_entry_names_its_pages_exactly_when_it_is_documented(entry: Interface) -> None:
    assert all(PAGE_ID.match(page) for page in entry.pages), entry.pages
    assert len(set(entry.pages)) == len(entry.pages)
    if entry.status is Status.EXTENSION:
        assert not entry.pages and entry.source == "extension"
    else:
        assert entry.pages, "a documented interface names the page that documents it"
        assert entry.source == ", ".join(entry.pages)
    if entry.status is Status.NOT_IMPLEMENTED:
        assert entry.note, "say why openisales does not serve it"


def test_task_groups_are_listed_as_not_implemented_with_the_reason() -> None:
    groups = interfaces.find("POST", interfaces.V1 + "/groupcalldata")
    assert groups is not None and groups.status is Status.NOT_IMPLEMENTED
    assert groups.pages == ("cec_07_0768",)
    assert "campaignGroupId" in groups.note and "task groups" in groups.note


# ----------------------------------------------------------------------------- OpenAPI
def test_every_operation_of_the_openapi_document_names_its_source(
    document: dict[str, Any],
) -> None:
    operations = list(_operations(document))
    assert len(operations) > 40
    for method, path, operation in operations:
        entry = interfaces.find(method, path)
        assert entry is not None, (method, path)
        assert operation["x-isales-source"] == entry.source
        assert operation["x-isales-status"] == entry.status.value
        assert operation["summary"] == entry.title
        first = operation["description"].split("\n\n", 1)[0]
        assert first == interfaces.source_text(entry)
        assert all(f"{page}.html" in first for page in entry.pages)


def test_a_documented_operation_keeps_its_own_description_after_the_source(
    document: dict[str, Any],
) -> None:
    operation = document["paths"][interfaces.V1 + "/file/addServer"]["post"]
    source, own = operation["description"].split("\n\n", 1)
    assert "cec_07_0792" in source and "cec_07_4050" in source
    assert own.startswith("Register an SFTP server")


def test_the_document_is_described_once_however_often_it_is_read(app: FastAPI) -> None:
    first = app.openapi()
    again = app.openapi()
    operation = again["paths"][interfaces.V1 + "/blocklist/add"]["post"]
    assert operation["description"].count("Source:") == 1
    assert first == again


def test_the_openapi_description_holds_the_conformance_table(document: dict[str, Any]) -> None:
    description = document["info"]["description"]
    assert interfaces.table() in description
    assert reference.result_code_table() in description


# ----------------------------------------------------------------------------- docs/api.md
def test_api_md_has_the_current_table_in_its_conformance_section() -> None:
    text = (ROOT / "docs/api.md").read_text(encoding="utf-8")
    section = text.split("\n## Conformance\n", 1)[1].split("\n## ", 1)[0]
    assert reference.INTERFACES.block() in section, (
        "run python -m openisales.api.reference docs/api.md docs/architecture.md"
    )


def test_the_table_has_one_row_per_entry_with_its_flags() -> None:
    rows = interfaces.table().splitlines()[2:]
    assert len(rows) == len(INTERFACES)
    for row, entry in zip(rows, INTERFACES, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert cells[0] == entry.title
        assert entry.path in cells[1]
        flags = ["yes" if flag else "no" for flag in (entry.documented, entry.implemented)]
        assert cells[3:6] == [*flags, "yes" if entry.extension else "no"]


def test_regenerating_rewrites_a_stale_table() -> None:
    stale = f"# api\n\n{reference.INTERFACES.begin}\n| old |\n{reference.INTERFACES.end}\n"
    assert reference.with_table(stale) == f"# api\n\n{reference.INTERFACES.block()}\n"


# ----------------------------------------------------------------------------- not served
@pytest.mark.parametrize("entry", NOT_SERVED, ids=lambda e: e.title)
def test_a_client_calling_an_interface_not_served_is_told_so(
    isales: ISalesClient, entry: Interface
) -> None:
    version, _, rest = entry.path.removeprefix("/rest/isales/").partition("/openapi/campaigns/")
    suffix = rest.removeprefix("{vdnId}").replace("{campaignId}", "46")
    answer = isales.request(entry.methods[0], suffix, json={}, version=version)
    assert (answer.status_code, answer.json()["resultCode"]) in {
        (404, "0200104"),
        (405, "0200105"),
    }
