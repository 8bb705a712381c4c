"""Date patterns in fileName: tokens, literals, refusals, and the tenant's midnight."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openisales.domain.file_name_pattern import PatternError, expand, has_pattern, parse

MOMENT = datetime(2026, 3, 9, 7, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("calls_$(yyyyMMdd).xlsx", "calls_20260309.xlsx"),
        ("calls_$(yyMMdd).csv", "calls_260309.csv"),
        ("$(yyyy-MM-dd)_calls.xlsx", "2026-03-09_calls.xlsx"),
        ("calls_$(yyyy.MM.dd_HHmm).xlsx", "calls_2026.03.09_0705.xlsx"),
        ("$(yyyy)/$(MM)", "2026/03"),  # expansion only; the path rules are applied after it
        ("calls_$(yyyy)_$(MM)_$(dd).xlsx", "calls_2026_03_09.xlsx"),
        ("plain.xlsx", "plain.xlsx"),
        ("price$5.xlsx", "price$5.xlsx"),  # a $ not followed by ( is literal
        ("100%_$(dd).xlsx", "100%_09.xlsx"),  # literal text never goes through strftime
        ("calls(1)_$(dd).xlsx", "calls(1)_09.xlsx"),
    ],
)
def test_expands_in_utc(name: str, expected: str) -> None:
    assert expand(name, MOMENT, "UTC") == expected


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("calls_$(yyyyMMDD).xlsx", "'DD'"),
        ("calls_$(YYYY).xlsx", "'YYYY'"),
        ("calls_$(yyy).xlsx", "'yyy'"),
        ("calls_$(M).xlsx", "'M'"),
        ("calls_$(yyyy MM).xlsx", "' '"),
        ("calls_$(yyyy/MM).xlsx", "'/'"),
        ("calls_$().xlsx", "empty"),
        ("calls_$(yyyyMMdd.xlsx", "not closed"),
        ("ok_$(dd)_then_$(q).xlsx", "'q'"),
    ],
)
def test_refuses_what_is_not_a_known_token(name: str, fragment: str) -> None:
    with pytest.raises(PatternError) as raised:
        parse(name)
    assert fragment in str(raised.value)


def test_has_pattern() -> None:
    assert has_pattern("a_$(dd).csv")
    assert has_pattern("a_$(.csv")  # malformed, still a pattern: parse refuses it
    assert not has_pattern("a_$.csv")


def test_tenant_midnight_in_shanghai_is_not_utcs() -> None:
    # 16:05 UTC on 3 Dec is 00:05 on 4 Dec in Shanghai (UTC+8): the tenant's day has turned.
    after_midnight = datetime(2026, 12, 3, 16, 5, tzinfo=UTC)
    assert expand("calls_$(yyyyMMdd).xlsx", after_midnight, "Asia/Shanghai") == (
        "calls_20261204.xlsx"
    )
    assert expand("calls_$(yyyyMMdd).xlsx", after_midnight, "UTC") == "calls_20261203.xlsx"
    # One minute before the tenant's midnight, both zones agree on the date.
    before_midnight = datetime(2026, 12, 3, 15, 59, tzinfo=UTC)
    assert expand("calls_$(yyyyMMdd_HHmm).xlsx", before_midnight, "Asia/Shanghai") == (
        "calls_20261203_2359.xlsx"
    )


def test_year_end_in_the_tenants_zone() -> None:
    new_year_in_shanghai = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert expand("$(yyyy-MM-dd).csv", new_year_in_shanghai, "Asia/Shanghai") == "2027-01-01.csv"
    assert expand("$(yyyy-MM-dd).csv", new_year_in_shanghai, "UTC") == "2026-12-31.csv"


def test_zone_west_of_utc_is_still_the_previous_day() -> None:
    early_utc = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 23:00 on 30 June in New York (EDT)
    assert expand("$(yyyyMMdd).csv", early_utc, "America/New_York") == "20260630.csv"
