"""Property tests: the readers and the row validation on hostile input.

``open_sheet`` on any bytes (random, or a valid file truncated, with bytes flipped or inserted)
either reads or raises ``ReadError``, never anything else and never for long. ``validate_row``
on any cells returns a record or a non-empty list of row errors with the documented codes.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openisales.domain.cells import Cell
from openisales.domain.template import FIELDS, map_header
from openisales.domain.validation import CallRecord, RowError, validate_row
from openisales.readers import ReadError, open_sheet
from tests.support.spreadsheets import write_csv, write_ods, write_xlsx

TABLE_8_CODES = {"02000001", "02000002", "02000003", "02000006", "02000007", "02000008"}
SUFFIXES = (".xlsx", ".xls", ".ods", ".csv", ".txt", "")
ROWS = [
    ["s1", '[{"calledNo":"13800001234"}]', "4001", '{"a":1}', "x", "2030-01-02 03:04:05", 3],
    ["s2", 13800001235, None, None, None, datetime(2030, 1, 2, 3, 4, 5), 1],
]
# Small limits keep every example quick; what they guard is what matters here.
LIMITS = {"max_rows": 1000, "max_columns": 64, "max_cell_chars": 4096}
FUZZ = settings(
    max_examples=150, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow]
)


def _seed_files() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = {
            "xlsx": write_xlsx(root / "a.xlsx", FIELDS, ROWS),
            "xlsx-openpyxl": write_xlsx(root / "b.xlsx", FIELDS, ROWS, writer="openpyxl"),
            "ods": write_ods(root / "c.ods", FIELDS, ROWS),
            "csv": write_csv(root / "d.csv", FIELDS, ROWS),
            "csv-gb18030": write_csv(root / "e.csv", [*FIELDS, "备注"], ROWS, encoding="gb18030"),
        }
        return {name: path.read_bytes() for name, path in files.items()}


SEEDS = _seed_files()


def _read_all(data: bytes, suffix: str) -> None:
    """Open ``data`` as a file named with ``suffix`` and drain every row."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            sheet = open_sheet(path, max_uncompressed_bytes=1 << 22, **LIMITS)
            for _number, cells in sheet.rows:
                assert isinstance(cells, list)
        except ReadError as exc:
            assert exc.message, exc


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["truncate", "flip", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if how == "truncate":
            del data[at:]
        elif how == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    suffix = ".csv" if name.startswith("csv") else "." + name.split("-")[0]
    return bytes(data), draw(st.sampled_from([suffix, *SUFFIXES]))


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(SUFFIXES))
def test_random_bytes_read_or_raise_read_error(data: bytes, suffix: str) -> None:
    _read_all(data, suffix)


@FUZZ
@given(mutated())
def test_damaged_files_read_or_raise_read_error(damaged: tuple[bytes, str]) -> None:
    _read_all(*damaged)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_the_seed_files_read(name: str) -> None:
    suffix = ".csv" if name.startswith("csv") else "." + name.split("-")[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(SEEDS[name])
        assert len(list(open_sheet(path).rows)) == len(ROWS)


# -- row validation ------------------------------------------------------------------------

texts = st.text(max_size=40) | st.text(alphabet="0123456789*#+- .,eE[]{}'\":", max_size=40)
# Number cells are 64-bit integers or floats (calamine); longer numbers arrive as text.
numbers = (
    st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.0, -0.0, 1e15, 13800001234.0, 1.5, float("nan"), float("inf")])
)
long_digits = st.builds(
    lambda sign, n: sign + "9" * n, st.sampled_from(["", "-", "+"]), st.integers(1, 6000)
)
times = st.datetimes() | st.dates() | st.times() | st.timedeltas()
huge = st.builds(
    lambda c, n: c * n, st.sampled_from(["1", "a", "汉", "\x00"]), st.integers(0, 70_000)
)
number_like = st.one_of(texts, numbers, st.none(), st.booleans())
called_entry = st.dictionaries(
    st.sampled_from(["calledNo", "delayTime", "type", "other"]), number_like, max_size=4
)
called_json = st.lists(called_entry, max_size=4).map(lambda v: json.dumps(v, allow_nan=True))
# JSON with number literals too long for int() and too large for a float
called_long = st.builds(
    lambda digits, key: f'[{{"{key}":{digits}}}]',
    long_digits,
    st.sampled_from(["calledNo", "delayTime"]),
)
cells: st.SearchStrategy[Cell] = st.one_of(
    st.none(), st.booleans(), texts, numbers, times, huge, long_digits, called_json, called_long
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(cells, max_size=len(FIELDS) + 2),
    st.permutations(FIELDS),
    st.booleans(),
)
def test_validate_row_returns_a_record_or_known_errors(
    row: list[Cell], header: list[str], must_be_json: bool
) -> None:
    result = validate_row(row, map_header(header), 9, call_data_must_be_json=must_be_json)
    if isinstance(result, CallRecord):
        return
    assert isinstance(result, list) and result, result
    for error in result:
        assert isinstance(error, RowError)
        assert error.code in TABLE_8_CODES, error
        assert error.row == 9 and error.message, error


def test_a_zip_whose_offsets_point_before_the_file_is_damaged(tmp_path: Path) -> None:
    # Found by the fuzz: zipfile seeks to a negative offset and raises OSError(EINVAL).
    data = bytearray(SEEDS["ods"])
    end = data.rindex(b"PK\x05\x06")
    start = int.from_bytes(data[end + 16 : end + 20], "little")
    data[end + 16 : end + 20] = (start + 64).to_bytes(4, "little")
    path = tmp_path / "broken.ods"
    path.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="damaged or incomplete"):
        open_sheet(path)


@pytest.mark.parametrize("digits", ["9" * 5000, "-" + "1" * 5000, "0" * 4999 + "3"])
def test_thousands_of_digits_are_a_row_error(digits: str) -> None:
    # Found by the fuzz: int() refuses more than 4300 digits with ValueError.
    row: list[Cell] = ['[{"calledNo":"13800001234"}]', digits]
    result = validate_row(row, map_header(["called", "priority"]), 4, call_data_must_be_json=False)
    assert isinstance(result, list), result
    assert [(e.column, e.code) for e in result] == [("priority", "02000006")]
