"""The command-line options that several ``openisales client`` commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ProfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="Profile file (default: environment, then ~/.config/openisales/profile.json).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the raw response envelope.")]
Offset = Annotated[int, typer.Option("--offset", min=0)]
Limit = Annotated[int, typer.Option("--limit", min=1, max=100)]

# A file-server import, of call data or of a blocklist.
ServerId = Annotated[str, typer.Option("--server-id")]
FileName = Annotated[
    str,
    typer.Option(
        "--file", help="File name on the server; may hold a date pattern: calls_$(yyyyMMdd).xlsx"
    ),
]
FilePath = Annotated[str | None, typer.Option("--path", help="Folder (default: the server's).")]
Hour = Annotated[
    int | None, typer.Option("--hour", min=0, max=23, help="Daily at hh (with --minute).")
]
Minute = Annotated[int | None, typer.Option("--minute", min=0, max=59)]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Print the importTaskId and return.")]
ValidateOnly = Annotated[
    bool,
    typer.Option("--validate-only", help="Dry run: validate and count the file, import nothing."),
]
MoveAfterImport = Annotated[
    bool,
    typer.Option(
        "--move-after-import",
        help="After the run, move the file on the server into done/ or failed/ beside it.",
    ),
]
NotifyUrl = Annotated[
    str | None,
    typer.Option("--notify-url", help="POST the task's record there, signed, once it ends."),
]
