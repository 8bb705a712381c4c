"""A chunk of an import crosses from the reader's process to the worker unchanged."""

from __future__ import annotations

import pickle
from datetime import datetime

from openisales.domain.record_row import RecordStatus, record_row, rows_frame
from openisales.services.calldata_rows import Chunk


def test_a_chunk_arrives_as_it_was_sent() -> None:
    rows = rows_frame(
        [
            record_row(
                campaign_pk=1, session_id="", called_key="1,2", called='[{"calledNo":"1"}]',
                caller=None, custom_field="字段", recycle_time=datetime(2099, 1, 2, 3, 4, 5, 6),
                call_data="a\tb\nc", priority=5, status=RecordStatus.BLOCKED,
                import_task_id="t", row_number=7,
            )
        ]
    )  # fmt: skip
    chunk = Chunk(rows, [(8, "called", "02000002", "called.required", "m", ["", "x"])], 2, 1)
    chunk.read_seconds, chunk.validate_seconds, chunk.reader, chunk.width = 1.5, 0.5, "columnar", 3
    arrived = pickle.loads(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))
    assert arrived.rows.schema == rows.schema
    assert arrived.rows.rows() == rows.rows()
    assert (arrived.failures, arrived.total, arrived.failed_rows) == (chunk.failures, 2, 1)
    assert (arrived.read_seconds, arrived.validate_seconds) == (1.5, 0.5)
    assert (arrived.reader, arrived.width) == ("columnar", 3)
