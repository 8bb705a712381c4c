"""Submitting a file-server import and following its task to the end, for both kinds of import.

Exit codes: 0 when the task ends in status 2 (or with ``--no-wait``, or when it is a schedule),
3 when it ends in status 3 (failed), with its errMsg on stderr.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openisales.client import ISalesClient
from openisales.client.cli.output import (
    EXIT_IMPORT_FAILED,
    EXIT_REFUSED,
    EXIT_USAGE,
    die,
    err,
    print_json,
    send,
)
from openisales.client.cli.profile import open_client

POLL_SECONDS = 0.5

Envelope = dict[str, Any]
Submit = Callable[[ISalesClient], Envelope]
TaskQuery = Callable[[ISalesClient, list[str]], Envelope]


def check_schedule_options(hour: int | None, minute: int | None) -> None:
    """End the command with a usage error unless --hour and --minute come together or not at all."""
    if (hour is None) != (minute is None):
        die("--hour and --minute go together", EXIT_USAGE)


def submit_and_follow(
    profile: Path | None, submit: Submit, query: TaskQuery, *, wait: bool, as_json: bool
) -> None:
    """Submit the import, then report its task id, or follow the task and report how it ended."""
    with open_client(profile) as isales:
        answer = send(lambda: submit(isales), as_json)
        task_id = str(answer["importTaskId"])
        if not wait or answer.get("scheduleId"):
            _report_submitted(answer, task_id, as_json)
            return
        end = _follow(lambda: query(isales, [task_id]), task_id, as_json)
    _report_end(end, profile, as_json)


def _report_submitted(answer: Envelope, task_id: str, as_json: bool) -> None:
    if as_json:
        print_json(answer)
    elif answer.get("scheduleId"):
        typer.echo(f"{task_id} (first run of schedule {answer['scheduleId']})")
    else:
        typer.echo(task_id)


def _follow(query: Callable[[], Envelope], task_id: str, as_json: bool) -> Envelope:
    """Poll the task until it ends, with a progress bar of processedNum/totalNum on stderr."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=as_json) as progress:
        bar = progress.add_task(f"task {task_id}", total=None)
        while True:
            answer = send(query, as_json)
            rows = answer.get("result") or []
            if not rows:
                die(f"import task {task_id} not found", EXIT_REFUSED)
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


def _report_end(answer: Envelope, profile: Path | None, as_json: bool) -> None:
    task = answer["result"][0]
    if as_json:
        print_json(answer)
    if task["status"] == "3":
        die(f"import task {task['id']} failed: {task.get('errMsg') or ''}", EXIT_IMPORT_FAILED)
    if as_json:
        return
    counts = ", ".join(
        f"{key} {task.get(key, 0)}"
        for key in ("totalNum", "succNum", "failNum", "repeatNum", "blackNum")
    )
    ended = "validated (dry run)" if task.get("validateOnly") else "completed"
    typer.echo(f"import task {task['id']} {ended}: {counts}")
    if task.get("errMsg"):
        typer.echo(task["errMsg"])
    if task.get("movedTo"):  # known once the move is done, a moment after the task ended
        typer.echo(f"file moved to {task['movedTo']}")
    if int(task.get("failNum") or 0) > 0:
        option = f" --profile {profile}" if profile else ""
        typer.echo(
            f"failure report: openisales client failures {task['id']}{option} "
            f"--format xlsx --output {task['id']}-failures.xlsx"
        )
