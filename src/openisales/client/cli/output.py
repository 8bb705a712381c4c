"""What a client command prints, and the exit code it ends with when the service says no."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.table import Table

from openisales.client import ISalesHTTPError, ISalesResponseError

SUCCESS = "0200000"
EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_IMPORT_FAILED, EXIT_UNREACHABLE = 0, 1, 2, 3, 4

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def die(message: str, code: int) -> NoReturn:
    """Print ``error: message`` on stderr and end the command with this exit code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def send(action: Callable[[], dict[str, Any]], as_json: bool = False) -> dict[str, Any]:
    """Run one call; a refusal or an unreachable service ends the command with its exit code."""
    try:
        envelope = action()
    except httpx.HTTPError as exc:
        die(f"cannot reach the service: {exc}", EXIT_UNREACHABLE)
    except ISalesHTTPError as exc:
        body = exc.envelope
        if body is not None and "resultCode" in body and exc.status_code < 500:
            _refused(body, as_json, f" (HTTP {exc.status_code})")
        die(f"the service answered HTTP {exc.status_code}", EXIT_UNREACHABLE)
    except ISalesResponseError as exc:
        die(str(exc), EXIT_UNREACHABLE)
    if envelope.get("resultCode") != SUCCESS:
        _refused(envelope, as_json)
    return envelope


def _refused(envelope: dict[str, Any], as_json: bool, suffix: str = "") -> NoReturn:
    if as_json:
        print_json(envelope)
    die(f"{envelope.get('resultCode')}: {envelope.get('resultDesc')}{suffix}", EXIT_REFUSED)


def print_json(envelope: dict[str, Any]) -> None:
    """Print the envelope as one line of JSON."""
    typer.echo(json.dumps(envelope, ensure_ascii=False))


def emit(envelope: dict[str, Any], as_json: bool, text: object) -> None:
    """The raw envelope with --json, else the line a person (or a shell variable) wants."""
    if as_json:
        print_json(envelope)
    else:
        typer.echo(str(text))


def listing(
    envelope: dict[str, Any], columns: list[str], as_json: bool, rows: str = "result"
) -> None:
    """A query's rows (under ``rows``) as a table, or the raw envelope with --json."""
    if as_json:
        print_json(envelope)
    else:
        table = Table(*columns)
        for row in envelope.get(rows) or []:
            table.add_row(*(str(row.get(key, "")) for key in columns))
        out.print(table)
