"""What imports need first: ``add-server`` registers a file server, ``create-campaign`` a campaign."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from openisales.client.cli.options import JsonOpt, ProfileOpt
from openisales.client.cli.output import emit, send
from openisales.client.cli.profile import open_client


def add_server(
    user: Annotated[str, typer.Option("--user", help="SFTP user name.")],
    ip: Annotated[str, typer.Option("--ip")],
    path: Annotated[str, typer.Option("--path", help="Default folder on the server.")],
    password: Annotated[
        str,
        typer.Option("--password", prompt=True, hide_input=True, envvar="OPENISALES_SFTP_PASSWORD"),
    ],
    port: Annotated[int, typer.Option("--port")] = 22,
    require_done_marker: Annotated[
        bool,
        typer.Option(
            "--require-done-marker",
            help="Imports wait for <file>.done beside the file before they fetch it.",
        ),
    ] = False,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an SFTP file server and print its serverId."""
    marker = True if require_done_marker else None  # sent only when asked for
    with open_client(profile) as isales:
        answer = send(
            lambda: isales.add_server(user, password, ip, port, path, require_done_marker=marker),
            as_json,
        )
    emit(answer, as_json, answer["serverId"])


def _field(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


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
    with open_client(profile) as isales:
        answer = send(lambda: isales.create_campaign(**body), as_json)
    emit(answer, as_json, answer["returnObject"]["id"])
