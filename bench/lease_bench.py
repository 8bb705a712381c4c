"""Lease benchmark: leasing 500 numbers from a campaign of 500,000 records.

What one run does, on SQLite (a file in a temporary directory) and/or a throwaway PostgreSQL
cluster (``tests.support.servers.PostgresServer``), each freshly migrated:

1. a tenant and a campaign (``deviceType`` 2, 2099), then N records (default 500,000) written
   with ``storage.bulk.load_records`` as an import writes them: 1-3 numbers each, a priority
   1-5 on 80 % of them, a ``recycleTime`` in the future on 90 %;
2. the **first lease**, which enters every record into the dial queue (timed on its own);
3. **repeated leases** of 500 (``--leases``, default 40), each its own transaction, as a dialer
   calls the interface: p50, p99 (nearest rank) and max;
4. **results** for the leased numbers, 500 per call (a third success, the rest failures, so
   records move on to their next number): p50, p99 and max;
5. the same leases again with the head of the queue **not due** (``--waiting``, default 20,000
   records of the highest priority failed and wait for a retry), the queue's worst case.

Times are of the service call inside its transaction (``services.dispatch.lease`` and
``services.dispatch_results.record``), commit included; the HTTP and signature layers are not in
them. Run: ``PYTHONPATH=src python bench/lease_bench.py [--db sqlite|postgres|both]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import update  # noqa: E402

from openisales.domain.record_row import record_row  # noqa: E402
from openisales.services import campaigns, dispatch, dispatch_results, tenants  # noqa: E402
from openisales.services.campaigns import CampaignInput  # noqa: E402
from openisales.services.dispatch import LeaseRequest  # noqa: E402
from openisales.services.dispatch_results import Report  # noqa: E402
from openisales.storage import migrate  # noqa: E402
from openisales.storage.bulk import load_records  # noqa: E402
from openisales.storage.crypto import SecretBox  # noqa: E402
from openisales.storage.db import Database  # noqa: E402
from openisales.storage.models import DialEntry  # noqa: E402

VDN_ID = 1
NOW = datetime(2099, 1, 2, 12, 0, tzinfo=UTC)  # a Friday, inside the campaign
LOAD_BATCH = 50_000


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, min(len(sorted_values), round(share * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summary(label: str, seconds: Sequence[float]) -> str:
    values = sorted(s * 1000 for s in seconds)
    return (
        f"  {label:<34} n={len(values):<3} p50 {percentile(values, 0.5):8.1f} ms   "
        f"p99 {percentile(values, 0.99):8.1f} ms   max {values[-1]:8.1f} ms"
    )


def record_rows(campaign_pk: int, n: int, seed: int = 7) -> list[tuple[Any, ...]]:
    """N records in the ``domain.record_row`` layout."""
    rng = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    for i in range(n):
        numbers = [f"13{rng.randrange(10**9):09d}" for _ in range(rng.choice((1, 1, 2, 3)))]
        called = "[" + ",".join(
            f'{{"calledNo":"{no}","delayTime":{60 * k}}}' for k, no in enumerate(numbers)
        ) + "]"  # fmt: skip
        recycle = datetime(2099, 6, 1) + timedelta(minutes=i) if rng.random() < 0.9 else None
        priority = rng.randint(1, 5) if rng.random() < 0.8 else None
        rows.append(
            record_row(
                campaign_pk=campaign_pk, session_id=f"s{i}", called_key=",".join(sorted(numbers)),
                called=called, caller=None, custom_field=f"cf{i % 100}", recycle_time=recycle,
                call_data='{"k":"v"}', priority=priority, status=0, import_task_id=None,
                row_number=None,
            )
        )  # fmt: skip
    return rows


def set_up(db: Database, n: int) -> int:
    """A tenant, a campaign and N records; the campaign's id."""
    box = SecretBox(Fernet.generate_key())
    real_now = datetime.now(UTC)
    with db.transaction() as session:
        tenants.create(session, box, VDN_ID, "UTC", real_now)
        data = CampaignInput(
            name="lease bench", description=None, begin="2099-01-01 00:00:00",
            end="2099-12-31 23:59:59", device_type=2, caller_no="10086",
            max_alerting_time=None, init_status=None, params={},
        )  # fmt: skip
        campaign = campaigns.create(session, VDN_ID, data, real_now)
        pk, campaign_id = campaign.pk, campaign.campaign_id
    began = time.perf_counter()
    rows = record_rows(pk, n)
    for start in range(0, n, LOAD_BATCH):
        with db.transaction() as session:
            load_records(session, rows[start : start + LOAD_BATCH], real_now)
    print(f"  loaded {n:,} records in {time.perf_counter() - began:.1f} s", flush=True)
    return campaign_id


def timed(db: Database, work: Callable[[Any], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    with db.transaction() as session:
        value = work(session)
    return time.perf_counter() - began, value


def lease_500(db: Database, campaign_id: int, now: datetime) -> tuple[float, list[dict[str, Any]]]:
    request = LeaseRequest("bench", 500, 3600)
    return timed(db, lambda s: dispatch.lease(s, VDN_ID, campaign_id, request, now))


def reports(records: Sequence[dict[str, Any]]) -> list[Report]:
    return [
        Report(r["leaseId"], 6 if i % 3 == 0 else 5, "00000" if i % 3 == 0 else "00603",
               f"c{r['leaseId'][-8:]}", "2099-01-02 12:00:00")
        for i, r in enumerate(records)
    ]  # fmt: skip


def run(db: Database, args: argparse.Namespace) -> None:
    migrate.upgrade(db.engine)
    campaign_id = set_up(db, args.records)
    first, records = lease_500(db, campaign_id, NOW)
    print(f"  first lease (enters {args.records:,} records): {first:.2f} s", flush=True)
    leases: list[float] = []
    batches = [records]
    for i in range(args.leases):
        seconds, records = lease_500(db, campaign_id, NOW + timedelta(milliseconds=i + 1))
        assert len(records) == 500, len(records)
        leases.append(seconds)
        batches.append(records)
    print(summary("lease 500", leases), flush=True)
    results = [
        timed(db, lambda s, b=b: dispatch_results.record(s, VDN_ID, campaign_id, reports(b), NOW))[
            0
        ]
        for b in batches
    ]
    print(summary("report 500 results", results), flush=True)
    not_due(db, args.waiting)
    later = [
        lease_500(db, campaign_id, NOW + timedelta(seconds=1, milliseconds=i))[0]
        for i in range(args.leases)
    ]
    print(summary(f"lease 500, {args.waiting:,} not due first", later), flush=True)


def not_due(db: Database, count: int) -> None:
    """Put ``count`` waiting rows of the highest priority out of reach (a retry far ahead)."""
    with db.transaction() as session:
        head = (
            session.query(DialEntry.data_id)
            .filter(DialEntry.state == 0)
            .order_by(DialEntry.priority_key, DialEntry.data_id)
            .limit(count)
            .subquery()
        )
        session.execute(
            update(DialEntry)
            .where(DialEntry.data_id.in_(head.select()))
            .values(due_at=NOW + timedelta(days=1))
        )


def sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="lease-bench-") as folder:
        print(f"SQLite ({folder}/bench.db)", flush=True)
        db = Database(f"sqlite:///{folder}/bench.db")
        try:
            run(db, args)
        finally:
            db.dispose()


def postgres(args: argparse.Namespace) -> None:
    from tests.support.servers import PostgresServer

    server = PostgresServer()
    try:
        server.start()
        url = server.create_database("lease_bench")
        print(f"PostgreSQL ({server.bin_dir})", flush=True)
        db = Database(url)
        try:
            run(db, args)
        finally:
            db.dispose()
    finally:
        server.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark on the databases asked for and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--leases", type=int, default=40)
    parser.add_argument("--waiting", type=int, default=20_000)
    args = parser.parse_args(argv)
    if args.db in ("sqlite", "both"):
        sqlite(args)
    if args.db in ("postgres", "both"):
        postgres(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
