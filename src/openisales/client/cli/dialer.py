"""``openisales dialer``: a simulated dialer against the dialer interface, and a push receiver.

``simulate`` leases a campaign's numbers through the signed interface, "calls" each one with
the seeded outcome model (``client.simulator``), paced to ``--rate`` calls a second, reports the
results, and prints what it did. ``receive`` listens for the result push and appends each
pushed result to a JSON-lines file. Credentials as for ``openisales client``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from openisales.client import ISalesClient
from openisales.client.cli.options import ProfileOpt
from openisales.client.cli.output import EXIT_USAGE, SUCCESS, die, send
from openisales.client.cli.profile import open_client
from openisales.client.receiver import ResultReceiver, tls_context
from openisales.client.simulator import FAILURES, SUCCESS_CODE, OutcomeModel, Pacer, parse_rate

IDLE_POLL_SECONDS = 1.0  # how long an empty lease waits before asking again
MEANINGS = {SUCCESS_CODE: "success", **{code: meaning for code, meaning, _ in FAILURES}}


@dataclass(frozen=True)
class Plan:
    """What ``simulate`` was asked to do."""

    campaign: int
    dialer_id: str
    batch: int
    lease_seconds: int
    rate: float
    until_empty: bool
    max_seconds: float | None


@dataclass
class Tally:
    """What a simulation did: leased numbers, recorded results by failCode, refused results."""

    leased: int = 0
    reported: int = 0
    fail_codes: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The summary as printed with --json."""
        return {
            "leased": self.leased,
            "reported": self.reported,
            "failCodes": dict(sorted(self.fail_codes.items())),
            "refused": dict(sorted(self.refused.items())),
            "seconds": round(self.seconds, 3),
        }


def _result(record: dict[str, Any], model: OutcomeModel) -> dict[str, Any]:
    """The report of one leased number, as the model says the call went."""
    key = record.get("sessionId") or int(record["dataId"])  # sessionId survives a re-import
    outcome = model.outcome(key, int(record["attempt"]), str(record["calledNo"]))
    lease_id = str(record["leaseId"])
    report = {
        "leaseId": lease_id,
        "callStatus": outcome.call_status,
        "failCode": outcome.fail_code,
        "callId": f"sim-{lease_id}",
        "callTimeStr": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    if outcome.answered:
        report["recordPath"] = f"/recordings/sim-{lease_id}.wav"
    return report


def _report(
    isales: ISalesClient, campaign: int, reports: list[dict[str, Any]], tally: Tally
) -> None:
    """Report a batch's results and count each one's answer."""
    answer = send(lambda: isales.report_results(campaign, reports))
    for report, item in zip(reports, answer["returnObject"]["results"], strict=True):
        if item["resultCode"] == SUCCESS:
            tally.reported += 1
            tally.fail_codes[report["failCode"]] += 1
        else:
            tally.refused[item["resultCode"]] += 1


def run_simulation(
    isales: ISalesClient,
    plan: Plan,
    model: OutcomeModel,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Tally:
    """Lease, call (by the model), pace and report until empty, out of time, or interrupted."""
    tally = Tally()
    started = clock()
    pacer = Pacer(plan.rate, started)

    def left() -> float:
        return float("inf") if plan.max_seconds is None else plan.max_seconds - (clock() - started)

    try:
        while left() > 0:
            answer = send(
                lambda: isales.lease(plan.campaign, plan.dialer_id, plan.batch, plan.lease_seconds)
            )
            records: list[dict[str, Any]] = answer["returnObject"]["records"]
            if not records:
                if plan.until_empty:
                    break
                sleep(min(IDLE_POLL_SECONDS, max(0.0, left())))
                continue
            tally.leased += len(records)
            reports = [_result(record, model) for record in records]
            sleep(pacer.wait(clock(), len(records)))  # the calls take their time at the rate
            _report(isales, plan.campaign, reports, tally)
    except KeyboardInterrupt:  # stop; numbers leased and not reported are callable on expiry
        pass
    tally.seconds = clock() - started
    return tally


def _print(tally: Tally, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(tally.as_dict()))
        return
    refused = sum(tally.refused.values())
    typer.echo(
        f"leased {tally.leased}, reported {tally.reported}, refused {refused}, "
        f"in {tally.seconds:.1f} s"
    )
    for code, count in sorted(tally.fail_codes.items()):
        typer.echo(f"  {code}  {MEANINGS.get(code, ''):<16} {count}")
    for code, count in sorted(tally.refused.items()):
        typer.echo(f"  refused {code}  {count}")


def _rate(text: str) -> float:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def simulate(
    campaign: Annotated[int, typer.Option("--campaign", help="Campaign id.")],
    answer_rate: Annotated[
        float, typer.Option("--answer-rate", min=0.0, max=1.0, help="Share of calls answered.")
    ] = 0.6,
    rate: Annotated[str, typer.Option("--rate", help="Calls at most: N/s, N/min or N/h.")] = "20/s",
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same outcomes.")] = 1,
    batch: Annotated[int, typer.Option("--batch", min=1, max=500, help="Numbers per lease.")] = 50,
    until_empty: Annotated[
        bool, typer.Option("--until-empty", help="Stop at the first lease that gets nothing.")
    ] = False,
    max_seconds: Annotated[
        float | None, typer.Option("--max-seconds", min=0.0, help="Stop after this long.")
    ] = None,
    dialer_id: Annotated[str, typer.Option("--dialer-id")] = "simulator",
    lease_seconds: Annotated[int, typer.Option("--lease-seconds", min=10, max=3600)] = 300,
    profile: ProfileOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the tally as JSON.")] = False,
) -> None:
    """Dial a campaign with simulated outcomes: lease, call, report; print the tally."""
    plan = Plan(campaign, dialer_id, batch, lease_seconds, _rate(rate), until_empty, max_seconds)
    model = OutcomeModel(seed, answer_rate)
    with open_client(profile) as isales:
        tally = run_simulation(isales, plan, model)
    _print(tally, as_json)


def receive(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0: any free port.")] = 8099,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    out: Annotated[Path, typer.Option("--out", help="JSON-lines file, appended to.")] = Path(
        "results.jsonl"
    ),
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM, for HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key.")] = None,
    notify_key: Annotated[
        str | None,
        typer.Option(
            "--notify-key",
            help="Check import notices with this key (openisales client notify-key prints it).",
        ),
    ] = None,
) -> None:
    """Receive the result push (and signed import notices): append each to --out, print counts."""
    if (tls_cert is None) != (tls_key is None):
        die("--tls-cert and --tls-key go together", EXIT_USAGE)

    def pushed(count: int, total: int) -> None:
        typer.echo(f"received {count} result(s), {total} in all")

    def noticed(record: dict[str, Any]) -> None:
        typer.echo(f"import task {record.get('id')} ended with status {record.get('status')}")

    try:
        tls = tls_context(tls_cert, tls_key) if tls_cert and tls_key else None
        server = ResultReceiver(
            (host, port), out, on_push=pushed, tls=tls, notify_key=notify_key, on_notice=noticed
        )
    except OSError as exc:
        die(f"cannot listen on {host}:{port}: {exc}", EXIT_USAGE)
    scheme = "https" if tls else "http"
    typer.echo(f"listening on {scheme}://{host}:{server.port}/, appending to {out}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    typer.echo(f"{server.received} result(s) received")
