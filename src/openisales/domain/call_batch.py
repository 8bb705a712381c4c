"""The lifecycle of an outbound call batch (cec_07_0770-0775): active, paused, deleted.

The wire values are the published ``status``: 1 started, 2 paused. A deleted batch keeps its row
(its records' ``batchId`` still names it in the statistics) but no interface finds it any more,
and its name may be taken again.
"""

from __future__ import annotations

from enum import IntEnum

from openisales.domain.lifecycle import Lifecycle


class BatchStatus(IntEnum):
    ACTIVE = 1
    PAUSED = 2
    DELETED = 3


CALL_BATCH: Lifecycle[BatchStatus] = Lifecycle(
    name="call batch",
    moves={
        BatchStatus.ACTIVE: frozenset({BatchStatus.PAUSED, BatchStatus.DELETED}),
        BatchStatus.PAUSED: frozenset({BatchStatus.ACTIVE, BatchStatus.DELETED}),
        BatchStatus.DELETED: frozenset(),
    },
    texts={
        BatchStatus.ACTIVE: "started",
        BatchStatus.PAUSED: "paused",
        BatchStatus.DELETED: "deleted",
    },
    terminal=frozenset({BatchStatus.DELETED}),
)
