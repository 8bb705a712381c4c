"""The result delivery's lifecycle, backoff and receiver URL: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openisales.domain.lifecycle import IllegalTransition
from openisales.domain.result_delivery import (
    RESULT_DELIVERY,
    DeliveryState,
    after_failure,
    backoff,
    first_url,
    receiver_url,
)

NOW = datetime(2099, 1, 2, 12, 0, tzinfo=UTC)


def test_backoff_is_10_s_then_60_s_then_600_s_for_ever() -> None:
    waits = [backoff(failed).total_seconds() for failed in range(1, 7)]
    assert waits == [10, 60, 600, 600, 600, 600]


def test_a_push_is_made_again_until_the_tenants_pushes_are_used_up() -> None:
    assert after_failure(1, 2, NOW) == NOW + timedelta(seconds=10)
    assert after_failure(2, 2, NOW) is None
    assert after_failure(1, 1, NOW) is None
    assert after_failure(5, 6, NOW) == NOW + timedelta(seconds=600)
    assert after_failure(6, 6, NOW) is None


def test_the_campaigns_callbackurl_comes_first() -> None:
    system = "https://system.example/a;https://system.example/b"
    assert (
        receiver_url({"callBackUrl": " https://own.example/r "}, system) == "https://own.example/r"
    )
    assert receiver_url({}, system) == "https://system.example/a"
    assert receiver_url({"callBackUrl": ""}, system) == "https://system.example/a"
    assert receiver_url({"callBackUrl": 17}, "") is None  # not a text: as if not given
    assert receiver_url({}, " ; ") is None


@pytest.mark.parametrize(
    ("setting", "first"),
    [("", None), ("a", "a"), (";; b ;c", "b"), ("http://x/1;http://x/2", "http://x/1")],
)
def test_the_first_url_of_the_system_list(setting: str, first: str | None) -> None:
    assert first_url(setting) == first


def test_only_undeliverable_and_no_receiver_are_redelivered() -> None:
    assert RESULT_DELIVERY.sources(DeliveryState.PENDING) == {
        DeliveryState.DELIVERING,
        DeliveryState.UNDELIVERABLE,
        DeliveryState.NO_RECEIVER,
    }
    assert RESULT_DELIVERY.is_terminal(DeliveryState.DELIVERED)
    with pytest.raises(IllegalTransition):
        RESULT_DELIVERY.check(DeliveryState.DELIVERED, DeliveryState.PENDING)
    with pytest.raises(IllegalTransition):
        RESULT_DELIVERY.check(DeliveryState.PENDING, DeliveryState.DELIVERED)  # only by a claim
