"""Call data in JSON (cec_07_0759-0765): add (V1/V2), delete, query one, list, statistics.

A record added here is the same kind of record a file import writes: it is checked by the
file's row rules (``domain.validation.validate_row``), keyed by the same duplicate rule (the
campaign holds one record per sessionId and set of called numbers) and written under the same
campaign lock. An add is all or nothing: one bad, duplicate or blocklisted record refuses the
whole request, and the message names it.

One module per use case: ``new_records`` (add), ``removal`` (delete), ``lookup`` (query one,
list), ``counts`` (statistics, dial progress).
"""

from openisales.services.calldata.counts import DialProgress, dial_progress, statistics
from openisales.services.calldata.lookup import called_nos, get, page, to_dict, to_list_item
from openisales.services.calldata.new_records import (
    MAX_PENDING,
    MAX_RECORDS_PER_ADD,
    Added,
    NewRecord,
    add,
)
from openisales.services.calldata.removal import DeleteRequest, RecycleType, delete

__all__ = [
    "MAX_PENDING",
    "MAX_RECORDS_PER_ADD",
    "Added",
    "DeleteRequest",
    "DialProgress",
    "NewRecord",
    "RecycleType",
    "add",
    "called_nos",
    "delete",
    "dial_progress",
    "get",
    "page",
    "statistics",
    "to_dict",
    "to_list_item",
]
