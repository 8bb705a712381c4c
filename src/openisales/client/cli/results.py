"""``openisales client results`` and ``statistics``: what the dialling of a campaign produced."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from openisales.client.cli.imports import Campaign
from openisales.client.cli.options import JsonOpt, ProfileOpt
from openisales.client.cli.output import listing, out, print_json, send
from openisales.client.cli.profile import open_client

RESULT_COLUMNS = ["sessionId", "called", "callStatus", "failCode", "callTimeStr", "callId"]
STATISTICS_COLUMNS = [
    "campaignId",
    "totalCount",
    "unCallCount",
    "totalCalledCount",
    "totalFinishCount",
    "totalCallSucc",
    "dailyCalledCount",
    "dailyCallSucc",
]


def results(
    campaign: Campaign,
    every: Annotated[
        bool,
        typer.Option("--every", help="Every call (showDetail 1), not each record's final result."),
    ] = False,
    session_id: Annotated[str | None, typer.Option("--session-id")] = None,
    called: Annotated[
        str | None, typer.Option("--called", help="Only calls to this number.")
    ] = None,
    call_status: Annotated[
        int | None, typer.Option("--call-status", min=5, max=6, help="5 failed, 6 success.")
    ] = None,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=100)] = 20,
    page: Annotated[int, typer.Option("--page", min=1, help="pageNum, from 1.")] = 1,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Page through a campaign's call results (the callresult query)."""
    with open_client(profile) as isales:
        answer = send(
            lambda: isales.query_results(
                campaign,
                session_id=session_id,
                called=called,
                call_status=call_status,
                page_size=page_size,
                page_num=page,
                show_detail=1 if every else None,
            ),
            as_json,
        )
    listing(answer, RESULT_COLUMNS, as_json, rows="data")
    if not as_json:
        out.print(f"{answer.get('totalCount', 0)} in all")


def statistics(
    campaign: Annotated[
        int | None, typer.Option("--campaign", help="Default: every campaign.")
    ] = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A campaign's counts: records, uncalled, called, finished, successful (V2 statistics)."""
    with open_client(profile) as isales:
        answer = send(lambda: isales.statistics(campaign), as_json)
    if as_json:
        print_json(answer)
        return
    # One column per campaign, one row per count: the counts' names stay readable on a terminal.
    details = answer.get("countDetail") or []
    table = Table("", *(f"campaign {row.get('campaignId', '')}" for row in details))
    for key in STATISTICS_COLUMNS[1:]:
        table.add_row(key, *(str(row.get(key, "")) for row in details))
    out.print(table)
