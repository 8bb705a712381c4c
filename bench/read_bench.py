"""Reading one xlsx two ways: ``open_sheet`` row by row, and ``open_columnar`` batch by batch.

For each file, each reader runs in a fresh Python process (so that peak RSS is its own) and
reads the whole sheet: (a) ``open_sheet`` and every row of ``Sheet.rows``; (b) ``open_columnar``
and every batch. Printed per reader: wall seconds, CPU seconds, peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``) and the rows read; with ``--stages``, where the columnar
reader's time goes.

    .venv/bin/python bench/read_bench.py [FILE.xlsx ...] [--shared-rows N] [--repeat K] [--stages]

The default file is ``bench/.cache/calldata-500000-g1.xlsx`` (inline strings, written by
``bench/import_bench.py``, generated when missing); ``--shared-rows N`` also reads the same
generator's first N rows written with a shared-strings table
(``bench/.cache/calldata-shared-N-g1.xlsx``, generated when missing). ``--repeat`` runs each
reader K times and prints every run. To pin the readers to one core, run the script under
``taskset -c 0``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import import_bench  # noqa: E402  (the generator of the benchmark's call data)

DEFAULT_FILE = import_bench.CACHE_DIR / f"calldata-500000-g{import_bench.GENERATOR_VERSION}.xlsx"


def shared_strings_file(rows: int) -> Path:
    """The generator's first ``rows`` rows, written by XlsxWriter with shared strings."""
    import xlsxwriter

    stem = f"calldata-shared-{rows}-g{import_bench.GENERATOR_VERSION}"
    path = import_bench.CACHE_DIR / f"{stem}.xlsx"
    if path.exists():
        return path
    import_bench.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.xlsx")
    workbook = xlsxwriter.Workbook(
        str(partial), {"strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet("calldata")
    sheet.write_row(0, 0, import_bench.HEADER)
    expected = import_bench.Expected(rows)
    maker = import_bench.RowMaker(import_bench.SEED)
    for r, row in enumerate(import_bench.generate_rows(maker, rows, expected), start=1):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    workbook.close()
    partial.replace(path)
    return path


# --- the child process --------------------------------------------------------------------


def _per_row(path: Path) -> int:
    from openisales.readers import open_sheet

    sheet = open_sheet(path)
    return sum(1 for _ in sheet.rows)


def _columnar(path: Path) -> int:
    from openisales.readers.model import Limits
    from openisales.readers.sheet import MAX_CELLS, MAX_ROWS, MAX_UNPACKED_BYTES
    from openisales.readers.xlsx_columns import open_columnar

    limits = Limits(MAX_ROWS, 256, 32_767, MAX_UNPACKED_BYTES, MAX_CELLS)
    sheet = open_columnar(path, limits)
    return sum(len(batch) for batch in sheet.batches)


def _timed_stages() -> dict[str, float]:
    """Wrap the columnar reader's stages with timers (the rest is inflating and cutting)."""
    from openisales.readers import xlsx_cells, xlsx_columns

    spent: dict[str, float] = defaultdict(float)

    def wrap(owner: Any, name: str, label: str) -> None:
        function: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start

        setattr(owner, name, timed)

    wrap(xlsx_columns, "shared_strings", "shared strings table")
    wrap(xlsx_cells, "utf8_pieces", "split into cells")
    wrap(xlsx_cells.SheetCells, "_check_rows", "row tags")
    wrap(xlsx_cells, "_parts", "check + extract cells")
    wrap(xlsx_cells.SheetCells, "_values", "values (types, decode, shared)")
    wrap(xlsx_columns, "_wide", "pivot to rows")
    wrap(xlsx_columns._Stream, "_batch", "cut batches")
    return spent


def child(reader: str, path: Path, stages: bool) -> None:
    spent = _timed_stages() if stages and reader == "columnar" else {}
    start, cpu = time.perf_counter(), time.process_time()
    rows = (_columnar if reader == "columnar" else _per_row)(path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kib": peak, "rows": rows, **spent}))


# --- the parent ---------------------------------------------------------------------------


def run(reader: str, path: Path, stages: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", reader, str(path)]
    if stages:
        command.append("--stages")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{reader} on {path} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(path: Path, repeat: int, stages: bool) -> None:
    size = path.stat().st_size
    print(f"{path} ({size / 2**20:.1f} MiB)")
    for reader, label in (("per-row", "(a) open_sheet + rows"), ("columnar", "(b) open_columnar")):
        for _ in range(repeat):
            r = run(reader, path, stages)
            print(
                f"  {label:24s} {r['seconds']:6.2f} s  cpu {r['cpu']:6.2f} s  "
                f"peak RSS {r['peak_kib'] / 1024:7.1f} MiB  rows {r['rows']:,}"
            )
            named = {k: v for k, v in r.items() if k not in ("seconds", "cpu", "peak_kib", "rows")}
            if named:
                rest = r["seconds"] - sum(named.values())
                parts = [f"{k} {v:.2f}" for k, v in named.items()]
                print(f"      stages (s): {', '.join(parts)}, inflate and the rest {rest:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--shared-rows", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--stages", action="store_true")
    parser.add_argument("--child", choices=("per-row", "columnar"), help=argparse.SUPPRESS)
    parser.add_argument("--generate-shared", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate_shared:
        shared_strings_file(args.generate_shared)
        return 0
    if args.child:
        child(args.child, args.files[0], args.stages)
        return 0
    files = list(args.files)
    if not files:
        if not DEFAULT_FILE.exists():
            import_bench.cached_template(500_000)
        files.append(DEFAULT_FILE)
    if args.shared_rows:
        # In a child: the XlsxWriter workbook is held in memory, and a process's peak RSS is
        # inherited by the children it starts afterwards.
        command = [sys.executable, __file__, "--generate-shared", str(args.shared_rows)]
        subprocess.run(command, check=True)
        files.append(shared_strings_file(args.shared_rows))
    with open("/proc/loadavg") as load:
        print(f"load average: {' '.join(load.read().split()[:3])}")
    for path in files:
        report(path, args.repeat, args.stages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
