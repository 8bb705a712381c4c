"""The tenant profile a client command signs with: where it comes from, and ``configure``.

``--profile PATH`` when given; otherwise the environment over the default profile file
``~/.config/openisales/profile.json`` that ``openisales client configure`` writes (mode 0600).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from openisales.auth.notify import notify_key
from openisales.client import ISalesClient
from openisales.client.cli.options import ProfileOpt
from openisales.client.cli.output import EXIT_USAGE, die

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_PROFILE = Path("~/.config/openisales/profile.json")
ENVIRONMENT = (
    ("url", "OPENISALES_URL"),
    ("accessKey", "OPENISALES_ACCESS_KEY"),
    ("secretKey", "OPENISALES_SECRET_KEY"),
    ("vdnId", "OPENISALES_VDN_ID"),
    ("caFile", "OPENISALES_CA_FILE"),
)


@dataclass(frozen=True)
class Profile:
    """A service URL and the tenant's keys and VDN, with an optional CA bundle for HTTPS."""

    url: str
    access_key: str
    secret_key: str
    vdn_id: int
    ca_file: str | None = None


def _read_profile(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.expanduser().read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        die(f"cannot read profile {path}: {exc}", EXIT_USAGE)
    if not isinstance(data, dict):
        die(f"profile {path} is not a JSON object", EXIT_USAGE)
    return data


def _profile_values(path: Path | None) -> dict[str, Any]:
    """The explicit profile's fields, else the environment's over the default profile's."""
    if path is not None:
        return _read_profile(path)
    default = DEFAULT_PROFILE.expanduser()
    values = _read_profile(default) if default.is_file() else {}
    for key, var in ENVIRONMENT:
        if os.environ.get(var):
            values[key] = os.environ[var]
    return values


def load_profile(path: Path | None) -> Profile:
    """The explicit profile, else the environment over the default profile file."""
    values = _profile_values(path)
    missing = [key for key in ("accessKey", "secretKey", "vdnId") if not values.get(key)]
    if missing:
        die(
            f"no {', '.join(missing)}: set OPENISALES_ACCESS_KEY, OPENISALES_SECRET_KEY and "
            "OPENISALES_VDN_ID, or run `openisales client configure`",
            EXIT_USAGE,
        )
    try:
        vdn_id = int(values["vdnId"])
    except (TypeError, ValueError):
        die(f"vdnId must be a number, got {values['vdnId']!r}", EXIT_USAGE)
    return Profile(
        url=str(values.get("url") or DEFAULT_URL),
        access_key=str(values["accessKey"]),
        secret_key=str(values["secretKey"]),
        vdn_id=vdn_id,
        ca_file=str(values["caFile"]) if values.get("caFile") else None,
    )


def open_client(profile: Path | None) -> ISalesClient:
    """A client signed with the profile's keys (see :func:`load_profile`)."""
    p = load_profile(profile)
    return ISalesClient(p.url, p.access_key, p.secret_key, p.vdn_id, verify=p.ca_file or True)


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
        die(f"cannot write {path}: {exc}", EXIT_USAGE)
    typer.echo(f"profile written to {path}")


def show_notify_key(profile: ProfileOpt = None) -> None:
    """Print the notify key that checks this tenant's import notices (derived from its SK).

    Give it to the receiver of ``--notify-url``: it checks notices and cannot sign requests.
    """
    typer.echo(notify_key(load_profile(profile).secret_key))
