"""Phone numbers read with libphonenumber, for tenants that name a default region.

A ``calledNo`` without a country code is read as a number of the default region (``CN``:
``013800001234`` is ``+8613800001234``); one written with ``+`` (or, for CN, ``86...``) keeps its
own country. The result is its E.164 form (the customer's identity: the same person written two
ways is one customer), its number type as libphonenumber names it (``MOBILE``, ``FIXED_LINE``,
``TOLL_FREE``...) and its time zone.

"Cannot exist" means ``is_valid_number`` is false: the number does not fit the numbering plan of
its country (a prefix no operator has, a length no number of that kind has). The looser
``is_possible_number`` only checks the length against the country's range, so it lets through
``12345`` in CN; a list of such numbers would be dialled for nothing. A number libphonenumber
cannot read at all (``*123#``, letters) cannot exist either.

The time zone is the one libphonenumber gives when it gives exactly one: a toll-free number of
the US (every zone of the plan) or one of unknown place has none, and is called in the tenant's
time zone.

Pure: libphonenumber's metadata ships with the library, no network.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, timezone

_UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True, slots=True)
class PhoneInfo:
    """What libphonenumber says of one number that can exist."""

    e164: str  # "+8613800001234"
    number_type: str  # a PhoneNumberType name: "MOBILE", "FIXED_LINE", "TOLL_FREE"...
    time_zone: str | None  # an IANA name, or None when the number has no single zone


def known_region(region: str) -> str | None:
    """``region`` as libphonenumber spells it (upper case) when it knows it, else None."""
    code = region.strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def read_number(called_no: str, region: str) -> PhoneInfo | None:
    """The number read in ``region``; None when it cannot exist (see the module's text)."""
    try:
        number = phonenumbers.parse(called_no, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    zones = [zone for zone in timezone.time_zones_for_number(number) if zone != _UNKNOWN_ZONE]
    return PhoneInfo(
        phonenumbers.format_number(number, PhoneNumberFormat.E164),
        PhoneNumberType.to_string(phonenumbers.number_type(number)),
        zones[0] if len(zones) == 1 else None,
    )
