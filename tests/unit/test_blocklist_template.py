"""The blocklist template (cec_07_0748): header mapping and the validation of one row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from openisales.domain.blocklist_template import (
    BlocklistColumns,
    BlocklistRecord,
    field_for_header,
    map_blocklist_header,
    validate_blocklist_row,
)
from openisales.domain.cells import Cell
from openisales.domain.records import RowError
from openisales.domain.template import TemplateError

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINESE = ["黑名单号码", "到期时间", "有效时长", "限制次数", "限制周期"]
ENGLISH = ["number", "expiryTime", "validityTime", "restrictTimes", "restrictPeriod"]


def check(
    cells: list[Cell], header: list[str] | None = None, zone: ZoneInfo = UTC_ZONE
) -> BlocklistRecord | list[RowError]:
    columns = map_blocklist_header(header or ENGLISH)
    return validate_blocklist_row(cells, columns, 2, now=NOW, zone=zone)


def record(cells: list[Cell], **kwargs: object) -> BlocklistRecord:
    result = check(cells, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, BlocklistRecord), result
    return result


def errors(cells: list[Cell], **kwargs: object) -> list[tuple[str, str, str]]:
    result = check(cells, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, list), result
    for error in result:
        assert error.row == 2 and error.message
    return [(e.column, e.code, e.rule) for e in result]


# --- header ---------------------------------------------------------------------------------


def test_chinese_and_english_headers_map_to_the_same_fields() -> None:
    chinese = map_blocklist_header(CHINESE)
    english = map_blocklist_header(ENGLISH)
    assert dict(chinese.indexes) == dict(english.indexes)
    assert (chinese.number, chinese.expiry, chinese.validity) == (0, 1, 2)
    assert (chinese.restrict_times, chinese.restrict_period) == (3, 4)
    assert chinese.header == tuple(CHINESE)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("黑名单号码", "number"),
        ("*黑名单号码", "number"),
        (" 黑名单号码（必填） ", "number"),
        ("\ufeffNumber", "number"),
        ("BLOCKLISTNO (Mandatory)", "number"),
        ("blocklistNo", "number"),
        ("到期时间(可选)", "expiryTime"),
        ("validityExpirationTime (Optional)", "expiryTime"),
        ("有效时长(小时)", "validityTime"),
        ("有效时长(小时)(可选)", "validityTime"),
        ("validityTime (hours)", "validityTime"),
        ("限制次数", "restrictTimes"),
        ("restrictPeriod", "restrictPeriod"),
        ("called", None),
        ("remark", None),
        (None, None),
        (12, None),
    ],
)
def test_header_names_are_read_leniently(text: Cell, field: str | None) -> None:
    assert field_for_header(text) == field


def test_only_the_number_column_is_needed_and_other_columns_are_ignored() -> None:
    columns = map_blocklist_header(["remark", "黑名单号码"])
    assert columns.number == 1 and columns.expiry is None and columns.validity is None


def test_missing_number_column_names_what_was_found() -> None:
    with pytest.raises(TemplateError) as raised:
        map_blocklist_header(["phone", "到期时间"])
    assert "黑名单号码" in raised.value.message and '"phone"' in raised.value.message


def test_empty_header_is_refused() -> None:
    with pytest.raises(TemplateError, match="empty"):
        map_blocklist_header([None, ""])


def test_a_field_named_twice_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"more than once.*columns A, C"):
        map_blocklist_header(["黑名单号码", "到期时间", "number"])


def test_column_map_needs_a_number_column() -> None:
    with pytest.raises(TemplateError):
        BlocklistColumns({"expiryTime": 0}, ("expiryTime",))


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("13800001234", "13800001234"),
        ("  *123#  ", "*123#"),
        (13800001234, "13800001234"),
        (13800001234.0, "13800001234"),
        ("1" * 24, "1" * 24),
    ],
)
def test_valid_numbers(cell: Cell, number: str) -> None:
    assert record([cell]).number == number


@pytest.mark.parametrize(
    ("cell", "code", "rule"),
    [
        (None, "02000001", "number.empty"),
        ("  ", "02000001", "number.empty"),
        ("1" * 25, "02000003", "number.length"),
        ("138-0000", "02000002", "number.chars"),
        ("+8613800001234", "02000002", "number.chars"),
        ("1.38E+10", "02000008", "number.lost_digits"),
        (1.5, "02000008", "number.lost_digits"),
        (1e16, "02000008", "number.lost_digits"),
        (datetime(2026, 1, 1), "02000006", "number.cell_type"),
        (True, "02000006", "number.cell_type"),
    ],
)
def test_invalid_numbers(cell: Cell, code: str, rule: str) -> None:
    assert errors([cell]) == [("number", code, rule)]


# --- expiry and validity ----------------------------------------------------------------------


def test_no_expiry_and_no_validity_never_expires() -> None:
    assert record(["138", None, None, None, None]).expires_at is None
    assert record(["138", "", " ", "", ""]).expires_at is None


def test_validity_counts_hours_from_now() -> None:
    assert record(["138", None, 5]).expires_at == NOW + timedelta(hours=5)
    assert record(["138", None, "120"]).expires_at == NOW + timedelta(hours=120)
    assert record(["138", None, 1.0]).expires_at == NOW + timedelta(hours=1)


def test_expiry_is_local_to_the_tenant_zone() -> None:
    shanghai = record(["138", "2026-03-02 08:00:00"], zone=SHANGHAI)
    assert shanghai.expires_at == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    utc = record(["138", "2026-03-02 08:00:00"])
    assert utc.expires_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_expiry_date_cells_are_local_too() -> None:
    moment = record(["138", datetime(2026, 3, 2, 8, 0, 0, 600_000)], zone=SHANGHAI)
    assert moment.expires_at == datetime(2026, 3, 2, 0, 0, 1, tzinfo=UTC)
    day = record(["138", date(2026, 3, 5)], zone=SHANGHAI)
    assert day.expires_at == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)


def test_expiry_wins_over_validity() -> None:
    both = record(["138", "2026-03-10 00:00:00", 3])
    assert both.expires_at == datetime(2026, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["138", "2026/03/10"], [("expiryTime", "02000006", "expiryTime.format")]),
        (["138", "2026-02-30 00:00:00"], [("expiryTime", "02000007", "expiryTime.value")]),
        (["138", "2026-03-01 08:00:00"], [("expiryTime", "02000007", "expiryTime.past")]),
        (["138", 46000], [("expiryTime", "02000006", "expiryTime.cell_type")]),
        (["138", None, 0], [("validityTime", "02000007", "validityTime.range")]),
        (["138", None, 121], [("validityTime", "02000007", "validityTime.range")]),
        (["138", None, "2h"], [("validityTime", "02000006", "validityTime.type")]),
        (["138", None, 1.5], [("validityTime", "02000006", "validityTime.type")]),
    ],
)
def test_invalid_expiry_or_validity(
    cells: list[Cell], expected: list[tuple[str, str, str]]
) -> None:
    assert errors(cells) == expected


def test_expiry_in_the_past_depends_on_the_zone() -> None:
    # 2026-03-01 12:00 in Shanghai is 04:00 UTC, before NOW (08:00 UTC).
    assert errors(["138", "2026-03-01 12:00:00"], zone=SHANGHAI) == [
        ("expiryTime", "02000007", "expiryTime.past")
    ]
    assert record(["138", "2026-03-01 12:00:00"]).expires_at is not None


# --- restriction ------------------------------------------------------------------------------


def test_restriction_both_given() -> None:
    entry = record(["138", None, None, 1, "1"])
    assert (entry.restrict_times, entry.restrict_period) == (1, "1")
    entry = record(["138", None, None, "100", 0])
    assert (entry.restrict_times, entry.restrict_period) == (100, "0")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["138", None, None, 3, None], [("restrictPeriod", "02000009", "restrict.combination")]),
        (["138", None, None, None, "0"], [("restrictTimes", "02000009", "restrict.combination")]),
        (["138", None, None, 0, "0"], [("restrictTimes", "02000007", "restrictTimes.range")]),
        (["138", None, None, 101, "0"], [("restrictTimes", "02000007", "restrictTimes.range")]),
        (["138", None, None, 1, "2"], [("restrictPeriod", "02000007", "restrictPeriod.value")]),
        (["138", None, None, 1, "daily"], [("restrictPeriod", "02000007", "restrictPeriod.value")]),
    ],
)
def test_invalid_restriction(cells: list[Cell], expected: list[tuple[str, str, str]]) -> None:
    assert errors(cells) == expected


def test_every_problem_of_a_row_is_reported() -> None:
    found = errors(["12a", "soon", 200, "x", "2"])
    assert [column for column, _, _ in found] == [
        "number",
        "expiryTime",
        "validityTime",
        "restrictTimes",
        "restrictPeriod",
    ]


def test_short_rows_read_missing_cells_as_empty() -> None:
    columns = map_blocklist_header(["到期时间", "黑名单号码"])
    result = validate_blocklist_row(["2026-04-01 00:00:00"], columns, 7, now=NOW, zone=UTC_ZONE)
    assert isinstance(result, list)
    assert [(e.row, e.column, e.code) for e in result] == [(7, "number", "02000001")]
