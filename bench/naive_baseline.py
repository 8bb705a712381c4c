"""The obvious Python import of a call-data file, timed stage by stage, as a yardstick.

openpyxl in read-only mode reads the sheet, every row is checked with ``json.loads`` and
``datetime.strptime`` against the template's rules (in spirit: the same limits, not the same
messages), duplicates (same sessionId and set of numbers) are dropped with a set, and every
accepted row is inserted through the SQLAlchemy ORM (``session.add`` per record, one commit)
into a fresh SQLite file.

This is a benchmark yardstick only; nothing of it is used by openisales.

    .venv/bin/python bench/naive_baseline.py FILE.xlsx [--db PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import DateTime, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

CALLED_NO = re.compile(r"[0-9*#]{1,24}")
LIMITS = {"sessionId": 32, "caller": 24, "callData": 1024, "customField": 200}


class Base(DeclarativeBase):
    pass


class CallRecord(Base):
    __tablename__ = "call_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(32))
    called: Mapped[str] = mapped_column(Text)
    called_key: Mapped[str] = mapped_column(Text)
    caller: Mapped[str | None] = mapped_column(String(24))
    call_data: Mapped[str | None] = mapped_column(Text)
    custom_field: Mapped[str | None] = mapped_column(String(200))
    recycle_time: Mapped[datetime | None] = mapped_column(DateTime)
    row_number: Mapped[int]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def validate(
    cells: tuple[Any, ...], index: dict[str, int], row_number: int
) -> dict[str, Any] | None:
    """The row as a record, or None when any field breaks a rule."""

    def cell(name: str) -> str | None:
        i = index.get(name)
        return _text(cells[i]) if i is not None and i < len(cells) else None

    fields = {name: cell(name) for name in LIMITS}
    for name, limit in LIMITS.items():
        value = fields[name]
        if value is not None and len(value) > limit:
            return None
    called_text = cell("called")
    if called_text is None:
        return None
    try:
        called = json.loads(called_text)
    except ValueError:
        return None
    if isinstance(called, dict):
        called = [called]
    if not isinstance(called, list) or not called:
        return None
    numbers = []
    for item in called:
        if not isinstance(item, dict):
            return None
        number = str(item.get("calledNo", "")).strip()
        if not CALLED_NO.fullmatch(number):
            return None
        try:
            delay = int(item.get("delayTime", 0))
        except (TypeError, ValueError):
            return None
        if not 0 <= delay <= 7200:
            return None
        numbers.append(number)
    recycle_time = None
    recycle_text = cell("recycleTime")
    if recycle_text is not None:
        try:
            recycle_time = datetime.strptime(recycle_text, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
    return {
        "session_id": fields["sessionId"] or "",
        "called": json.dumps(called, ensure_ascii=False),
        "called_key": ",".join(sorted(set(numbers))),
        "caller": fields["caller"],
        "call_data": fields["callData"],
        "custom_field": fields["customField"],
        "recycle_time": recycle_time,
        "row_number": row_number,
    }


def run(path: Path, db_path: Path) -> dict[str, Any]:
    """Import ``path`` into a new SQLite file at ``db_path``; seconds per stage and the counts."""
    began = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(name).strip() if name is not None else "" for name in next(rows)]
    index = {name: i for i, name in enumerate(header)}
    data = [row for row in rows if any(value is not None for value in row)]
    workbook.close()
    read_done = time.perf_counter()

    records: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    failed = repeat = 0
    for row_number, cells in enumerate(data, start=2):
        record = validate(cells, index, row_number)
        if record is None:
            failed += 1
            continue
        identity = (record["session_id"], record["called_key"])
        if identity in seen:
            repeat += 1
            continue
        seen.add(identity)
        records.append(record)
    validate_done = time.perf_counter()

    engine = create_engine(f"sqlite:///{db_path}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for record in records:
            session.add(CallRecord(**record))
        session.commit()
    engine.dispose()
    insert_done = time.perf_counter()

    return {
        "read_s": round(read_done - began, 3),
        "validate_s": round(validate_done - read_done, 3),
        "insert_s": round(insert_done - validate_done, 3),
        "total_s": round(insert_done - began, 3),
        "totalNum": len(data),
        "succNum": len(records),
        "failNum": failed,
        "repeatNum": repeat,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="the call-data .xlsx file")
    parser.add_argument("--db", type=Path, help="SQLite file to create (default: a temp file)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="isales-naive-") as tmp:
        db_path = args.db or Path(tmp) / "naive.db"
        if db_path.exists():
            parser.error(f"{db_path} exists; the baseline needs a fresh database")
        result = run(args.file, db_path)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:14} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
