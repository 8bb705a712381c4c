"""The number lease lifecycle and where a result takes a record (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openisales.domain.dispatch import (
    NUMBER_LEASE,
    DialState,
    Number,
    Outcome,
    after_result,
    priority_key,
)

NOW = datetime(2099, 1, 2, 12, 0, tzinfo=UTC)
NUMBERS = [Number("1", 0, None), Number("2", 60, "SI"), Number("3", 0, None)]


def test_the_moves() -> None:
    assert NUMBER_LEASE.sources(DialState.LEASED) == {DialState.WAITING}
    assert NUMBER_LEASE.sources(DialState.DONE) == {DialState.WAITING, DialState.LEASED}
    assert NUMBER_LEASE.is_terminal(DialState.DONE)
    assert not NUMBER_LEASE.allows(DialState.DONE, DialState.WAITING)


def test_priority_order() -> None:
    assert [priority_key(p) for p in (5, 4, None, 3, 2, 1)] == [0, 1, 2, 2, 3, 4]


def test_success_finishes_whatever_is_left() -> None:
    step = after_result(NUMBERS, 0, 0, 6, None, NOW)
    assert (step.state, step.outcome) == (DialState.DONE, Outcome.REACHED)


def test_a_retry_keeps_the_number_and_counts_the_failure() -> None:
    step = after_result(NUMBERS, 1, 2, 5, 600, NOW)
    assert (step.state, step.position, step.failures) == (DialState.WAITING, 1, 3)
    assert step.due_at == NOW + timedelta(seconds=600)


def test_no_retry_moves_on_after_the_next_numbers_delay_then_finishes() -> None:
    step = after_result(NUMBERS, 0, 4, 5, None, NOW)
    assert (step.state, step.position, step.failures) == (DialState.WAITING, 1, 0)
    assert step.due_at == NOW + timedelta(seconds=60)
    last = after_result(NUMBERS, 2, 0, 5, None, NOW)
    assert (last.state, last.outcome) == (DialState.DONE, Outcome.FAILED)
