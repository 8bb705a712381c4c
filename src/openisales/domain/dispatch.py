r"""The number lease: the states of a call record in the dial queue, and where a result takes it.

```
              lease                       result: success, or failed with nothing left
  WAITING ------------> LEASED --------------------------------------------------> DONE
   |  ^  ^                |  |
   |  |  |  lease expired |  | result: failed and retried (same number, after the policy's
   |  |  +----------------+  |         interval) or moved on (next number, after its delayTime)
   |  +----------------------+
   |  blocklisted: deferred (WAITING -> WAITING, later due_at)
   +-------------------------------------------------------------------------------> DONE
      recycleTime passed
```

One row per record: only one number of a record is ever being called, the one at ``position``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from openisales.domain.lifecycle import Lifecycle

DEFAULT_PRIORITY = 3  # the documented default of a record's priority (1-5)
PRIORITY_TOP = 5
SUCCESS, FAILED = 6, 5  # the documented callStatus values


class DialState(IntEnum):
    """Where a record stands in the dial queue."""

    WAITING = 0
    LEASED = 1
    DONE = 2


class Outcome(IntEnum):
    """Why a record left the queue."""

    REACHED = 1  # a number answered with callStatus 6
    FAILED = 2  # every number failed, no retry left
    RECYCLED = 3  # its recycleTime passed before it was finished


NUMBER_LEASE: Lifecycle[DialState] = Lifecycle(
    name="number lease",
    moves={
        DialState.WAITING: frozenset(
            {
                DialState.LEASED,
                DialState.WAITING,  # deferred: blocklisted for now
                DialState.DONE,  # recycled
            }
        ),
        DialState.LEASED: frozenset(
            {
                DialState.WAITING,  # expired, retried, or moved to the next number
                DialState.DONE,
            }
        ),
        DialState.DONE: frozenset(),
    },
    texts={
        DialState.WAITING: "waiting",
        DialState.LEASED: "leased",
        DialState.DONE: "done",
    },
    terminal=frozenset({DialState.DONE}),
)


def priority_key(priority: int | None) -> int:
    """The queue's ascending sort key: highest ``priority`` first, none counts as 3."""
    return PRIORITY_TOP - (DEFAULT_PRIORITY if priority is None else priority)


@dataclass(frozen=True)
class Number:
    """One called number of a record, as stored: number, delayTime (s), type."""

    called_no: str
    delay_time: int
    number_type: str | None


@dataclass(frozen=True)
class NextStep:
    """Where a result takes the record: DONE with an outcome, or WAITING for a number."""

    state: DialState
    due_at: datetime | None = None
    position: int = 0
    failures: int = 0
    outcome: Outcome | None = None


def after_result(
    numbers: Sequence[Number],
    position: int,
    failures: int,
    call_status: int,
    retry_in: int | None,
    now: datetime,
) -> NextStep:
    """The record's next step after a result on the number at ``position``.

    ``retry_in`` is the retry policy's answer for this failure: seconds until the same number
    is tried again, or None when it is not retried. Success finishes the record.
    """
    if call_status == SUCCESS:
        return NextStep(DialState.DONE, outcome=Outcome.REACHED)
    if retry_in is not None:
        return NextStep(
            DialState.WAITING, now + timedelta(seconds=retry_in), position, failures + 1
        )
    following = position + 1
    if following >= len(numbers):
        return NextStep(DialState.DONE, outcome=Outcome.FAILED)
    wait = timedelta(seconds=numbers[following].delay_time)
    return NextStep(DialState.WAITING, now + wait, following, 0)
