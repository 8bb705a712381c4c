"""``openisales client``: the OpenAPI from the shell, every request signed with a tenant's AK/SK.

Credentials come from ``--profile PATH`` when given; otherwise from ``OPENISALES_URL`` (default
``http://127.0.0.1:8080``), ``OPENISALES_ACCESS_KEY``, ``OPENISALES_SECRET_KEY``,
``OPENISALES_VDN_ID`` and ``OPENISALES_CA_FILE``, each falling back to the default profile
``~/.config/openisales/profile.json`` that ``openisales client configure`` writes (mode 0600).

Output is a table or a line of text; ``--json`` prints the service's raw envelope instead.

Exit codes:

* 0 success (``import``: the task ended in status 2, or was submitted with ``--no-wait`` or as
  a schedule)
* 1 the service answered with a resultCode other than 0200000, including a refused signature
  (HTTP 401) or another tenant's VDN (403); resultCode and resultDesc are printed on stderr
* 2 usage or configuration error (bad option, no credentials, unreadable profile)
* 3 the import task ended in status 3 (failed); its errMsg is printed on stderr
* 4 the service cannot be reached, or answered an HTTP error without an iSales envelope
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openisales.client import ISalesClient, ISalesHTTPError, ISalesResponseError

SUCCESS = "0200000"
EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_IMPORT_FAILED, EXIT_UNREACHABLE = 0, 1, 2, 3, 4
DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_PROFILE = Path("~/.config/openisales/profile.json")
POLL_SECONDS = 0.5

client_app = typer.Typer(
    help="Call the service as a tenant, every request signed with its AK/SK.",
    no_args_is_help=True,
    epilog="Exit codes: 0 success, 1 non-success resultCode, 2 usage/configuration, "
    "3 import failed (status 3), 4 service unreachable or HTTP error.",
)
blocklist_app = typer.Typer(help="The tenant's blocklist.", no_args_is_help=True)
client_app.add_typer(blocklist_app, name="blocklist")

ProfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="Profile file (default: environment, then ~/.config/openisales/profile.json).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the raw response envelope.")]
_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)


@dataclass(frozen=True)
class Profile:
    url: str
    access_key: str
    secret_key: str
    vdn_id: int
    ca_file: str | None = None


def _die(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _read_profile(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.expanduser().read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _die(f"cannot read profile {path}: {exc}", EXIT_USAGE)
    if not isinstance(data, dict):
        _die(f"profile {path} is not a JSON object", EXIT_USAGE)
    return data


def load_profile(path: Path | None) -> Profile:
    """The explicit profile, else the environment over the default profile file."""
    if path is not None:
        values = _read_profile(path)
    else:
        default = DEFAULT_PROFILE.expanduser()
        values = _read_profile(default) if default.is_file() else {}
        for key, var in (
            ("url", "OPENISALES_URL"),
            ("accessKey", "OPENISALES_ACCESS_KEY"),
            ("secretKey", "OPENISALES_SECRET_KEY"),
            ("vdnId", "OPENISALES_VDN_ID"),
            ("caFile", "OPENISALES_CA_FILE"),
        ):
            if os.environ.get(var):
                values[key] = os.environ[var]
    missing = [key for key in ("accessKey", "secretKey", "vdnId") if not values.get(key)]
    if missing:
        _die(
            f"no {', '.join(missing)}: set OPENISALES_ACCESS_KEY, OPENISALES_SECRET_KEY and "
            "OPENISALES_VDN_ID, or run `openisales client configure`",
            EXIT_USAGE,
        )
    try:
        vdn_id = int(values["vdnId"])
    except (TypeError, ValueError):
        _die(f"vdnId must be a number, got {values['vdnId']!r}", EXIT_USAGE)
    return Profile(
        url=str(values.get("url") or DEFAULT_URL),
        access_key=str(values["accessKey"]),
        secret_key=str(values["secretKey"]),
        vdn_id=vdn_id,
        ca_file=str(values["caFile"]) if values.get("caFile") else None,
    )


def _client(profile: Path | None) -> ISalesClient:
    p = load_profile(profile)
    return ISalesClient(p.url, p.access_key, p.secret_key, p.vdn_id, verify=p.ca_file or True)


def _send(action: Callable[[], dict[str, Any]], as_json: bool = False) -> dict[str, Any]:
    """Run one call; a refusal or an unreachable service ends the command with its exit code."""
    try:
        envelope = action()
    except httpx.HTTPError as exc:
        _die(f"cannot reach the service: {exc}", EXIT_UNREACHABLE)
    except ISalesHTTPError as exc:
        body = exc.envelope
        if body is not None and "resultCode" in body and exc.status_code < 500:
            _refused(body, as_json, f" (HTTP {exc.status_code})")
        _die(f"the service answered HTTP {exc.status_code}", EXIT_UNREACHABLE)
    except ISalesResponseError as exc:
        _die(str(exc), EXIT_UNREACHABLE)
    if envelope.get("resultCode") != SUCCESS:
        _refused(envelope, as_json)
    return envelope


def _refused(envelope: dict[str, Any], as_json: bool, suffix: str = "") -> NoReturn:
    if as_json:
        typer.echo(json.dumps(envelope, ensure_ascii=False))
    _die(f"{envelope.get('resultCode')}: {envelope.get('resultDesc')}{suffix}", EXIT_REFUSED)


def _print_json(envelope: dict[str, Any]) -> None:
    typer.echo(json.dumps(envelope, ensure_ascii=False))


def _emit(envelope: dict[str, Any], as_json: bool, text: object) -> None:
    """The raw envelope with --json, else the line a person (or a shell variable) wants."""
    if as_json:
        _print_json(envelope)
    else:
        typer.echo(str(text))


def _listing(envelope: dict[str, Any], columns: list[str], as_json: bool) -> None:
    """A query's ``result`` rows as a table, or the raw envelope with --json."""
    if as_json:
        _print_json(envelope)
    else:
        _table(columns, envelope.get("result") or [])


def _table(columns: list[str], rows: list[dict[str, Any]], keys: list[str] | None = None) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row.get(key, "")) for key in keys or columns))
    _out.print(table)


# -- configure, file servers, campaigns -----------------------------------------------------------


@client_app.command("configure")
def configure(
    access_key: Annotated[str, typer.Option("--access-key", prompt=True)],
    secret_key: Annotated[str, typer.Option("--secret-key", prompt=True, hide_input=True)],
    vdn_id: Annotated[int, typer.Option("--vdn-id", prompt=True, min=1, max=9999)],
    url: Annotated[str, typer.Option("--url")] = DEFAULT_URL,
    ca_file: Annotated[str | None, typer.Option("--ca-file", help="CA bundle for HTTPS.")] = None,
    profile: ProfileOpt = None,
) -> None:
    """Write the profile file (mode 0600) that later commands sign with."""
    path = (profile or DEFAULT_PROFILE).expanduser()
    data = {"url": url, "accessKey": access_key, "secretKey": secret_key, "vdnId": vdn_id}
    if ca_file:
        data["caFile"] = ca_file
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2)
    except OSError as exc:
        _die(f"cannot write {path}: {exc}", EXIT_USAGE)
    typer.echo(f"profile written to {path}")


@client_app.command("add-server")
def add_server(
    user: Annotated[str, typer.Option("--user", help="SFTP user name.")],
    ip: Annotated[str, typer.Option("--ip")],
    path: Annotated[str, typer.Option("--path", help="Default folder on the server.")],
    password: Annotated[
        str,
        typer.Option("--password", prompt=True, hide_input=True, envvar="OPENISALES_SFTP_PASSWORD"),
    ],
    port: Annotated[int, typer.Option("--port")] = 22,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an SFTP file server and print its serverId."""
    with _client(profile) as isales:
        answer = _send(lambda: isales.add_server(user, password, ip, port, path), as_json)
    _emit(answer, as_json, answer["serverId"])


def _field(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


@client_app.command("create-campaign")
def create_campaign(
    name: Annotated[str, typer.Option("--name")],
    begin: Annotated[str, typer.Option("--begin", help="strBeginTime, yyyy-mm-dd hh:mm:ss")],
    end: Annotated[str, typer.Option("--end", help="strEndTime, yyyy-mm-dd hh:mm:ss")],
    device_type: Annotated[int, typer.Option("--device-type", help="deviceType 1-6.")] = 2,
    fields: Annotated[
        list[str] | None, typer.Option("--field", help="Any other field, KEY=VALUE (JSON value).")
    ] = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a campaign and print its id."""
    body: dict[str, Any] = {
        "name": name,
        "deviceType": device_type,
        "strBeginTime": begin,
        "strEndTime": end,
    }
    body.update(_field(text) for text in fields or [])
    with _client(profile) as isales:
        answer = _send(lambda: isales.create_campaign(**body), as_json)
    _emit(answer, as_json, answer["returnObject"]["id"])


# -- imports ----------------------------------------------------------------------------------


def _follow(query: Callable[[], dict[str, Any]], task_id: str, as_json: bool) -> dict[str, Any]:
    """Poll the task until it ends, with a progress bar of processedNum/totalNum on stderr."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_err, transient=True, disable=as_json) as progress:
        bar = progress.add_task(f"task {task_id}", total=None)
        while True:
            answer = _send(query, as_json)
            rows = answer.get("result") or []
            if not rows:
                _die(f"import task {task_id} not found", EXIT_REFUSED)
            task: dict[str, Any] = rows[0]
            total = int(task.get("totalNum") or 0)
            progress.update(
                bar,
                total=total or None,
                completed=int(task.get("processedNum") or 0),
                description=f"task {task_id} ({'running' if task['status'] == '1' else 'queued'})",
            )
            if task["status"] in ("2", "3"):
                return answer
            time.sleep(POLL_SECONDS)


def _report_end(answer: dict[str, Any], profile: Path | None, as_json: bool) -> None:
    task = answer["result"][0]
    if as_json:
        _print_json(answer)
    if task["status"] == "3":
        _die(f"import task {task['id']} failed: {task.get('errMsg') or ''}", EXIT_IMPORT_FAILED)
    if as_json:
        return
    counts = ", ".join(
        f"{key} {task.get(key, 0)}"
        for key in ("totalNum", "succNum", "failNum", "repeatNum", "blackNum")
    )
    typer.echo(f"import task {task['id']} completed: {counts}")
    if task.get("errMsg"):
        typer.echo(task["errMsg"])
    if int(task.get("failNum") or 0) > 0:
        option = f" --profile {profile}" if profile else ""
        typer.echo(
            f"failure report: openisales client failures {task['id']}{option} "
            f"--format xlsx --output {task['id']}-failures.xlsx"
        )


def _submitted(
    answer: dict[str, Any],
    query: Callable[[], dict[str, Any]],
    wait: bool,
    profile: Path | None,
    as_json: bool,
) -> None:
    task_id = str(answer["importTaskId"])
    if not wait or answer.get("scheduleId"):
        if as_json:
            _print_json(answer)
        elif answer.get("scheduleId"):
            typer.echo(f"{task_id} (first run of schedule {answer['scheduleId']})")
        else:
            typer.echo(task_id)
        return
    _report_end(_follow(query, task_id, as_json), profile, as_json)


Hour = Annotated[
    int | None, typer.Option("--hour", min=0, max=23, help="Daily at hh (with --minute).")
]
Minute = Annotated[int | None, typer.Option("--minute", min=0, max=59)]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Print the importTaskId and return.")]
ServerId = Annotated[str, typer.Option("--server-id")]
FileName = Annotated[str, typer.Option("--file", help="File name on the server.")]
FilePath = Annotated[str | None, typer.Option("--path", help="Folder (default: the server's).")]


def _check_schedule_options(hour: int | None, minute: int | None) -> None:
    if (hour is None) != (minute is None):
        _die("--hour and --minute go together", EXIT_USAGE)


@client_app.command("import")
def import_file(
    campaign: Annotated[int, typer.Option("--campaign", help="Campaign id.")],
    server_id: ServerId,
    file_name: FileName,
    file_path: FilePath = None,
    hour: Hour = None,
    minute: Minute = None,
    no_wait: NoWait = False,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a call data file from a file server and follow the task until it ends."""
    _check_schedule_options(hour, minute)
    with _client(profile) as isales:
        answer = _send(
            lambda: isales.upload_file_server(
                campaign, server_id, file_name, file_path, hour, minute
            ),
            as_json,
        )
        task_id = str(answer["importTaskId"])
        query = partial(isales.query_import_tasks, campaign, import_task_ids=[task_id])
        _submitted(answer, query, not no_wait, profile, as_json)


TASK_COLUMNS = [
    "id",
    "status",
    "fileName",
    "totalNum",
    "processedNum",
    "succNum",
    "failNum",
    "repeatNum",
    "blackNum",
    "beginTime",
    "endTime",
    "errMsg",
]


@client_app.command("tasks")
def tasks(
    campaign: Annotated[int, typer.Option("--campaign", help="Campaign id.")],
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 100,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a campaign's import tasks."""
    with _client(profile) as isales:
        answer = _send(lambda: isales.query_import_tasks(campaign, offset, limit), as_json)
    _listing(answer, TASK_COLUMNS, as_json)


@client_app.command("failures")
def failures(
    task_id: Annotated[str, typer.Argument(help="importTaskId")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option("--output", help="Default: <id>-failures.<format>")
    ] = None,
    profile: ProfileOpt = None,
) -> None:
    """Download an import task's failure report (every rejected row with column and reason)."""
    if fmt not in ("xlsx", "csv"):
        _die(f"--format must be xlsx or csv, got {fmt!r}", EXIT_USAGE)
    target = output or Path(f"{task_id}-failures.{fmt}")
    with _client(profile) as isales:
        data: dict[str, Any] = {}

        def download() -> dict[str, Any]:
            path = f"/calldatafile/importTasks/{quote(task_id, safe='')}/failures"
            response = isales.request("GET", path, params={"format": fmt})
            is_json = "json" in response.headers.get("content-type", "")
            envelope: dict[str, Any] | None = response.json() if is_json else None
            if not response.is_success:
                raise ISalesHTTPError(response.status_code, envelope, response.content)
            if envelope is not None:  # a refusal (unknown task) comes as an envelope
                return envelope
            data["report"] = response.content
            return {"resultCode": SUCCESS}

        _send(download)
    try:
        target.write_bytes(data["report"])
    except OSError as exc:
        _die(f"cannot write {target}: {exc}", EXIT_USAGE)
    typer.echo(str(target))


SCHEDULE_COLUMNS = [
    "scheduleId",
    "status",
    "hour",
    "minute",
    "timeZone",
    "fileName",
    "filePath",
    "nextRunTime",
    "lastTaskId",
]


@client_app.command("schedules")
def schedules(
    campaign: Annotated[
        int | None, typer.Option("--campaign", help="Default: the blocklist's schedules.")
    ] = None,
    cancel: Annotated[str | None, typer.Option("--cancel", help="Cancel this scheduleId.")] = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List daily imports (a campaign's, or the blocklist's), or cancel one."""
    with _client(profile) as isales:
        if cancel is not None:
            answer = _send(lambda: isales.cancel_schedule(cancel), as_json)
            _emit(answer, as_json, f"schedule {cancel} cancelled")
            return
        answer = _send(lambda: isales.list_schedules(campaign), as_json)
    _listing(answer, SCHEDULE_COLUMNS, as_json)


# -- blocklist --------------------------------------------------------------------------------


@blocklist_app.command("add")
def blocklist_add(
    numbers: Annotated[list[str], typer.Argument(help="Numbers to block.")],
    validity_time: Annotated[int | None, typer.Option("--validity-time", help="Hours.")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="validityExpirationTime")] = None,
    restrict_times: Annotated[int | None, typer.Option("--restrict-times")] = None,
    restrict_period: Annotated[str | None, typer.Option("--restrict-period")] = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add numbers to the blocklist."""
    with _client(profile) as isales:
        answer = _send(
            lambda: isales.add_blocklist(
                numbers, expires, validity_time, restrict_times, restrict_period
            ),
            as_json,
        )
    _emit(answer, as_json, f"{len(numbers)} number(s) added")


@blocklist_app.command("delete")
def blocklist_delete(
    number: Annotated[str, typer.Argument()],
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a number from the blocklist."""
    with _client(profile) as isales:
        answer = _send(lambda: isales.delete_blocklist(number), as_json)
    _emit(answer, as_json, f"{number} deleted")


BLOCKLIST_COLUMNS = [
    "blocklistNo",
    "active",
    "validityExpirationTime",
    "validityTime",
    "restrictTimes",
    "restrictPeriod",
    "createTime",
]


@blocklist_app.command("query")
def blocklist_query(
    numbers: Annotated[list[str] | None, typer.Argument(help="Only these numbers.")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 100,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List blocklisted numbers."""
    with _client(profile) as isales:
        answer = _send(lambda: isales.query_blocklist(numbers, offset, limit), as_json)
    _listing(answer, BLOCKLIST_COLUMNS, as_json)


@blocklist_app.command("import")
def blocklist_import(
    server_id: ServerId,
    file_name: FileName,
    file_path: FilePath = None,
    hour: Hour = None,
    minute: Minute = None,
    no_wait: NoWait = False,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a blocklist file from a file server and follow the task until it ends."""
    _check_schedule_options(hour, minute)
    with _client(profile) as isales:
        answer = _send(
            lambda: isales.upload_blackfile(server_id, file_name, file_path, hour, minute), as_json
        )
        task_id = str(answer["importTaskId"])
        query = partial(isales.query_blackfile_tasks, import_task_ids=[task_id])
        _submitted(answer, query, not no_wait, profile, as_json)
