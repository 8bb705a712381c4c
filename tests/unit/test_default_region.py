"""Rows validated with a tenant's default region: numbers read with libphonenumber."""

from __future__ import annotations

import json

import pytest

from openisales.domain.phone_numbers import PhoneInfo
from openisales.domain.rule_messages import rule_message
from openisales.domain.template import FIELDS, map_header
from openisales.domain.validation import CalledNumber, CallRecord, RowError, validate_row
from openisales.services.calldata_rows import called_json, called_key

COLUMNS = map_header(FIELDS)
CN_MOBILE = PhoneInfo("+8613800001234", "MOBILE", "Asia/Shanghai")


def validated(called: object, region: str | None = "CN") -> CallRecord | list[RowError]:
    row = [called if name == "called" else None for name in FIELDS]
    return validate_row(row, COLUMNS, 4, call_data_must_be_json=False, default_region=region)


def test_each_number_carries_what_libphonenumber_read_and_keeps_its_written_form() -> None:
    result = validated(
        '[{"calledNo":"013800001234","delayTime":30,"type":"home"},'
        '{"calledNo":"+442079460000"},{"calledNo":8005550100}]',
        "CN",
    )
    assert isinstance(result, CallRecord)
    assert [(n.called_no, n.phone) for n in result.called] == [
        ("013800001234", CN_MOBILE),
        ("+442079460000", PhoneInfo("+442079460000", "FIXED_LINE", "Europe/London")),
        ("8005550100", PhoneInfo("+868005550100", "TOLL_FREE", "Asia/Shanghai")),
    ]
    assert json.loads(called_json(result)) == [
        {
            "calledNo": "013800001234",
            "delayTime": 30,
            "type": "home",
            "e164": "+8613800001234",
            "numberType": "MOBILE",
            "timeZone": "Asia/Shanghai",
        },
        {
            "calledNo": "+442079460000",
            "delayTime": 0,
            "e164": "+442079460000",
            "numberType": "FIXED_LINE",
            "timeZone": "Europe/London",
        },
        {
            "calledNo": "8005550100",
            "delayTime": 0,
            "e164": "+868005550100",
            "numberType": "TOLL_FREE",
            "timeZone": "Asia/Shanghai",
        },
    ]


def test_a_number_of_no_single_zone_has_no_time_zone_in_the_stored_json() -> None:
    result = validated("8005550100", "US")  # toll free: every zone of the plan
    assert isinstance(result, CallRecord)
    assert result.called[0].phone == PhoneInfo("+18005550100", "TOLL_FREE", None)
    assert called_json(result) == (
        '[{"calledNo":"8005550100","delayTime":0,"e164":"+18005550100","numberType":"TOLL_FREE"}]'
    )


@pytest.mark.parametrize("written", ["013800001234", "+8613800001234", 8613800001234.0])
def test_the_duplicate_key_is_the_e164_form(written: object) -> None:
    result = validated(written)
    assert isinstance(result, CallRecord)
    assert called_key(result) == "+8613800001234"


def test_one_customer_written_twice_in_one_row_is_one_number_of_the_key() -> None:
    result = validated('[{"calledNo":"013800001234"},{"calledNo":"+8613800001234"}]')
    assert isinstance(result, CallRecord)
    assert called_key(result) == "+8613800001234"


@pytest.mark.parametrize(
    ("called", "column"),
    [
        ("12345", "called"),
        ('[{"calledNo":"13800001234"},{"calledNo":"12345"}]', "called[2].calledNo"),
        ("*123#", "called"),
    ],
)
def test_a_number_that_cannot_exist_is_its_own_rule_in_both_languages(
    called: str, column: str
) -> None:
    result = validated(called)
    assert isinstance(result, list)
    assert [(e.column, e.rule, e.code) for e in result] == [
        (column, "called.calledNo.invalid", "02000007")
    ]
    assert "cannot exist" in result[0].message and "CN" in result[0].message
    error = result[0]
    assert "不是可能存在的电话号码" in rule_message(error.rule, error.column, error.message, "zh")


def test_without_a_region_nothing_is_read_and_a_plus_is_still_refused() -> None:
    result = validated("013800001234", None)
    assert result == CallRecord("", (CalledNumber("013800001234"),), None, None, None, None, None)
    assert isinstance(result, CallRecord)
    assert result.called[0].phone is None
    assert called_key(result) == "013800001234"
    assert called_json(result) == '[{"calledNo":"013800001234","delayTime":0}]'
    refused = validated("+8613800001234", None)
    assert isinstance(refused, list)
    assert [e.rule for e in refused] == ["called.calledNo.chars"]
    assert isinstance(validated("12345", None), CallRecord)  # not read: not refused


def test_a_plus_inside_a_number_is_refused_even_with_a_region() -> None:
    result = validated("86+13800001234")
    assert isinstance(result, list)
    assert [e.rule for e in result] == ["called.calledNo.chars"]
