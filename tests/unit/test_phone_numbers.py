"""Numbers read with libphonenumber in a default region (domain/phone_numbers.py)."""

from __future__ import annotations

import pytest

from openisales.domain.phone_numbers import PhoneInfo, known_region, read_number


@pytest.mark.parametrize(
    ("called_no", "region", "expected"),
    [
        ("13800001234", "CN", PhoneInfo("+8613800001234", "MOBILE", "Asia/Shanghai")),
        # The national prefix 0 and the country code both lead to the one E.164 form.
        ("013800001234", "CN", PhoneInfo("+8613800001234", "MOBILE", "Asia/Shanghai")),
        ("+8613800001234", "CN", PhoneInfo("+8613800001234", "MOBILE", "Asia/Shanghai")),
        ("01087654321", "CN", PhoneInfo("+861087654321", "FIXED_LINE", "Asia/Shanghai")),
        ("4001234567", "CN", PhoneInfo("+864001234567", "SHARED_COST", "Asia/Shanghai")),
        ("02079460000", "GB", PhoneInfo("+442079460000", "FIXED_LINE", "Europe/London")),
        # A number with its own country code keeps it, whatever the default region.
        ("+442079460000", "CN", PhoneInfo("+442079460000", "FIXED_LINE", "Europe/London")),
        ("2015550123", "US", PhoneInfo("+12015550123", "FIXED_LINE_OR_MOBILE", "America/New_York")),
        # Toll free in the US: every zone of the plan, so none of its own.
        ("8005550100", "US", PhoneInfo("+18005550100", "TOLL_FREE", None)),
    ],
)
def test_a_number_that_can_exist_has_its_e164_form_type_and_zone(
    called_no: str, region: str, expected: PhoneInfo
) -> None:
    assert read_number(called_no, region) == expected


@pytest.mark.parametrize(
    ("called_no", "region"),
    [
        ("12345", "CN"),  # possible by length alone, but no CN number looks like it
        ("1380000123", "CN"),  # a mobile number one digit short
        ("99999999999", "CN"),
        ("07700900123", "GB"),  # the range kept for drama, never given out
        ("*123#", "CN"),  # not a phone number at all
    ],
)
def test_a_number_that_cannot_exist_is_none(called_no: str, region: str) -> None:
    assert read_number(called_no, region) is None


def test_regions_are_iso_codes_libphonenumber_knows() -> None:
    assert known_region("cn") == "CN"
    assert known_region(" GB ") == "GB"
    assert known_region("XX") is None
    assert known_region("CHN") is None
    assert known_region("") is None
