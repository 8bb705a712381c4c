"""The CC-iSales OpenAPI interfaces as methods of a synchronous, ``auth-v2``-signed client."""

from __future__ import annotations

from typing import Any

import httpx

from openisales.client.auth import AuthV2
from openisales.client.errors import ISalesClientError, ISalesHTTPError, ISalesResponseError
from openisales.client.session import SignedSession, drop_none, json_object, segment

__all__ = ["AuthV2", "ISalesClient", "ISalesClientError", "ISalesHTTPError", "ISalesResponseError"]


def _file_import(
    server_id: str,
    file_name: str,
    file_path: str | None,
    hour: int | None,
    minute: int | None,
    validate_only: bool = False,
    move_after_import: bool = False,
    notify_url: str | None = None,
) -> dict[str, Any]:
    """The body of a file-server import; hour and minute make it a daily schedule.

    ``validate_only`` (extension) makes it a dry run; ``move_after_import`` (extension) moves
    the file into done/ or failed/ after the run; ``notify_url`` (extension) is where the
    task's record is POSTed once it ends. Each is sent only when set.
    """
    fields = {
        "serverId": server_id,
        "filePath": file_path,
        "fileName": file_name,
        "hour": hour,
        "minute": minute,
        "validateOnly": True if validate_only else None,
        "moveAfterImport": True if move_after_import else None,
        "notifyUrl": notify_url,
    }
    return drop_none(fields)


def _file_content(response: httpx.Response) -> bytes:
    """A downloaded file's bytes; ISalesHTTPError when the answer is a refusal (non-2xx)."""
    if not response.is_success:
        raise ISalesHTTPError(response.status_code, json_object(response), response.content)
    return response.content


def _task_page(offset: int, limit: int, import_task_ids: list[str] | None) -> dict[str, Any]:
    """The body of an import task query, optionally only the given task ids."""
    body: dict[str, Any] = {"offset": offset, "limit": limit}
    if import_task_ids is not None:
        body["importTaskIds"] = list(import_task_ids)
    return body


class ISalesClient(SignedSession):
    """Signed client for ``/rest/isales/{version}/openapi/campaigns/{vdnId}``.

    Business result codes (``resultCode`` other than ``0200000``) are returned, not raised.
    Only non-2xx HTTP statuses raise :class:`ISalesHTTPError`.
    """

    # -- file servers -------------------------------------------------------------------------

    def add_server(
        self,
        user_name: str,
        password: str,
        ip: str,
        port: int | str,
        file_path: str,
        *,
        require_done_marker: bool | None = None,
    ) -> dict[str, Any]:
        """Register an SFTP file server. The envelope carries ``serverId``.

        ``require_done_marker`` (extension): imports wait for ``<file>.done`` beside the file.
        """
        body: dict[str, Any] = {
            "userName": user_name,
            "serverPwd": password,
            "serverInfo": {"ip": ip, "port": port, "filePath": file_path},
        }
        if require_done_marker is not None:
            body["requireDoneMarker"] = require_done_marker
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
        *,
        require_done_marker: bool | None = None,
    ) -> dict[str, Any]:
        """Update a file server. The password is required by the server when the IP changes.

        ``require_done_marker`` (extension): None keeps the stored setting.
        """
        body: dict[str, Any] = {
            "userName": user_name,
            "serverInfo": {"ip": ip, "port": port, "filePath": file_path},
        }
        if password is not None:
            body["serverPwd"] = password
        if require_done_marker is not None:
            body["requireDoneMarker"] = require_done_marker
        return self.call("POST", f"/file/{segment(server_id)}/updateServer", json=body)

    def delete_server(self, server_id: str) -> dict[str, Any]:
        """Delete a file server."""
        return self.call("POST", f"/file/{segment(server_id)}/deleteServer")

    # -- campaigns ----------------------------------------------------------------------------

    def create_campaign(self, **fields: Any) -> dict[str, Any]:
        """Create a campaign from the given OpenAPI fields."""
        return self.call("POST", "", json=fields)

    def get_campaign(self, campaign_id: int | str) -> dict[str, Any]:
        """Fetch one campaign."""
        return self.call("GET", f"/{segment(campaign_id)}")

    def list_campaigns(self, **params: str | int | float | bool | None) -> dict[str, Any]:
        """List campaigns. Keyword arguments become query parameters (``None`` ones are dropped)."""
        return self.call("GET", "", params=params)

    def modify_campaign(self, campaign_id: int | str, **fields: Any) -> dict[str, Any]:
        """Modify a campaign."""
        return self.call("PUT", f"/{segment(campaign_id)}", json=fields)

    def delete_campaign(
        self, campaign_id: int | str, archive_history: int | None = None
    ) -> dict[str, Any]:
        """Delete a campaign; ``archive_history=1`` keeps it and its records in history."""
        body = None if archive_history is None else {"archiveHistory": archive_history}
        return self.call("DELETE", f"/{segment(campaign_id)}", json=body)

    def pause_campaign(self, campaign_id: int | str) -> dict[str, Any]:
        """Pause a campaign."""
        return self.call("PUT", f"/{segment(campaign_id)}/pause")

    def resume_campaign(self, campaign_id: int | str) -> dict[str, Any]:
        """Resume a paused campaign."""
        return self.call("PUT", f"/{segment(campaign_id)}/resume")

    # -- call data imports --------------------------------------------------------------------

    def upload_file_server(
        self,
        campaign_id: int | str,
        server_id: str,
        file_name: str,
        file_path: str | None = None,
        hour: int | None = None,
        minute: int | None = None,
        validate_only: bool = False,
        move_after_import: bool = False,
        notify_url: str | None = None,
    ) -> dict[str, Any]:
        """Import a call data file from a file server. The envelope carries ``importTaskId``.

        ``validate_only``: a dry run (extension) that validates and counts, and imports nothing.
        ``move_after_import`` (extension): the file is moved into done/ or failed/ afterwards.
        ``file_name`` may hold a date pattern such as ``calls_$(yyyyMMdd).xlsx``.
        ``notify_url``: where the task's record is POSTed, signed, once it ends (extension).
        """
        body = _file_import(
            server_id,
            file_name,
            file_path,
            hour,
            minute,
            validate_only,
            move_after_import,
            notify_url,
        )
        return self.call(
            "POST", f"/calldatafile/uploadFileServer/{segment(campaign_id)}", json=body
        )

    def query_import_tasks(
        self,
        campaign_id: int | str,
        offset: int = 0,
        limit: int = 100,
        import_task_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        """Page through a campaign's import tasks, optionally filtered by task id."""
        body = _task_page(offset, limit, import_task_ids)
        return self.call(
            "POST", f"/calldatafile/queryDataImportTask/{segment(campaign_id)}", json=body
        )

    def download_failures(self, import_task_id: str, fmt: str = "xlsx") -> bytes:
        """Download an import task's failed rows. Raises :class:`ISalesHTTPError` on non-2xx."""
        return _file_content(self.failures_response(import_task_id, fmt))

    def failures_response(self, import_task_id: str, fmt: str = "xlsx") -> httpx.Response:
        """The raw response to a failure report download: the file, or a refusal envelope."""
        return self._task_file(import_task_id, "failures", fmt)

    def download_mapping(self, import_task_id: str, fmt: str = "csv") -> bytes:
        """Download a finished import's record mapping (row number -> dataId, sessionId, calledNo).

        Raises :class:`ISalesHTTPError` on non-2xx; a refusal (unknown or unfinished task)
        comes back as a JSON envelope instead of the file: see ``mapping_response``.
        """
        return _file_content(self.mapping_response(import_task_id, fmt))

    def mapping_response(self, import_task_id: str, fmt: str = "csv") -> httpx.Response:
        """The raw response to a mapping download: the file, or a refusal envelope."""
        return self._task_file(import_task_id, "mapping", fmt)

    def _task_file(self, import_task_id: str, kind: str, fmt: str) -> httpx.Response:
        path = f"/calldatafile/importTasks/{segment(import_task_id)}/{kind}"
        return self.request("GET", path, params={"format": fmt})

    # -- import schedules (extension) ---------------------------------------------------------

    def list_schedules(
        self, campaign_id: int | str | None = None, offset: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """A campaign's daily imports, or the blocklist's when ``campaign_id`` is None."""
        path = (
            "/blackfile/schedules"
            if campaign_id is None
            else f"/calldatafile/schedules/{segment(campaign_id)}"
        )
        return self.call("GET", path, params={"offset": offset, "limit": limit})

    def cancel_schedule(self, schedule_id: str) -> dict[str, Any]:
        """Stop a daily import."""
        return self.call("POST", f"/importSchedules/{segment(schedule_id)}/cancel")

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
        body = drop_none(
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
        validate_only: bool = False,
        move_after_import: bool = False,
        notify_url: str | None = None,
    ) -> dict[str, Any]:
        """Import a blocklist file from a file server. The envelope carries ``importTaskId``.

        The options are those of ``upload_file_server``.
        """
        body = _file_import(
            server_id,
            file_name,
            file_path,
            hour,
            minute,
            validate_only,
            move_after_import,
            notify_url,
        )
        return self.call("POST", "/blackfile/uploadFileServer", json=body)

    def query_blackfile_tasks(
        self, offset: int = 0, limit: int = 100, import_task_ids: list[str] | None = None
    ) -> dict[str, Any]:
        """Page through the tenant's blocklist import tasks."""
        body = _task_page(offset, limit, import_task_ids)
        return self.call("POST", "/blackfile/queryDataImportTask", json=body)

    # -- dialer and results -------------------------------------------------------------------

    def lease(
        self, campaign_id: int | str, dialer_id: str, limit: int = 100, lease_seconds: int = 300
    ) -> dict[str, Any]:
        """Lease numbers to call now (extension); ``returnObject.records`` holds them."""
        body = {"dialerId": dialer_id, "limit": limit, "leaseSeconds": lease_seconds}
        return self.call("POST", f"/dialer/{segment(campaign_id)}/lease", json=body)

    def report_results(
        self, campaign_id: int | str, results: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Report leases' outcomes (extension); ``returnObject.results`` answers each one."""
        return self.call(
            "POST", f"/dialer/{segment(campaign_id)}/results", json={"results": list(results)}
        )

    def query_results(
        self,
        campaign_id: int | str,
        *,
        session_id: str | None = None,
        custom_field: str | None = None,
        page_size: int | None = None,
        page_num: int | None = None,
        show_detail: int | None = None,
        begin_time: str | None = None,
        end_time: str | None = None,
        called: str | None = None,
        call_status: int | None = None,
    ) -> dict[str, Any]:
        """Query a campaign's call results (``totalCount``, ``data``); days are ``yyyy-MM-dd``.

        ``show_detail`` 1 lists every call, 0 (the service's default) each finished record's
        final result. ``called`` and ``call_status`` are openisales extensions.
        """
        body = drop_none(
            {
                "sessionId": session_id,
                "customField": custom_field,
                "pageSize": page_size,
                "pageNum": page_num,
                "showDetail": show_detail,
                "beginTime": begin_time,
                "endTime": end_time,
                "called": called,
                "callStatus": call_status,
            }
        )
        return self.call("POST", f"/callresult/{segment(campaign_id)}", json=body)

    def statistics(
        self, campaign_id: int | str | None = None, batch_id: str | None = None
    ) -> dict[str, Any]:
        """The V2 daily statistics (``countDetail``): every campaign's, or one campaign's."""
        params = drop_none({"campaignId": campaign_id, "batchId": batch_id})
        return self.call("GET", "/statistics", params=params, version="v2")
