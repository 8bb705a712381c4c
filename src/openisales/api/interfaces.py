"""Every interface: what openisales serves, what CC-iSales documents, and the page saying so.

One registry, ``INTERFACES``, read by three things:

- the OpenAPI document: each operation's summary, the first line of its description (its source
  pages, linked) and its ``x-isales-source`` / ``x-isales-status`` fields (``install``);
- the conformance table, in the OpenAPI description and in docs/api.md between the
  ``interfaces`` markers (``table``, written by ``python -m openisales.api.reference``);
- tests/docs/test_interfaces.py: every route of the app has an entry, every entry openisales
  serves has its route, and a documented interface not served says why.

Page ids are Huawei's: ``cec_07_07xx`` for the 2025-11 edition ("Outbound Call Interface
Reference"), ``cec_07_40xx`` for the 2023-09 one; an entry lists those confirmed (see
shared reference/ISALES_API.md, section 5), the 2025-11 page first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Mount

V1 = "/rest/isales/v1/openapi/campaigns/{vdnId}"
V2 = "/rest/isales/v2/openapi/campaigns/{vdnId}"
PAGE_URL = "https://support.huaweicloud.com/intl/en-us/api-cec/{page}.html"
EXTENSION_SOURCE = "extension"


class Status(StrEnum):
    """Where an interface stands: documented and served, openisales' own, or not served."""

    IMPLEMENTED = "implemented"
    EXTENSION = "extension"
    NOT_IMPLEMENTED = "not implemented"


@dataclass(frozen=True)
class Interface:
    """One interface: its methods and path, its source pages, and what openisales does with it.

    ``subtree`` covers the path and every path below it (the console's pages, one entry for
    the lot); ``pushed`` is an interface openisales calls at the customer's, so no route of
    its own serves it.
    """

    title: str
    methods: tuple[str, ...]
    path: str
    pages: tuple[str, ...] = ()
    status: Status = Status.IMPLEMENTED
    note: str = ""
    subtree: bool = False
    pushed: bool = False

    @property
    def documented(self) -> bool:
        return bool(self.pages)

    @property
    def implemented(self) -> bool:
        return self.status is not Status.NOT_IMPLEMENTED

    @property
    def extension(self) -> bool:
        return self.status is Status.EXTENSION

    @property
    def served(self) -> bool:
        """A route of openisales answers it."""
        return self.implemented and not self.pushed

    @property
    def source(self) -> str:
        """The ``x-isales-source`` value: the page ids, or ``extension``."""
        return ", ".join(self.pages) if self.pages else EXTENSION_SOURCE

    def covers(self, method: str, path: str) -> bool:
        if method not in self.methods:
            return False
        return path == self.path or (self.subtree and path.startswith(self.path + "/"))


def _doc(title: str, method: str, path: str, *pages: str, note: str = "") -> Interface:
    return Interface(title, (method,), path, pages, Status.IMPLEMENTED, note)


def _own(title: str, method: str, path: str, note: str = "") -> Interface:
    return Interface(title, (method,), path, (), Status.EXTENSION, note)


def _missing(title: str, method: str, path: str, *pages: str, note: str) -> Interface:
    return Interface(title, (method,), path, pages, Status.NOT_IMPLEMENTED, note)


_GROUPS_NOTE = (
    "the published page gives only the import body (at most 20 records, priority 1-5, default "
    "3) and no interface to create or manage task groups, so there is nothing a campaignGroupId "
    "could name"
)
_APPOINT_NOTE = (
    "a reservation books a call for an agent (userAccount or workNo) of the contact centre; "
    "openisales has no agents and places no call itself (an external dialer leases numbers)"
)
_RETRY_NOTE = (
    "the same retryPolicy is set and read through the V2 campaign create, modify and details, "
    "which the V2 page recommends instead of this interface"
)

INTERFACES: tuple[Interface, ...] = (
    # File servers (cec_07_0792-0795).
    _doc("Add a file server", "POST", V1 + "/file/addServer", "cec_07_0792", "cec_07_4050"),
    _doc("Query file servers", "POST", V1 + "/file/queryServer", "cec_07_0795", "cec_07_4053"),
    _doc(
        "Modify a file server",
        "POST",
        V1 + "/file/{serverId}/updateServer",
        "cec_07_0794",
        "cec_07_4052",
    ),
    _doc(
        "Delete a file server",
        "POST",
        V1 + "/file/{serverId}/deleteServer",
        "cec_07_0793",
        "cec_07_4051",
    ),
    # Call-data file import and its tasks.
    _doc(
        "Import call data from a file server",
        "POST",
        V1 + "/calldatafile/uploadFileServer/{campaignId}",
        "cec_07_0766",
        "cec_07_4038",
        note="validateOnly (dry run) is an extension",
    ),
    _doc(
        "Query call-data import tasks",
        "POST",
        V1 + "/calldatafile/queryDataImportTask/{campaignId}",
        "cec_07_0767",
        "cec_07_4039",
    ),
    _own(
        "Failure report of an import task",
        "GET",
        V1 + "/calldatafile/importTasks/{importTaskId}/failures",
        "every rejected row, as xlsx or csv",
    ),
    _own(
        "Record mapping of an import task",
        "GET",
        V1 + "/calldatafile/importTasks/{importTaskId}/mapping",
        "row number to dataId, sessionId and calledNo of every stored record, as csv or xlsx",
    ),
    _own(
        "Daily call-data imports of a campaign", "GET", V1 + "/calldatafile/schedules/{campaignId}"
    ),
    _own("Daily blocklist imports", "GET", V1 + "/blackfile/schedules"),
    _own("Cancel a daily import", "POST", V1 + "/importSchedules/{scheduleId}/cancel"),
    # Call data in JSON.
    _doc("Add call data (V1)", "POST", V1 + "/calldata/{campaignId}", "cec_07_0759", "cec_07_4031"),
    _doc("Add call data (V2)", "POST", V2 + "/calldata/{campaignId}", "cec_07_0760", "cec_07_4032"),
    _missing(
        "Add call data to a task group",
        "POST",
        V1 + "/groupcalldata",
        "cec_07_0768",
        note=_GROUPS_NOTE,
    ),
    _doc(
        "Delete call data",
        "POST",
        V1 + "/calldata/{campaignId}/delete",
        "cec_07_0761",
        "cec_07_4033",
    ),
    _doc(
        "Query one call record",
        "GET",
        V1 + "/calldata/{campaignId}/{dataId}",
        "cec_07_0764",
        "cec_07_4036",
    ),
    _own("List a campaign's call records", "GET", V1 + "/calldata/{campaignId}"),
    _doc("Call-data statistics", "GET", V2 + "/statistics", "cec_07_0765", "cec_07_4037"),
    # Blocklist (cec_07_0743-0749).
    _doc("Add blocklisted numbers", "POST", V1 + "/blocklist/add", "cec_07_0744", "cec_07_4024"),
    _doc(
        "Delete a blocklisted number",
        "POST",
        V1 + "/blocklist/delete",
        "cec_07_0745",
        "cec_07_4025",
    ),
    _doc("Delete the whole blocklist", "DELETE", V1 + "/blocklist", "cec_07_0746"),
    _doc("Query the blocklist", "POST", V1 + "/blocklist/query", "cec_07_0747", "cec_07_4027"),
    _doc(
        "Import a blocklist from a file server",
        "POST",
        V1 + "/blackfile/uploadFileServer",
        "cec_07_0748",
        "cec_07_4028",
        note="validateOnly (dry run) is an extension",
    ),
    _doc(
        "Query blocklist import tasks",
        "POST",
        V1 + "/blackfile/queryDataImportTask",
        "cec_07_0749",
        "cec_07_4029",
    ),
    # The dialer: openisales places no call itself.
    _own("Lease numbers to call", "POST", V1 + "/dialer/{campaignId}/lease"),
    _own("Report call results", "POST", V1 + "/dialer/{campaignId}/results"),
    # Results.
    _doc(
        "Query outbound call results",
        "POST",
        V1 + "/callresult/{campaignId}",
        "cec_07_0783",
        "cec_07_4041",
    ),
    Interface(
        "Push outbound call results",
        ("POST",),
        "{callBackUrl}",
        ("cec_07_0788", "cec_07_4046"),
        note="openisales sends it to the customer's receiver; no route of its own",
        pushed=True,
    ),
    # Call batches (cec_07_0770-0775).
    _doc("Add a call batch", "POST", V1 + "/callbatch/{campaignId}/create", "cec_07_0770"),
    _doc("Modify a call batch", "POST", V1 + "/callbatch/{campaignId}/update", "cec_07_0771"),
    _doc("Delete a call batch", "POST", V1 + "/callbatch/{campaignId}/delete", "cec_07_0772"),
    _doc("Pause a call batch", "POST", V1 + "/callbatch/{campaignId}/pause", "cec_07_0773"),
    _doc("Resume a call batch", "POST", V1 + "/callbatch/{campaignId}/resume", "cec_07_0774"),
    _doc("List call batches", "GET", V1 + "/callbatch/{campaignId}/list", "cec_07_0775"),
    # Calling numbers.
    _doc("Add calling numbers", "POST", V1 + "/callerNo/{campaignId}", "cec_07_0735"),
    _doc("Delete calling numbers", "DELETE", V1 + "/callerNo/{campaignId}", "cec_07_0736"),
    # Campaigns.
    _doc("Create a campaign (V1)", "POST", V1, "cec_07_0721", "cec_07_4001"),
    _doc("Create a campaign (V2)", "POST", V2, "cec_07_0722", "cec_07_4002"),
    _doc("Modify a campaign (V1)", "PUT", V1 + "/{campaignId}", "cec_07_4003"),
    _doc("Modify a campaign (V2)", "PUT", V2 + "/{campaignId}", "cec_07_0724", "cec_07_4004"),
    _doc("Delete a campaign", "DELETE", V1 + "/{campaignId}", "cec_07_4005"),
    _doc("Campaign details", "GET", V1 + "/{campaignId}", "cec_07_4006"),
    _doc("List campaigns", "GET", V1, "cec_07_4007"),
    _doc("Pause a campaign", "PUT", V1 + "/{campaignId}/pause", "cec_07_4008"),
    _doc("Resume a campaign", "PUT", V1 + "/{campaignId}/resume", "cec_07_0729"),
    _missing(
        "Set a campaign's retry policy",
        "POST",
        V1 + "/retryPolicy/{campaignId}",
        "cec_07_0730",
        "cec_07_4010",
        note=_RETRY_NOTE,
    ),
    _missing(
        "Query a campaign's retry policy",
        "GET",
        V1 + "/retryPolicy/{campaignId}",
        "cec_07_4011",
        note=_RETRY_NOTE,
    ),
    # Reserved outbound calls.
    _missing(
        "Create a reserved call", "POST", V1 + "/appoint/create", "cec_07_0777", note=_APPOINT_NOTE
    ),
    _missing(
        "Modify a reserved call", "POST", V1 + "/appoint/update", "cec_07_0778", note=_APPOINT_NOTE
    ),
    _missing(
        "Record a reserved call's result",
        "POST",
        V1 + "/appoint/updateResult",
        "cec_07_0779",
        note=_APPOINT_NOTE,
    ),
    _missing(
        "Delete a reserved call", "POST", V1 + "/appoint/delete", "cec_07_0780", note=_APPOINT_NOTE
    ),
    _missing(
        "List reserved calls", "POST", V1 + "/appoint/list", "cec_07_0781", note=_APPOINT_NOTE
    ),
    # Outside /rest/isales/, unsigned.
    _own("Liveness", "GET", "/healthz"),
    _own("Readiness", "GET", "/readyz"),
    _own("Metrics (Prometheus)", "GET", "/metrics"),
    _own("OpenAPI document", "GET", "/openapi.json"),
    _own("Interactive API reference", "GET", "/docs"),
    Interface(
        "Web console",
        ("GET", "POST"),
        "/console",
        status=Status.EXTENSION,
        note="server-rendered pages, see operations.md",
        subtree=True,
    ),
)


def find(method: str, path: str) -> Interface | None:
    """The entry for a request's method and path template, if any."""
    return next((entry for entry in INTERFACES if entry.covers(method, path)), None)


# ----------------------------------------------------------------------------- the app's routes
def served_routes(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route, HEAD aside (it answers as its GET does).

    Mounts are left out: the one mount, ``/docs/assets``, serves Swagger UI's script and
    style files to the ``/docs`` page, not an interface.
    """
    for context in iter_route_contexts(routes):
        if isinstance(context.original_route, Mount) or context.path is None:
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            yield method, context.path


def unregistered(routes: Sequence[BaseRoute]) -> list[tuple[str, str]]:
    """Routes that have no entry (a new route someone forgot to register)."""
    return [(m, p) for m, p in served_routes(routes) if find(m, p) is None]


def unserved(routes: Sequence[BaseRoute]) -> list[Interface]:
    """Entries said to be served that no route serves (a route renamed or removed)."""
    present = list(served_routes(routes))
    return [entry for entry in INTERFACES if entry.served and not _has_every_method(entry, present)]


def _has_every_method(entry: Interface, present: Iterable[tuple[str, str]]) -> bool:
    covered = {method for method, path in present if entry.covers(method, path)}
    return covered == set(entry.methods)


# ----------------------------------------------------------------------------- text
def page_link(page: str) -> str:
    return f"[{page}]({PAGE_URL.format(page=page)})"


def source_text(entry: Interface) -> str:
    """The first paragraph of an operation's description: where the interface comes from."""
    if not entry.documented:
        return "Source: openisales extension (not a CC-iSales interface)."
    return "Source: CC-iSales, " + ", ".join(page_link(page) for page in entry.pages) + "."


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _method_and_path(entry: Interface) -> str:
    path = entry.path + ("/…" if entry.subtree else "")
    return f"`{' '.join(entry.methods)} {path}`"


def table() -> str:
    """The conformance table: one row per interface, in the registry's order."""
    lines = [
        "| interface | method and path | source page | documented | implemented | extension "
        "| note |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in INTERFACES:
        pages = ", ".join(page_link(page) for page in entry.pages) or EXTENSION_SOURCE
        cells = (
            entry.title,
            _method_and_path(entry),
            pages,
            _yes(entry.documented),
            _yes(entry.implemented),
            _yes(entry.extension),
            entry.note.replace("|", "\\|"),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- OpenAPI
def describe_operations(schema: dict[str, Any]) -> None:
    """Give each operation of an OpenAPI document its entry's title, source and status.

    Idempotent (FastAPI caches the document it returns). An operation without an entry is left
    as it is; the tests refuse such a route.
    """
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            entry = find(method.upper(), path)
            if entry is None or "x-isales-source" in operation:
                continue
            operation["summary"] = entry.title
            text = operation.get("description", "")
            operation["description"] = source_text(entry) + (f"\n\n{text}" if text else "")
            operation["x-isales-source"] = entry.source
            operation["x-isales-status"] = entry.status.value


def install(app: FastAPI) -> None:
    """Serve the app's OpenAPI document with every operation described from the registry."""
    plain: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        schema = plain()
        describe_operations(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
