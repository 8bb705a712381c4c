"""Header mapping of the outbound call data template (seed Table 1)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from openisales.domain.template import FIELDS, ColumnMap, TemplateError, map_header

SEED_HEADER = [
    "sessionId (Optional)",
    "called (Mandatory)",
    "caller (Optional)",
    "callData (Optional)",
    "customField (Optional)",
    "recycleTime (Optional)",
]


def test_seed_header_maps_every_column() -> None:
    columns = map_header(SEED_HEADER)
    assert dict(columns.indexes) == {
        "sessionId": 0,
        "called": 1,
        "caller": 2,
        "callData": 3,
        "customField": 4,
        "recycleTime": 5,
    }
    assert columns.header == tuple(SEED_HEADER)
    assert (columns.session_id, columns.called, columns.caller) == (0, 1, 2)
    assert (columns.call_data, columns.custom_field, columns.recycle_time) == (3, 4, 5)
    assert columns.priority is None


@pytest.mark.parametrize(
    "name",
    [
        "called",
        "CALLED",
        "  Called  ",
        "\ufeffcalled",
        "called(Mandatory)",
        "called (mandatory)",
        "called   (MANDATORY)",
        "called (Optional)",
        "called（必填）",
        "called (可选)",
        "\ufeff called (Mandatory) ",
    ],
)
def test_header_names_are_read_leniently(name: str) -> None:
    assert map_header(["x", name]).called == 1


@pytest.mark.parametrize("name", ["called (backup)", "called no", "calledNo", "call ed"])
def test_other_names_are_not_the_called_column(name: str) -> None:
    with pytest.raises(TemplateError):
        map_header([name])


def test_unknown_columns_are_ignored_but_kept_in_the_header() -> None:
    columns = map_header(["Name", "called", None, 42, "Priority (Optional)"])
    assert dict(columns.indexes) == {"called": 1, "priority": 4}
    assert columns.header == ("Name", "called", "", "42", "Priority (Optional)")


def test_every_template_field_is_recognised() -> None:
    columns = map_header([name.upper() for name in FIELDS])
    assert dict(columns.indexes) == {name: index for index, name in enumerate(FIELDS)}


def test_duplicate_field_names_the_columns() -> None:
    with pytest.raises(TemplateError) as caught:
        map_header(["called", "caller", "Called (Mandatory)", "CALLER"])
    message = caught.value.message
    assert '"called" (columns A, C)' in message
    assert '"caller" (columns B, D)' in message


def test_missing_called_lists_the_columns_found() -> None:
    with pytest.raises(TemplateError) as caught:
        map_header(["sessionId (Optional)", "phone", None, "caller"])
    message = caught.value.message
    assert 'no "called" column' in message
    assert 'Columns found: "sessionId (Optional)", "phone", "caller".' in message


def test_missing_called_shortens_a_long_header() -> None:
    with pytest.raises(TemplateError) as caught:
        map_header([f"col{i}" for i in range(20)])
    assert '"col11" and 8 more' in caught.value.message
    assert "col12" not in caught.value.message


def test_empty_header_says_so() -> None:
    with pytest.raises(TemplateError, match="header row is empty"):
        map_header([None, "  "])


def test_column_map_is_immutable_and_needs_called() -> None:
    columns = map_header(["called"])
    with pytest.raises(FrozenInstanceError):
        columns.called = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        columns.indexes["caller"] = 1  # type: ignore[index]
    with pytest.raises(TemplateError):
        ColumnMap({"caller": 0}, ("caller",))
    with pytest.raises(TemplateError, match="Unknown template fields: phone"):
        ColumnMap({"called": 0, "phone": 1}, ("called", "phone"))
