"""Result push benchmark: N results recorded while the receiver is down, then it comes up.

What one run does, on SQLite (a file in a temporary directory) and/or a throwaway PostgreSQL
cluster (``tests.support.servers.PostgresServer``), each freshly migrated:

1. a tenant (``--max-pushes``, default 2: the tenant's pushes per result) and a campaign whose
   ``callBackUrl`` is a real HTTP receiver on loopback (``tests.support.receivers.Receiver``);
2. the pusher thread of a worker (``worker.pusher``), on the real clock, with the default
   settings (batches of 100, an idle poll of 1 s);
3. **outage** (unless ``--outage 0``): the receiver stops listening; N results (default 1,000)
   are recorded through ``services.dispatch_results.record`` (500 per call, as the dialer
   interface takes them); after ``--outage`` seconds (default 5) the receiver listens again;
4. the run waits until no result is pending or being delivered, and prints: how long the
   receiver was down from the first result recorded, seconds from the receiver coming up until
   the last result was delivered (its ``delivered_at``), POSTs made (failed ones: no answer; answered ones by status), results delivered,
   undeliverable, and whether the receiver got every callId exactly once.

Run: ``PYTHONPATH=src python bench/push_bench.py [--db sqlite|postgres|both] [--results N]
[--outage S] [--max-pushes K]``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from prometheus_client import REGISTRY  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from tests.support.receivers import Receiver  # noqa: E402

from openisales.domain.record_row import record_row  # noqa: E402
from openisales.domain.result_delivery import DeliveryState  # noqa: E402
from openisales.services import (  # noqa: E402
    campaigns,
    dispatch,
    dispatch_results,
    result_deliveries,
    tenants,
)
from openisales.services.campaigns import CampaignInput  # noqa: E402
from openisales.services.dispatch import LeaseRequest  # noqa: E402
from openisales.services.dispatch_results import Report  # noqa: E402
from openisales.services.runtime import Runtime  # noqa: E402
from openisales.settings import Settings  # noqa: E402
from openisales.storage import migrate  # noqa: E402
from openisales.storage.bulk import load_records  # noqa: E402
from openisales.storage.models import ResultDelivery  # noqa: E402
from openisales.worker import pusher  # noqa: E402

VDN_ID = 1
UNSETTLED = (DeliveryState.PENDING, DeliveryState.DELIVERING)


def set_up(rt: Runtime, receiver_url: str, results: int, max_pushes: int) -> int:
    """A tenant, a campaign pushing to ``receiver_url``, and ``results`` records; its id."""
    now = datetime.now(UTC)
    with rt.db.transaction() as session:
        tenants.create(session, rt.box, VDN_ID, "UTC", now, result_push_max=max_pushes)
        data = CampaignInput(
            name="push bench", description=None, begin=now.strftime("%Y-%m-%d 00:00:00"),
            end=(now + timedelta(days=30)).strftime("%Y-%m-%d 00:00:00"), device_type=2,
            caller_no="10086", max_alerting_time=None, init_status=None,
            params={"callBackUrl": receiver_url},
        )  # fmt: skip
        campaign = campaigns.create(session, VDN_ID, data, now)
        rows = [
            record_row(
                campaign_pk=campaign.pk, session_id=f"s{i}", called_key=f"138{i:08d}",
                called=f'[{{"calledNo":"138{i:08d}"}}]', caller=None, custom_field=f"cf{i}",
                recycle_time=None, call_data=None, priority=None, status=0, import_task_id=None,
                row_number=None,
            )
            for i in range(results)
        ]  # fmt: skip
        load_records(session, rows, now)
        return campaign.campaign_id


def record_all(rt: Runtime, campaign_id: int, results: int) -> None:
    """Lease every record and record a result for each, 500 per call."""
    left = results
    while left:
        now = datetime.now(UTC)
        with rt.db.transaction() as session:
            leased = dispatch.lease(
                session, VDN_ID, campaign_id, LeaseRequest("bench", min(500, left), 600), now
            )
            reports = [
                Report(r["leaseId"], 6, "00000", f"call-{r['dataId']}", now.strftime("%F %T"))
                for r in leased
            ]
            dispatch_results.record(session, VDN_ID, campaign_id, reports, now)
        rt.results_recorded.set()  # as the results route does
        left -= len(reports)


def pushes_by_status() -> Counter[str]:
    counted: Counter[str] = Counter()
    for metric in REGISTRY.collect():
        if metric.name == "openisales_result_pushes":
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    counted[sample.labels["status"]] += int(sample.value)
    return counted


def run(url: str, data_dir: Path, args: argparse.Namespace) -> None:
    settings = Settings(data_dir=data_dir, database_url=url, allow_local_server_addresses=True)
    rt = Runtime.from_settings(settings)
    receiver = Receiver()
    stop = threading.Event()
    before = pushes_by_status()
    try:
        migrate.upgrade(rt.db.engine)
        campaign_id = set_up(rt, receiver.url, args.results, args.max_pushes)
        thread = pusher.start(rt, stop)
        if args.outage:
            receiver.down()
        began = time.monotonic()
        record_all(rt, campaign_id, args.results)
        recorded = time.monotonic() - began
        time.sleep(max(0.0, args.outage - recorded))
        if args.outage:
            receiver.up()
        up, up_at = time.monotonic(), datetime.now(UTC)
        counts = wait_settled(rt)
        stop.set()
        rt.results_recorded.set()
        thread.join(30)
        with rt.db.read() as session:
            last = session.scalar(select(func.max(ResultDelivery.delivered_at)))
        after_up = None if last is None else (last - up_at).total_seconds()
        report(args, counts, receiver, recorded, after_up, up - began, before)
    finally:
        stop.set()
        receiver.close()
        rt.close()


def wait_settled(rt: Runtime) -> dict[DeliveryState, int]:
    while True:
        with rt.db.read() as session:
            counts = result_deliveries.counts(session, VDN_ID)
        if not any(counts[state] for state in UNSETTLED):
            return counts
        time.sleep(0.05)


def report(
    args: argparse.Namespace,
    counts: dict[DeliveryState, int],
    receiver: Receiver,
    recorded: float,
    after_up: float | None,
    down_for: float,
    before: Counter[str],
) -> None:
    posts = pushes_by_status() - before
    ids = Counter(item["callId"] for item in receiver.delivered())
    once = len(ids) == counts[DeliveryState.DELIVERED] and set(ids.values()) <= {1}
    print(
        f"  {args.results:,} results recorded in {recorded:.2f} s, "
        + (f"receiver down {down_for:.2f} s" if args.outage else "receiver up")
        + f", max pushes {args.max_pushes}",
        flush=True,
    )
    if after_up is None:
        print("  nothing delivered")
    else:
        print(f"  last result delivered {after_up:.2f} s after the receiver came up")
    print(
        f"  POSTs: {sum(posts.values())} ("
        + ", ".join(f"{status}: {n}" for status, n in sorted(posts.items()))
        + ")"
    )
    print(
        f"  delivered {counts[DeliveryState.DELIVERED]:,}, undeliverable "
        f"{counts[DeliveryState.UNDELIVERABLE]:,}; each delivered callId received once: {once}"
    )


def sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="push-bench-") as folder:
        print(f"SQLite ({folder}/bench.db)", flush=True)
        run(f"sqlite:///{folder}/bench.db", Path(folder) / "data", args)


def postgres(args: argparse.Namespace) -> None:
    from tests.support.servers import PostgresServer

    server = PostgresServer()
    try:
        server.start()
        url = server.create_database("push_bench")
        print(f"PostgreSQL ({server.bin_dir})", flush=True)
        with tempfile.TemporaryDirectory(prefix="push-bench-") as folder:
            run(url, Path(folder), args)
    finally:
        server.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark on the databases asked for and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--results", type=int, default=1000)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds; 0: no outage")
    parser.add_argument("--max-pushes", type=int, default=2)
    args = parser.parse_args(argv)
    logging.getLogger("openisales").setLevel(logging.ERROR)  # failed pushes are the point
    if args.db in ("sqlite", "both"):
        sqlite(args)
    if args.db in ("postgres", "both"):
        postgres(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
