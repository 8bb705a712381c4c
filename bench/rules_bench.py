"""The column rules (``domain.columnar_rules.decide``) against the per-row validator, timed.

The rows are the import benchmark's (``bench/import_bench.py``'s seeded generator, 500,000 by
default), cleaned as the readers clean them, or the rows of a file (``--file``, read with
``readers.open_sheet``). The batch is built once; then, best of ``--repeat`` runs each:

* ``decide`` on the whole batch, with ``call_data_must_be_json`` false and true;
* the per-row path on the same rows: ``validate_row`` and, for each record, ``called_key`` and
  ``called_json`` (what ``calldata_rows._row`` computes besides taking values over);
* the column rules followed by ``validate_row`` on the rows they left undecided.

It prints the seconds (best wall clock; for decide also its CPU seconds over all threads, which
other load on the machine does not change much), rows/s, and how many rows were undecided (and
how many of those the validator accepts: valid rows the rules did not recognise).

    .venv/bin/python bench/rules_bench.py [--rows N] [--file PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from openisales.domain.cell_batch import CellBatch, batch_from_rows
from openisales.domain.cells import Cell
from openisales.domain.columnar_rules import decide
from openisales.domain.template import ColumnMap, map_header
from openisales.domain.validation import CallRecord, validate_row
from openisales.readers import open_sheet
from openisales.services.calldata_rows import called_json, called_key

BENCH_DIR = Path(__file__).resolve().parent
Rows = list[tuple[int, list[Cell]]]


def _import_bench() -> Any:
    spec = importlib.util.spec_from_file_location("import_bench", BENCH_DIR / "import_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_bench"] = module
    spec.loader.exec_module(module)
    return module


def generated_rows(n: int) -> tuple[list[str], Rows]:
    """The import benchmark's header and first ``n`` rows, cleaned as ``clean_rows`` does."""
    bench = _import_bench()
    expected = bench.Expected(n)
    rows: Rows = []
    for number, row in enumerate(bench.generate_rows(bench.RowMaker(bench.SEED), n, expected), 2):
        rows.append((number, [None if not cell or cell.isspace() else cell for cell in row]))
    return list(bench.HEADER), rows


def file_rows(path: Path) -> tuple[list[Cell], Rows]:
    sheet = open_sheet(path)
    return list(sheet.header), [(number, list(cells)) for number, cells in sheet.rows]


def best(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    """The fastest of ``repeat`` runs (wall clock), and what the last run returned."""
    seconds, _, result = best_with_cpu(repeat, run)
    return seconds, result


def best_with_cpu(repeat: int, run: Callable[[], object]) -> tuple[float, float, object]:
    """The fastest wall-clock and process-CPU seconds of ``repeat`` runs, and the last result.

    The CPU seconds (all threads) say how much work a run is, whatever else the machine runs.
    """
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall = min(wall, time.perf_counter() - began)
        cpu = min(cpu, time.process_time() - began_cpu)
    return wall, cpu, result


def per_row(rows: Sequence[tuple[int, list[Cell]]], columns: ColumnMap, must_be_json: bool) -> int:
    """validate_row and the record row's computed values for every row; the records made."""
    made = 0
    for number, cells in rows:
        result = validate_row(cells, columns, number, call_data_must_be_json=must_be_json)
        if isinstance(result, CallRecord):
            called_key(result)
            called_json(result)
            made += 1
    return made


def hybrid(batch: CellBatch, columns: ColumnMap, must_be_json: bool) -> tuple[int, int, int]:
    """decide, then validate_row on what it left; (decided, undecided, of those accepted)."""
    decided = decide(batch, columns, call_data_must_be_json=must_be_json, default_region=None)
    accepted = 0
    for position in decided.undecided.to_list():
        result = validate_row(
            batch.cells(position),
            columns,
            batch.row_number(position),
            call_data_must_be_json=must_be_json,
        )
        if isinstance(result, CallRecord):
            called_key(result)
            called_json(result)
            accepted += 1
    return decided.records.height, decided.undecided.len(), accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--file", type=Path, help="read the rows of this file instead")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    began = time.perf_counter()
    header, rows = file_rows(args.file) if args.file else generated_rows(args.rows)
    columns = map_header(header)
    width = max(len(header), max((len(cells) for _, cells in rows), default=0))
    batch = batch_from_rows(rows, width)
    source = str(args.file) if args.file else "bench/import_bench.py generator"
    print(f"{len(rows):,} rows ({source}), batch built in {time.perf_counter() - began:.1f} s")

    for must_be_json in (False, True):
        compare(batch, rows, columns, must_be_json, args.repeat)


def compare(
    batch: CellBatch, rows: Rows, columns: ColumnMap, must_be_json: bool, repeat: int
) -> None:
    """Print the three timings and the counts for one value of call_data_must_be_json."""
    print(f"\ncall_data_must_be_json={must_be_json}")
    n = len(rows)
    fast, cpu, _ = best_with_cpu(
        repeat,
        lambda: decide(batch, columns, call_data_must_be_json=must_be_json, default_region=None),
    )
    print(
        f"  decide (column rules):          {fast:7.3f} s  {n / fast:>12,.0f} rows/s"
        f"  ({cpu:.3f} s of CPU, {pl.thread_pool_size()} threads)"
    )
    slow, made = best(1, lambda: per_row(rows, columns, must_be_json))
    print(
        f"  validate_row loop (per row):    {slow:7.3f} s  {n / slow:>12,.0f} rows/s"
        f"  ({made:,} records)"
    )
    both, counts = best(repeat, lambda: hybrid(batch, columns, must_be_json))
    decided, undecided, accepted = counts  # type: ignore[misc]
    print(f"  decide + validate_row on rest:  {both:7.3f} s  {n / both:>12,.0f} rows/s")
    print(
        f"  decided {decided:,}, undecided {undecided:,} ({undecided / n:.2%}), "
        f"of which validate_row accepts {accepted:,}"
    )
    print(f"  per-row / decide: {slow / fast:.1f}x")


if __name__ == "__main__":
    main()
