"""A synchronous CC-iSales OpenAPI client whose requests are signed with ``auth-v2``."""

from __future__ import annotations

import json as jsonlib
import ssl
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from openisales.auth.signing import Variant, format_timestamp, sign

__all__ = ["AuthV2", "ISalesClient", "ISalesClientError", "ISalesHTTPError", "ISalesResponseError"]

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"

Params = Mapping[str, str | int | float | bool | None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuthV2(httpx.Auth):
    """Add an ``auth-v2`` Authorization header to every request.

    The signature covers the request's final Host, Content-Length and Content-Type headers
    (those present), its raw path without the query, its decoded query parameters and its body.
    """

    requires_request_body = True  # the body is part of the signature

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        clock: Callable[[], datetime] | None = None,
        variant: Variant = "hex",
    ) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._clock = clock or _utc_now
        self._variant: Variant = variant

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        content_type = request.headers.get("content-type")
        if content_type is not None and content_type.split(";")[0].strip().lower() == (
            "application/json"
        ):
            # The OpenAPI fixes Content-Type to this exact value. httpx's json= gives a bare
            # "application/json", so set it before signing, because Content-Type is a signed header.
            request.headers["Content-Type"] = JSON_CONTENT_TYPE
        raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        request.headers["Authorization"] = sign(
            access_key=self._access_key,
            secret_key=self._secret_key,
            method=request.method,
            path=raw_path,
            query=request.url.params.multi_items(),
            headers=dict(request.headers.items()),
            body=request.content,
            timestamp=format_timestamp(self._clock()),
            variant=self._variant,
        )
        yield request


class ISalesClientError(Exception):
    """Base class for errors raised by :class:`ISalesClient`."""


class ISalesHTTPError(ISalesClientError):
    """A non-2xx HTTP response. ``envelope`` is the JSON body if it was a JSON object."""

    def __init__(self, status_code: int, envelope: dict[str, Any] | None, body: bytes) -> None:
        self.status_code = status_code
        self.envelope = envelope
        self.body = body
        detail = envelope if envelope is not None else body[:200].decode("utf-8", "replace")
        super().__init__(f"HTTP {status_code}: {detail}")


class ISalesResponseError(ISalesClientError):
    """A 2xx response whose body is not a JSON object (no result envelope)."""


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:  # covers JSONDecodeError and undecodable text
        return None
    return data if isinstance(data, dict) else None


def _segment(value: str | int) -> str:
    # Identifiers go into the path. Escape them so that "/" or "?" cannot redirect the call.
    return quote(str(value), safe="")


def _drop_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


class ISalesClient:
    """Signed client for ``/rest/isales/{version}/openapi/campaigns/{vdnId}``.

    Business result codes (``resultCode`` other than ``0200000``) are returned, not raised.
    Only non-2xx HTTP statuses raise :class:`ISalesHTTPError`.
    """

    def __init__(
        self,
        base_url: str,
        access_key: str,
        secret_key: str,
        vdn_id: int,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        verify: bool | str = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.vdn_id = vdn_id
        # httpx 0.28 deprecates verify=<path>, so build the context from the CA bundle ourselves.
        tls: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        )
        self._http = httpx.Client(
            base_url=base_url,
            auth=AuthV2(access_key, secret_key, clock=clock),
            transport=transport,
            timeout=timeout,
            verify=tls,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying HTTP connection pool."""
        self._http.close()

    def _url(self, path: str, version: str) -> str:
        if path and not path.startswith("/"):
            raise ValueError(f"path must be empty or start with '/': {path!r}")
        return f"/rest/isales/{version}/openapi/campaigns/{self.vdn_id}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
        version: str = "v1",
    ) -> httpx.Response:
        """Send a signed request and return the raw response. This never raises on status."""
        content: bytes | None = None
        headers: dict[str, str] = {}
        if json is not None:
            # Encode the body ourselves so that the bytes and the Content-Type are fixed (UTF-8).
            content = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = JSON_CONTENT_TYPE
        query = _drop_none(params) if params is not None else None
        return self._http.request(
            method.upper(),
            self._url(path, version),
            content=content,
            params=query,
            headers=headers,
        )

    def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Params | None = None,
        version: str = "v1",
    ) -> dict[str, Any]:
        """Send a signed request and return the JSON envelope.

        Raises :class:`ISalesHTTPError` for a non-2xx status, and :class:`ISalesResponseError`
        when a 2xx body is not a JSON object.
        """
        response = self.request(method, path, json=json, params=params, version=version)
        envelope = _json_object(response)
        if not response.is_success:
            raise ISalesHTTPError(response.status_code, envelope, response.content)
        if envelope is None:
            raise ISalesResponseError(
                f"HTTP {response.status_code} response is not a JSON object: "
                f"{response.content[:200].decode('utf-8', 'replace')}"
            )
        return envelope

    # -- file servers -------------------------------------------------------------------------

    def add_server(
        self, user_name: str, password: str, ip: str, port: int | str, file_path: str
    ) -> dict[str, Any]:
        """Register an SFTP file server. The envelope carries ``serverId``."""
        body = {
            "userName": user_name,
            "serverPwd": password,
            "serverInfo": {"ip": ip, "port": port, "filePath": file_path},
        }
        return self.call("POST", "/file/addServer", json=body)

    def query_servers(self, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """List file servers, one page at a time."""
        return self.call("POST", "/file/queryServer", json={"offset": offset, "limit": limit})

    def update_server(
        self,
        server_id: str,
        user_name: str,
        ip: str,
        port: int | str,
        file_path: str,
        password: str | None = None,
    ) -> dict[str, Any]:
        """Update a file server. The password is required by the server when the IP changes."""
        body: dict[str, Any] = {
            "userName": user_name,
            "serverInfo": {"ip": ip, "port": port, "filePath": file_path},
        }
        if password is not None:
            body["serverPwd"] = password
        return self.call("POST", f"/file/{_segment(server_id)}/updateServer", json=body)

    def delete_server(self, server_id: str) -> dict[str, Any]:
        """Delete a file server."""
        return self.call("POST", f"/file/{_segment(server_id)}/deleteServer")

    # -- campaigns ----------------------------------------------------------------------------

    def create_campaign(self, **fields: Any) -> dict[str, Any]:
        """Create a campaign from the given OpenAPI fields."""
        return self.call("POST", "", json=fields)

    def get_campaign(self, campaign_id: int | str) -> dict[str, Any]:
        """Fetch one campaign."""
        return self.call("GET", f"/{_segment(campaign_id)}")

    def list_campaigns(self, **params: str | int | float | bool | None) -> dict[str, Any]:
        """List campaigns. Keyword arguments become query parameters (``None`` ones are dropped)."""
        return self.call("GET", "", params=params)

    def modify_campaign(self, campaign_id: int | str, **fields: Any) -> dict[str, Any]:
        """Modify a campaign."""
        return self.call("PUT", f"/{_segment(campaign_id)}", json=fields)

    def delete_campaign(self, campaign_id: int | str) -> dict[str, Any]:
        """Delete a campaign."""
        return self.call("DELETE", f"/{_segment(campaign_id)}")

    def pause_campaign(self, campaign_id: int | str) -> dict[str, Any]:
        """Pause a campaign."""
        return self.call("PUT", f"/{_segment(campaign_id)}/pause")

    def resume_campaign(self, campaign_id: int | str) -> dict[str, Any]:
        """Resume a paused campaign."""
        return self.call("PUT", f"/{_segment(campaign_id)}/resume")

    # -- call data imports --------------------------------------------------------------------

    def upload_file_server(
        self,
        campaign_id: int | str,
        server_id: str,
        file_name: str,
        file_path: str | None = None,
        hour: int | None = None,
        minute: int | None = None,
    ) -> dict[str, Any]:
        """Import a call data file from a file server. The envelope carries ``importTaskId``."""
        body = _drop_none(
            {
                "serverId": server_id,
                "filePath": file_path,
                "fileName": file_name,
                "hour": hour,
                "minute": minute,
            }
        )
        return self.call(
            "POST", f"/calldatafile/uploadFileServer/{_segment(campaign_id)}", json=body
        )

    def query_import_tasks(
        self,
        campaign_id: int | str,
        offset: int = 0,
        limit: int = 100,
        import_task_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        """Page through a campaign's import tasks, optionally filtered by task id."""
        body: dict[str, Any] = {"offset": offset, "limit": limit}
        if import_task_ids is not None:
            body["importTaskIds"] = list(import_task_ids)
        return self.call(
            "POST", f"/calldatafile/queryDataImportTask/{_segment(campaign_id)}", json=body
        )

    def download_failures(self, import_task_id: str, fmt: str = "xlsx") -> bytes:
        """Download an import task's failed rows. Raises :class:`ISalesHTTPError` on non-2xx."""
        response = self.request(
            "GET",
            f"/calldatafile/importTasks/{_segment(import_task_id)}/failures",
            params={"format": fmt},
        )
        if not response.is_success:
            raise ISalesHTTPError(response.status_code, _json_object(response), response.content)
        return response.content

    # -- import schedules (extension) ---------------------------------------------------------

    def list_schedules(
        self, campaign_id: int | str | None = None, offset: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """A campaign's daily imports, or the blocklist's when ``campaign_id`` is None."""
        path = (
            "/blackfile/schedules"
            if campaign_id is None
            else f"/calldatafile/schedules/{_segment(campaign_id)}"
        )
        return self.call("GET", path, params={"offset": offset, "limit": limit})

    def cancel_schedule(self, schedule_id: str) -> dict[str, Any]:
        """Stop a daily import."""
        return self.call("POST", f"/importSchedules/{_segment(schedule_id)}/cancel")

    # -- blocklist ----------------------------------------------------------------------------

    def add_blocklist(
        self,
        numbers: list[str],
        validity_expiration_time: str | None = None,
        validity_time: int | None = None,
        restrict_times: int | None = None,
        restrict_period: str | None = None,
    ) -> dict[str, Any]:
        """Add numbers to the tenant's blocklist."""
        body = _drop_none(
            {
                "blocklist": list(numbers),
                "validityExpirationTime": validity_expiration_time,
                "validityTime": validity_time,
                "restrictTimes": restrict_times,
                "restrictPeriod": restrict_period,
            }
        )
        return self.call("POST", "/blocklist/add", json=body)

    def delete_blocklist(self, number: str) -> dict[str, Any]:
        """Remove one number from the blocklist."""
        return self.call("POST", "/blocklist/delete", json={"blocklistNo": number})

    def query_blocklist(
        self, numbers: list[str] | None = None, offset: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """Page through the blocklist, optionally only the given numbers."""
        body: dict[str, Any] = {"offset": offset, "limit": limit}
        if numbers:
            body["blocklist"] = list(numbers)
        return self.call("POST", "/blocklist/query", json=body)

    def upload_blackfile(
        self,
        server_id: str,
        file_name: str,
        file_path: str | None = None,
        hour: int | None = None,
        minute: int | None = None,
    ) -> dict[str, Any]:
        """Import a blocklist file from a file server. The envelope carries ``importTaskId``."""
        body = _drop_none(
            {
                "serverId": server_id,
                "filePath": file_path,
                "fileName": file_name,
                "hour": hour,
                "minute": minute,
            }
        )
        return self.call("POST", "/blackfile/uploadFileServer", json=body)

    def query_blackfile_tasks(
        self, offset: int = 0, limit: int = 100, import_task_ids: list[str] | None = None
    ) -> dict[str, Any]:
        """Page through the tenant's blocklist import tasks."""
        body: dict[str, Any] = {"offset": offset, "limit": limit}
        if import_task_ids is not None:
            body["importTaskIds"] = list(import_task_ids)
        return self.call("POST", "/blackfile/queryDataImportTask", json=body)
