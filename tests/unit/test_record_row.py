"""The declared record row (``domain.record_row``) against the ORM model and the producer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Column as TableColumn
from sqlalchemy import inspect

from openisales.domain.record_row import (
    RECORD_COLUMNS,
    RECORD_SCHEMA,
    RecordStatus,
    as_mapping,
    record_row,
)
from openisales.domain.records import CalledNumber, CallRecord
from openisales.services.calldata_rows import RowSpec, _row
from openisales.storage.models import CallData

# call_data columns a file import does not write: the id and the creation time come from the
# database and load_records, batch_id only from the V2 JSON interface.
NOT_IN_THE_ROW = {"data_id", "created_at", "batch_id"}


def _table_column(name: str) -> TableColumn[Any]:
    return inspect(CallData).columns[name]


def test_every_row_column_is_a_call_data_column_of_the_same_type_and_nullability() -> None:
    for declared in RECORD_SCHEMA:
        column = _table_column(declared.name)
        assert column.type.python_type is declared.kind, declared
        assert bool(column.nullable) is declared.nullable, declared


def test_every_call_data_column_is_in_the_row_or_named_as_left_out() -> None:
    table = {column.name for column in inspect(CallData).columns}
    assert table - set(RECORD_COLUMNS) == NOT_IN_THE_ROW
    assert len(set(RECORD_COLUMNS)) == len(RECORD_COLUMNS)


def test_the_producer_builds_its_rows_in_the_declared_order() -> None:
    spec = RowSpec(
        campaign_pk=7, task_id="t1", max_rows=10, call_data_must_be_json=False,
        blocked=frozenset({"13700000002"}),
    )  # fmt: skip
    record = CallRecord(
        session_id="s1",
        called=(CalledNumber("13800000001", 30, "mobile"), CalledNumber("13700000002")),
        caller="4008001000",
        custom_field="batch7",
        recycle_time=datetime(2099, 1, 2, 18, 0),
        call_data="order 1",
        priority=3,
    )
    assert as_mapping(_row(spec, 5, record)) == {
        "campaign_pk": 7,
        "session_id": "s1",
        "called_key": "13700000002,13800000001",
        "called": '[{"calledNo":"13800000001","delayTime":30,"type":"mobile"},'
        '{"calledNo":"13700000002","delayTime":0}]',
        "caller": "4008001000",
        "custom_field": "batch7",
        "recycle_time": datetime(2099, 1, 2, 18, 0),
        "call_data": "order 1",
        "priority": 3,
        "status": RecordStatus.BLOCKED,
        "import_task_id": "t1",
        "row_number": 5,
    }


def test_a_named_row_needs_every_column_and_no_other() -> None:
    values = {name: None for name in RECORD_COLUMNS}
    assert as_mapping(record_row(**values)) == values
    with pytest.raises(ValueError, match="missing \\['row_number'\\]"):
        record_row(**{name: None for name in RECORD_COLUMNS[:-1]})
    with pytest.raises(ValueError, match="unknown columns \\['batch'\\]"):
        record_row(**values, batch=1)
    with pytest.raises(ValueError, match="12 values, got 3"):
        as_mapping((1, 2, 3))
