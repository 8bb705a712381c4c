r"""The result delivery: how one recorded call result is pushed to the customer's receiver.

```
           claim                    HTTP 200
 PENDING --------> DELIVERING ------------------------------> DELIVERED
  ^  ^  ^            |  |  |  ^
  |  |  |  failed,   |  |  |  | claim expired (the pusher died): claimed again
  |  |  +------------+  |  |  +--+
  |  |   pushes left    |  | failed, no push left (or died during the last one)
  |  |                  |  +----------------------------> UNDELIVERABLE --+
  |  |                  | no URL applies                                  |
  |  |                  +-------------------------------> NO_RECEIVER ----+
  |  +----------------------------------------------------------------------+
  |                          redeliver (``openisales results redeliver``)
```

Pushes are counted when an entry is claimed, so a push that kills the pusher every time still
ends: a claim that expires after the tenant's last allowed push is given up (undeliverable).
Delivery is at least once: a pusher that dies after the receiver took the body but before the
answer was written leaves the entry to be pushed again, so receivers dedupe by ``callId`` /
``sessionId`` (an import notice by the task's ``id``).

The same outbox carries the notice of an ended import (``DeliveryKind.IMPORT_NOTICE``): its
task's record POSTed once to the import's ``notifyUrl``, through the same states and backoff.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum

from openisales.domain.lifecycle import Lifecycle

#: Pushes of one result, per tenant: the reference's "tenant parameter, default 2, max 6".
DEFAULT_MAX_PUSHES, MIN_MAX_PUSHES, MAX_MAX_PUSHES = 2, 1, 6
#: Wait before the next push after the 1st, 2nd, 3rd... failed one; the last value repeats.
BACKOFF_SECONDS = (10, 60, 600)


class DeliveryKind(IntEnum):
    """What an outbox entry pushes; every kind follows the same lifecycle, backoff and limit."""

    RESULT = 0  # a recorded call result, to the campaign's callBackUrl (a JSON array per POST)
    IMPORT_NOTICE = 1  # an ended import task's record, to its notifyUrl (one signed POST)


class DeliveryState(IntEnum):
    """Where a result's push stands."""

    PENDING = 0
    DELIVERING = 1
    DELIVERED = 2
    UNDELIVERABLE = 3
    NO_RECEIVER = 4


RESULT_DELIVERY: Lifecycle[DeliveryState] = Lifecycle(
    name="result delivery",
    moves={
        DeliveryState.PENDING: frozenset({DeliveryState.DELIVERING}),
        DeliveryState.DELIVERING: frozenset(
            {
                DeliveryState.DELIVERING,  # a claim that expired is claimed again
                DeliveryState.DELIVERED,
                DeliveryState.PENDING,  # failed, pushed again after the backoff
                DeliveryState.UNDELIVERABLE,
                DeliveryState.NO_RECEIVER,
            }
        ),
        DeliveryState.DELIVERED: frozenset(),
        DeliveryState.UNDELIVERABLE: frozenset({DeliveryState.PENDING}),
        DeliveryState.NO_RECEIVER: frozenset({DeliveryState.PENDING}),
    },
    texts={
        DeliveryState.PENDING: "pending",
        DeliveryState.DELIVERING: "delivering",
        DeliveryState.DELIVERED: "delivered",
        DeliveryState.UNDELIVERABLE: "undeliverable",
        DeliveryState.NO_RECEIVER: "no receiver",
    },
    terminal=frozenset({DeliveryState.DELIVERED}),
)

#: What ``openisales results redeliver --state`` accepts: the states a redelivery starts from.
REDELIVERABLE = {
    "undeliverable": DeliveryState.UNDELIVERABLE,
    "no_receiver": DeliveryState.NO_RECEIVER,
}


def backoff(failed_pushes: int) -> timedelta:
    """The wait after the ``failed_pushes``-th failed push (1 for the first): 10 s, 60 s, 600 s..."""
    index = min(max(failed_pushes, 1), len(BACKOFF_SECONDS)) - 1
    return timedelta(seconds=BACKOFF_SECONDS[index])


def after_failure(pushes: int, max_pushes: int, now: datetime) -> datetime | None:
    """When to push again after a failed push, the ``pushes``-th; None: no push is left."""
    if pushes >= max_pushes:
        return None
    return now + backoff(pushes)


def first_url(setting: str) -> str | None:
    """The first URL of a ``;``-separated list (the system setting's form), or None."""
    for part in setting.split(";"):
        if part.strip():
            return part.strip()
    return None


def receiver_url(campaign_params: dict[str, object], system_setting: str) -> str | None:
    """Where a campaign's results go: its ``callBackUrl``, else the system's first URL."""
    given = campaign_params.get("callBackUrl")
    if isinstance(given, str) and given.strip():
        return given.strip()
    return first_url(system_setting)
