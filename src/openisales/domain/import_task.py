r"""The import task's lifecycle: the four documented statuses and the moves between them.

```
            claim                 complete / fail
 PREPARING ------> RUNNING ------------------------> COMPLETED | FAILED
     ^   \           |  ^
     |    \ cancel   |  | lease expired: another worker claims it again
     |     \         |  +--+
     |      +--------|------------------------------> FAILED
     +---------------+ release for a retry (backoff)
```

The values are the documented ``status`` of queryDataImportTask: 0 preparing (queued or waiting
for its schedule), 1 running, 2 completed (even with failed rows), 3 failed (nothing imported).
"""

from __future__ import annotations

from enum import IntEnum

from openisales.domain.lifecycle import Lifecycle


class ImportStatus(IntEnum):
    """``status`` of an import task, as queryDataImportTask answers it."""

    PREPARING = 0
    RUNNING = 1
    COMPLETED = 2
    FAILED = 3


IMPORT_TASK: Lifecycle[ImportStatus] = Lifecycle(
    name="import task",
    moves={
        ImportStatus.PREPARING: frozenset({ImportStatus.RUNNING, ImportStatus.FAILED}),
        ImportStatus.RUNNING: frozenset(
            {
                ImportStatus.RUNNING,  # a lease that expired is claimed again
                ImportStatus.PREPARING,  # released for a retry after a passing fault
                ImportStatus.COMPLETED,
                ImportStatus.FAILED,
            }
        ),
        ImportStatus.COMPLETED: frozenset(),
        ImportStatus.FAILED: frozenset(),
    },
    texts={
        ImportStatus.PREPARING: "preparing",
        ImportStatus.RUNNING: "running",
        ImportStatus.COMPLETED: "completed",
        ImportStatus.FAILED: "failed",
    },
    terminal=frozenset({ImportStatus.COMPLETED, ImportStatus.FAILED}),
)

UNFINISHED = (ImportStatus.PREPARING, ImportStatus.RUNNING)
