"""The simulated dialer's outcome model and pacing (client.simulator): pure, seeded, checked."""

from __future__ import annotations

from collections import Counter

import pytest

from openisales.client.simulator import (
    FAILURE_WEIGHT,
    FAILURES,
    OutcomeModel,
    Pacer,
    parse_rate,
)

DRAWS = 20_000
FAIL_CODES = {code for code, _meaning, _weight in FAILURES}


def outcomes(model: OutcomeModel, n: int = DRAWS) -> list[tuple[int, str]]:
    return [
        (o.call_status, o.fail_code)
        for o in (model.outcome(data_id, 1, f"138{data_id:08d}") for data_id in range(n))
    ]


def test_the_same_seed_gives_the_same_outcomes() -> None:
    first = outcomes(OutcomeModel(7, 0.5), 2000)
    assert first == outcomes(OutcomeModel(7, 0.5), 2000)
    assert first != outcomes(OutcomeModel(8, 0.5), 2000)


def test_each_attempt_and_number_is_a_draw_of_its_own() -> None:
    model = OutcomeModel(3, 0.5)
    by_attempt = [
        [model.outcome(d, attempt, "1").call_status for d in range(2000)] for attempt in (1, 2)
    ]
    by_number = [
        [model.outcome(d, 1, number).call_status for d in range(2000)] for number in ("1", "2")
    ]
    for first, second in (by_attempt, by_number):
        same = sum(a == b for a, b in zip(first, second, strict=True))
        assert 800 < same < 1200  # independent draws agree about half the time


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.3, 0.6, 0.95, 1.0])
def test_the_answer_rate_is_honoured(rate: float) -> None:
    answered = sum(status == 6 for status, _code in outcomes(OutcomeModel(11, rate)))
    assert abs(answered / DRAWS - rate) < 0.015, answered


def test_outcomes_are_documented_pairs_and_failures_follow_their_weights() -> None:
    drawn = outcomes(OutcomeModel(5, 0.4))
    assert {code for status, code in drawn if status == 6} == {"00000"}
    failures = Counter(code for status, code in drawn if status == 5)
    assert set(failures) == FAIL_CODES
    assert {status for status, _code in drawn} == {5, 6}
    total = sum(failures.values())
    for code, _meaning, weight in FAILURES:
        assert abs(failures[code] / total - weight / FAILURE_WEIGHT) < 0.02, (code, failures)


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_an_answer_rate_outside_0_to_1_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="answer rate"):
        OutcomeModel(1, rate)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        ("20", 20.0),
        ("20/s", 20.0),
        ("2.5/sec", 2.5),
        ("600/min", 10.0),
        ("120/m", 2.0),
        ("3600/h", 1.0),
    ],
)
def test_rates(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["", "fast", "0", "0/s", "20/day", "-5/s", "20/s/s"])
def test_bad_rates(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


def test_the_pacer_spreads_calls_at_the_rate_and_does_not_catch_up() -> None:
    pacer = Pacer(rate=10.0, started=100.0)
    assert pacer.wait(100.0, 5) == pytest.approx(0.5)  # 5 calls at 10/s take 0.5 s
    assert pacer.wait(100.5, 5) == pytest.approx(0.5)
    assert pacer.wait(100.9, 5) == pytest.approx(0.6)  # the first 10 end at 101.0, these 0.5 later
    assert pacer.wait(101.7, 5) == pytest.approx(0.5)  # late by 0.2 s: no burst to catch up
    # Idle for a minute (nothing to lease): the next batch is paced again, not sent in a burst.
    assert pacer.wait(162.0, 10) == pytest.approx(1.0)
