"""Statistics benchmark: V2 statistics and the results query on a campaign with many results.

What one run does, on SQLite (a file in a temporary directory) and/or a throwaway PostgreSQL
cluster (``tests.support.servers.PostgresServer``), each freshly migrated:

1. a tenant, a campaign and N records (default 100,000) as ``bench/lease_bench.py`` writes them;
2. M results (default 100,000) made through the service as a dialer makes them: leases of 500,
   each answered with a report of 500 results (a third successes, the rest no-answer failures,
   which move a record to its next number, due ``delayTime`` later, or finish it);
3. **statistics** (``services.calldata.statistics`` for the campaign, as the V2 interface
   asks), repeated ``--repeat`` times (default 20): p50, p99 (nearest rank) and max; the same
   with a ``batchId``;
4. the **results query** (``services.call_results.query``): a page of 100 final results, a
   page of 100 of every result, the last such page, and one filtered by number.

Times are of the service call inside its read transaction; the HTTP and signature layers are not
in them. Run: ``PYTHONPATH=src python bench/statistics_bench.py [--db sqlite|postgres|both]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.lease_bench import NOW, VDN_ID, lease_500, reports, set_up, summary  # noqa: E402

from openisales.services import call_results, calldata, dispatch_results  # noqa: E402
from openisales.services.call_results import ResultQuery  # noqa: E402
from openisales.storage import migrate  # noqa: E402
from openisales.storage.db import Database  # noqa: E402


def make_results(db: Database, campaign_id: int, wanted: int) -> int:
    """Lease and report until ``wanted`` results are recorded; how many were."""
    made, step = 0, 0
    began = time.perf_counter()
    while made < wanted:
        step += 1
        now = NOW + timedelta(milliseconds=step)
        _seconds, records = lease_500(db, campaign_id, now)
        if not records:
            break
        records = records[: wanted - made]
        with db.transaction() as session:
            answers = dispatch_results.record(session, VDN_ID, campaign_id, reports(records), now)
        made += sum(1 for answer in answers if answer["resultCode"] == "0200000")
    print(f"  recorded {made:,} results in {time.perf_counter() - began:.1f} s", flush=True)
    return made


def repeated(db: Database, times: int, work: Callable[[Any], Any]) -> list[float]:
    seconds = []
    for _ in range(times):
        began = time.perf_counter()
        with db.read() as session:
            work(session)
        seconds.append(time.perf_counter() - began)
    return seconds


def run(db: Database, args: argparse.Namespace) -> None:
    migrate.upgrade(db.engine)
    campaign_id = set_up(db, args.records)
    make_results(db, campaign_id, args.results)
    later = NOW + timedelta(minutes=1)
    with db.read() as session:
        [entry] = calldata.statistics(session, VDN_ID, campaign_id, None, later)
    shown = ("unCallCount", "totalCalledCount", "totalCallSucc", "totalFinishCount", "totalCount")
    print("  " + ", ".join(f"{name} {entry[name]:,}" for name in shown), flush=True)

    def stats(batch: str | None) -> Callable[[Any], Any]:
        return lambda s: calldata.statistics(s, VDN_ID, campaign_id, batch, later)

    print(summary("statistics", repeated(db, args.repeat, stats(None))), flush=True)
    print(summary("statistics with batchId", repeated(db, args.repeat, stats("b1"))), flush=True)
    with db.read() as session:
        total = call_results.query(session, VDN_ID, campaign_id, ResultQuery(show_detail=1)).total
    last_page = max(1, -(-total // 100))
    queries = {
        "results: final, page 1 of 100": ResultQuery(page_size=100, page_num=1),
        "results: every, page 1 of 100": ResultQuery(show_detail=1, page_size=100, page_num=1),
        f"results: every, page {last_page:,} of 100": ResultQuery(
            show_detail=1, page_size=100, page_num=last_page
        ),
        "results: one number": ResultQuery(show_detail=1, called="13000000000"),
    }
    for label, request in queries.items():
        work = lambda s, r=request: call_results.query(s, VDN_ID, campaign_id, r)  # noqa: E731
        print(summary(label, repeated(db, args.repeat, work)), flush=True)


def sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="statistics-bench-") as folder:
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
        url = server.create_database("statistics_bench")
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
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    if args.db in ("sqlite", "both"):
        sqlite(args)
    if args.db in ("postgres", "both"):
        postgres(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
