"""Row validation against seed Tables 2 and 3, with the lenient readings of real files."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from openisales.domain.cells import Cell
from openisales.domain.template import FIELDS, map_header
from openisales.domain.validation import (
    CalledNumber,
    CallRecord,
    RowError,
    is_blank,
    original_cells_as_text,
    validate_row,
)

COLUMNS = map_header(FIELDS)
TABLE_8_CODES = {"02000001", "02000002", "02000003", "02000006", "02000007", "02000008"}
ONE = '[{"calledNo":"13800001234"}]'


def cells(**values: Cell) -> list[Cell]:
    """A row in FIELDS order; ``called`` defaults to one valid number."""
    values.setdefault("called", ONE)
    return [values.get(name) for name in FIELDS]


def record(*, must_be_json: bool = False, **values: Cell) -> CallRecord:
    result = validate_row(cells(**values), COLUMNS, 7, call_data_must_be_json=must_be_json)
    assert isinstance(result, CallRecord), result
    return result


def errors(*, must_be_json: bool = False, **values: Cell) -> list[RowError]:
    result = validate_row(cells(**values), COLUMNS, 7, call_data_must_be_json=must_be_json)
    assert isinstance(result, list), result
    assert result, "an invalid row must report at least one error"
    for error in result:
        assert error.row == 7
        assert error.code in TABLE_8_CODES
    return result


def only_error(*, must_be_json: bool = False, **values: Cell) -> RowError:
    found = errors(must_be_json=must_be_json, **values)
    assert len(found) == 1, found
    return found[0]


# --- a valid row ----------------------------------------------------------------------------


def test_full_valid_row() -> None:
    result = record(
        sessionId=" S-001 ",
        called='[{"calledNo":"13800001234","delayTime":30,"type":"mobile"},{"calledNo":"010*88#"}]',
        caller="95511",
        callData='{"iSales":{"ServiceID":"1164541685"}}',
        customField="batch 7",
        recycleTime="2024-06-01 18:00:00",
        priority="2",
    )
    assert result == CallRecord(
        session_id="S-001",
        called=(CalledNumber("13800001234", 30, "mobile"), CalledNumber("010*88#", 0, None)),
        caller="95511",
        custom_field="batch 7",
        recycle_time=datetime(2024, 6, 1, 18, 0, 0),
        call_data='{"iSales":{"ServiceID":"1164541685"}}',
        priority=2,
    )


def test_minimal_row_has_defaults() -> None:
    assert record() == CallRecord("", (CalledNumber("13800001234"),), None, None, None, None, None)


def test_records_are_frozen_and_compare_by_value() -> None:
    first = record(sessionId="a")
    assert first == record(sessionId="a")
    assert hash(first) == hash(record(sessionId="a"))
    assert first != record(sessionId="b")
    with pytest.raises(FrozenInstanceError):
        first.session_id = "x"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        first.called[0].called_no = "1"  # type: ignore[misc]
    assert repr(CalledNumber("1", 2, "t")) == "CalledNumber(called_no='1', delay_time=2, type='t')"


def test_row_shorter_than_the_header_reads_missing_cells_as_empty() -> None:
    result = validate_row([None, "13800001234"], COLUMNS, 3, call_data_must_be_json=True)
    assert result == CallRecord("", (CalledNumber("13800001234"),), None, None, None, None, None)
    missing = validate_row(["s"], COLUMNS, 3, call_data_must_be_json=False)
    assert isinstance(missing, list)
    assert [e.rule for e in missing] == ["called.required"]


def test_all_errors_of_a_row_are_reported() -> None:
    found = errors(
        sessionId="s" * 33,
        called='[{"calledNo":"12a"},{"calledNo":"1","delayTime":9000}]',
        recycleTime="tomorrow",
        priority=9,
    )
    assert [(e.column, e.rule) for e in found] == [
        ("called[1].calledNo", "called.calledNo.chars"),
        ("called[2].delayTime", "called.delayTime.range"),
        ("sessionId", "sessionId.length"),
        ("recycleTime", "recycleTime.format"),
        ("priority", "priority.range"),
    ]


# --- lengths at each limit ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "attribute", "limit"),
    [
        ("sessionId", "session_id", 32),
        ("caller", "caller", 24),
        ("customField", "custom_field", 200),
        ("callData", "call_data", 1024),
    ],
)
def test_text_length_limits(field: str, attribute: str, limit: int) -> None:
    at_limit: dict[str, Any] = {field: "7" * limit}
    assert getattr(record(**at_limit), attribute) == "7" * limit
    over_limit: dict[str, Any] = {field: "7" * (limit + 1)}
    error = only_error(**over_limit)
    assert (error.column, error.code, error.rule) == (field, "02000003", f"{field}.length")
    assert f"has {limit + 1} characters; the limit is {limit}" in error.message
    assert '"7777777' in error.message


def test_long_values_are_shortened_in_messages() -> None:
    error = only_error(customField="x" * 500)
    assert "x" * 40 + "…" in error.message
    assert "x" * 41 not in error.message


def test_surrounding_whitespace_is_not_counted() -> None:
    assert record(caller=" " * 5 + "1" * 24 + "\t").caller == "1" * 24


def test_whitespace_only_optional_fields_are_absent() -> None:
    result = record(sessionId="   ", caller=" ", customField="\t", callData=" ", priority=" ")
    assert (result.session_id, result.caller, result.custom_field) == ("", None, None)
    assert (result.call_data, result.priority) == (None, None)


# --- called ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   ", "[]", " [ ] "])
def test_called_is_mandatory(value: Cell) -> None:
    error = only_error(called=value)
    assert (error.column, error.code, error.rule) == ("called", "02000001", "called.required")
    assert '[{"calledNo":"13800001234"}]' in error.message


def test_called_no_length_limit() -> None:
    assert record(called=f'[{{"calledNo":"{"1" * 24}"}}]').called[0].called_no == "1" * 24
    error = only_error(called=f'[{{"calledNo":"{"1" * 25}"}}]')
    assert (error.column, error.code, error.rule) == (
        "called[1].calledNo",
        "02000003",
        "called.calledNo.length",
    )
    assert "has 25 characters; the limit is 24" in error.message


@pytest.mark.parametrize("value", ["138-0000-1234", "+8613800001234", "1380000 1234", "１３８"])
def test_called_no_characters(value: str) -> None:
    error = only_error(called=f'[{{"calledNo":"{value}"}}]')
    assert (error.column, error.code, error.rule) == (
        "called[1].calledNo",
        "02000002",
        "called.calledNo.chars",
    )
    assert "only digits 0-9, * and # are allowed" in error.message


def test_called_no_reports_characters_and_length_together() -> None:
    found = errors(called='[{"calledNo":"' + "1" * 24 + 'x"}]')
    assert [e.rule for e in found] == ["called.calledNo.chars", "called.calledNo.length"]
    assert "'x'" in found[0].message


def test_called_no_keeps_star_and_hash() -> None:
    assert record(called='[{"calledNo":"*#0123456789#*"}]').called[0].called_no == "*#0123456789#*"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The documentation's own example (seed Table 1).
        ("[{'calledNo':1234566}]", (CalledNumber("1234566"),)),
        (
            "[{'calledNo':'13800001234','delayTime':'30','type':'home'}]",
            (CalledNumber("13800001234", 30, "home"),),
        ),
        ("[{'calledNo':'1','type':'it\\'s'}]", (CalledNumber("1", 0, "it's"),)),
        ("[{'calledNo':'1','type':'say \"hi\"'}]", (CalledNumber("1", 0, 'say "hi"'),)),
        ("[{'calledNo':'1','type':\"o'clock\"}]", (CalledNumber("1", 0, "o'clock"),)),
        # A single object without the array.
        ('{"calledNo":"13800001234","delayTime":5}', (CalledNumber("13800001234", 5),)),
        # Numbers instead of strings.
        (
            '[{"calledNo":13800001234,"delayTime":"60","type":2}]',
            (CalledNumber("13800001234", 60, "2"),),
        ),
        (
            '[{"calledNo":13800001234.0,"delayTime":60.0,"type":1.0}]',
            (CalledNumber("13800001234", 60, "1"),),
        ),
        ('[{"calledNo":"1","type":"  mobile "}]', (CalledNumber("1", 0, "mobile"),)),
        ('[{"calledNo":" 1 ","delayTime":"","type":""}]', (CalledNumber("1", 0, None),)),
        ('[{"calledNo":"1","extra":{"ignored":true}}]', (CalledNumber("1"),)),
        # A bare number as text.
        ("13800001234", (CalledNumber("13800001234"),)),
        (" *123# ", (CalledNumber("*123#"),)),
    ],
)
def test_called_accepted_forms(value: str, expected: tuple[CalledNumber, ...]) -> None:
    assert record(called=value).called == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13800001234.0, "13800001234"),
        (13800001234, "13800001234"),
        (0.0, "0"),
        (999999999999999.0, "999999999999999"),
    ],
)
def test_called_number_cells_keep_every_digit(value: float, expected: str) -> None:
    assert record(called=value).called == (CalledNumber(expected),)


@pytest.mark.parametrize(
    ("value", "shown", "problem"),
    [
        ("1.38E+10", "1.38E+10", "is a number that has lost digits"),
        ("1.38e10", "1.38e10", "is a number that has lost digits"),
        (1.5, "1.5", "is a number with a fraction"),
        (13800001234.5, "13800001234.5", "is a number with a fraction"),
        (1e15, "1e+15", "is a number that has lost digits"),
        (1.2345678901234568e18, "1.23456789012346e+18", "is a number that has lost digits"),
    ],
)
def test_called_number_that_lost_digits(value: Cell, shown: str, problem: str) -> None:
    error = only_error(called=value)
    assert (error.column, error.code, error.rule) == ("called", "02000008", "number.lost_digits")
    assert f'"{shown}" {problem}' in error.message
    assert "format the column as Text" in error.message


@pytest.mark.parametrize("literal", ["1.38E+10", "13800001234.5", "1e3"])
def test_json_called_no_that_lost_digits(literal: str) -> None:
    error = only_error(called=f'[{{"calledNo":{literal}}}]')
    assert (error.column, error.rule) == ("called[1].calledNo", "number.lost_digits")
    assert literal in error.message


def test_negative_number_cell_is_an_invalid_character() -> None:
    error = only_error(called=-5.0)
    assert (error.column, error.rule) == ("called", "called.calledNo.chars")
    assert "'-'" in error.message


@pytest.mark.parametrize(
    "value",
    [
        "[{calledNo:13800001234}]",
        '[{"calledNo":"1"}] trailing',
        '[{"calledNo":"1"}',
        '[{"calledNo": NaN}]',
        '[{"calledNo": Infinity}]',
        '"13800001234"',
        "[" * 5000 + "]" * 5000,
        "{'calledNo':'1'",
    ],
)
def test_called_that_is_not_json(value: str) -> None:
    error = only_error(called=value)
    if value.startswith('"'):  # not JSON-looking: read as a bare number with bad characters
        assert error.rule == "called.calledNo.chars"
        return
    assert (error.column, error.code, error.rule) == ("called", "02000006", "called.json")
    assert "is not a JSON array of numbers" in error.message


def test_called_elements_must_be_objects() -> None:
    found = errors(called='[1, "2", {"calledNo":"3"}, null]')
    assert [(e.column, e.code, e.rule) for e in found] == [
        ("called[1]", "02000006", "called.item"),
        ("called[2]", "02000006", "called.item"),
        ("called[4]", "02000006", "called.item"),
    ]


@pytest.mark.parametrize(
    "value", ['[{"number":"1"}]', '[{"calledNo":""}]', '[{"calledNo":null}]', "[{}]"]
)
def test_called_no_is_mandatory(value: str) -> None:
    error = only_error(called=value)
    assert (error.column, error.code, error.rule) == (
        "called[1].calledNo",
        "02000001",
        "called.calledNo.required",
    )


def test_missing_called_no_lists_the_keys_found() -> None:
    assert (
        "keys found: calledno, delay" in only_error(called='[{"calledno":"1","delay":0}]').message
    )


@pytest.mark.parametrize(
    "value", ["[{'calledNo':true}]", '[{"calledNo":["1"]}]', '[{"calledNo":{"n":1}}]']
)
def test_called_no_of_another_json_type(value: str) -> None:
    error = only_error(called=value)
    assert (error.code, error.rule) == ("02000006", "called.calledNo.type")


@pytest.mark.parametrize(
    ("delay", "expected"),
    [("0", 0), ("7200", 7200), ("30", 30), ('"30"', 30), ('" 45 "', 45), ("null", 0)],
)
def test_delay_time_accepted(delay: str, expected: int) -> None:
    result = record(called=f'[{{"calledNo":"1","delayTime":{delay}}}]')
    assert result.called[0].delay_time == expected


@pytest.mark.parametrize(
    ("delay", "shown"), [("-1", "-1"), ("7201", "7201"), ('"-1"', "-1"), ("99999", "99999")]
)
def test_delay_time_out_of_range(delay: str, shown: str) -> None:
    error = only_error(called=f'[{{"calledNo":"1","delayTime":{delay}}}]')
    assert (error.column, error.code, error.rule) == (
        "called[1].delayTime",
        "02000007",
        "called.delayTime.range",
    )
    assert f"delayTime {shown} is out of range; it must be 0 to 7200 seconds" in error.message


@pytest.mark.parametrize("delay", ['"abc"', "30.5", "true", "[30]", '"1e3"', "1e3"])
def test_delay_time_not_a_whole_number(delay: str) -> None:
    error = only_error(called=f'[{{"calledNo":"1","delayTime":{delay}}}]')
    assert (error.column, error.code, error.rule) == (
        "called[1].delayTime",
        "02000006",
        "called.delayTime.type",
    )


@pytest.mark.parametrize("kind", ["true", "[1]", '{"a":1}'])
def test_type_must_be_text_or_number(kind: str) -> None:
    error = only_error(called=f'[{{"calledNo":"1","type":{kind}}}]')
    assert (error.column, error.code, error.rule) == (
        "called[1].type",
        "02000006",
        "called.type.type",
    )


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (True, "TRUE/FALSE"),
        (datetime(2024, 1, 1, 8), "date"),
        (date(2024, 1, 1), "date"),
        (time(8), "time"),
    ],
)
def test_called_cell_of_the_wrong_kind(value: Cell, kind: str) -> None:
    error = only_error(called=value)
    assert (error.column, error.code, error.rule) == ("called", "02000006", "called.cell_type")
    assert f"a {kind} cell" in error.message


# --- caller, sessionId, customField: number and date cells ---------------------------------


def test_number_cells_become_digits() -> None:
    result = record(sessionId=12345.0, caller=95511.0, customField=7, callData=3.0)
    assert (result.session_id, result.caller, result.custom_field, result.call_data) == (
        "12345",
        "95511",
        "7",
        "3",
    )


def test_text_fields_accept_fractions_but_phone_fields_do_not() -> None:
    assert record(customField=0.1 + 0.2).custom_field == "0.3"
    error = only_error(caller=95511.5)
    assert (error.column, error.rule) == ("caller", "number.lost_digits")


@pytest.mark.parametrize("field", ["sessionId", "caller", "customField"])
def test_numbers_beyond_excel_precision_lost_digits(field: str) -> None:
    sixteen_digits: dict[str, Any] = {field: 1234567890123456.0}
    error = only_error(**sixteen_digits)
    assert (error.column, error.code, error.rule) == (field, "02000008", "number.lost_digits")


def test_caller_text_in_scientific_notation_lost_digits() -> None:
    assert only_error(caller="9.5511E+4").rule == "number.lost_digits"


def test_text_fields_take_date_and_boolean_cells_as_shown() -> None:
    result = record(
        sessionId=datetime(2024, 6, 1, 18, 0), customField=True, callData=date(2024, 6, 1)
    )
    assert (result.session_id, result.custom_field, result.call_data) == (
        "2024-06-01 18:00:00",
        "TRUE",
        "2024-06-01",
    )


@pytest.mark.parametrize("value", [True, datetime(2024, 1, 1), time(9, 30)])
def test_caller_must_not_be_a_date_or_boolean_cell(value: Cell) -> None:
    error = only_error(caller=value)
    assert (error.column, error.code, error.rule) == ("caller", "02000006", "caller.cell_type")


# --- callData -------------------------------------------------------------------------------


def test_call_data_need_not_be_json_by_default() -> None:
    assert record(callData="plain text, not JSON").call_data == "plain text, not JSON"


@pytest.mark.parametrize(
    "value", ['{"a":1}', ' {"iSales":{"ServiceID":"1164541685","fullName":"林"}} ']
)
def test_call_data_json_object_accepted_when_required(value: str) -> None:
    assert record(must_be_json=True, callData=value).call_data == value.strip()


@pytest.mark.parametrize("value", ["plain", "[1, 2]", "42", '{"a":', '{\\"iSales\\":1}'])
def test_call_data_must_be_a_json_object_when_required(value: str) -> None:
    error = only_error(must_be_json=True, callData=value)
    assert (error.column, error.code, error.rule) == ("callData", "02000006", "callData.json")
    assert "is not a JSON object" in error.message


def test_call_data_over_the_limit_is_one_error_even_when_json_is_required() -> None:
    error = only_error(must_be_json=True, callData='{"a":"' + "x" * 1020 + '"}')
    assert error.rule == "callData.length"


# --- recycleTime ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-01 18:00:00", datetime(2024, 6, 1, 18, 0, 0)),
        (" 2024-12-31 23:59:59 ", datetime(2024, 12, 31, 23, 59, 59)),
        (datetime(2024, 6, 1, 18, 0, 0), datetime(2024, 6, 1, 18, 0, 0)),
        (datetime(2024, 6, 1, 17, 59, 59, 999_600), datetime(2024, 6, 1, 18, 0, 0)),
        (datetime(2024, 6, 1, 18, 0, 0, 400), datetime(2024, 6, 1, 18, 0, 0)),
        (date(2024, 6, 1), datetime(2024, 6, 1, 0, 0, 0)),
        (None, None),
        ("", None),
    ],
)
def test_recycle_time_accepted(value: Cell, expected: datetime | None) -> None:
    result = record(recycleTime=value).recycle_time
    assert result == expected
    assert result is None or result.tzinfo is None


@pytest.mark.parametrize(
    "value",
    [
        "2024-6-1 18:00:00",
        "2024/06/01 18:00:00",
        "2024-06-01T18:00:00",
        "2024-06-01 18:00",
        "2024-06-01",
        "20240601180000",
        "2024-06-01 18:00:00.5",
        "2024-06-01 18:00:00+08:00",
        "２０２４-06-01 18:00:00",
    ],
)
def test_recycle_time_format(value: str) -> None:
    error = only_error(recycleTime=value)
    assert (error.column, error.code, error.rule) == (
        "recycleTime",
        "02000006",
        "recycleTime.format",
    )
    assert "yyyy-mm-dd hh:mm:ss" in error.message


@pytest.mark.parametrize(
    "value",
    ["2024-02-30 10:00:00", "2023-02-29 10:00:00", "2024-06-01 24:00:00", "2024-13-01 00:00:00"],
)
def test_recycle_time_impossible_date(value: str) -> None:
    error = only_error(recycleTime=value)
    assert (error.column, error.code, error.rule) == (
        "recycleTime",
        "02000007",
        "recycleTime.value",
    )
    assert value in error.message


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (45000.5, "number"),
        (45000, "number"),
        (time(18, 0), "time"),
        (timedelta(hours=5), "time"),
        (True, "TRUE/FALSE"),
    ],
)
def test_recycle_time_is_not_guessed_from_other_cells(value: Cell, kind: str) -> None:
    error = only_error(recycleTime=value)
    assert (error.column, error.code, error.rule) == (
        "recycleTime",
        "02000006",
        "recycleTime.cell_type",
    )
    assert f"a {kind} cell" in error.message


# --- priority -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), (5, 5), (3.0, 3), ("4", 4), (" 2 ", 2), (None, None)]
)
def test_priority_accepted(value: Cell, expected: int | None) -> None:
    assert record(priority=value).priority == expected


@pytest.mark.parametrize("value", [0, 6, "0", "-1", 100.0])
def test_priority_out_of_range(value: Cell) -> None:
    error = only_error(priority=value)
    assert (error.column, error.code, error.rule) == ("priority", "02000007", "priority.range")
    assert "it must be 1 to 5" in error.message


@pytest.mark.parametrize("value", ["high", 2.5, "2.0", True, datetime(2024, 1, 1)])
def test_priority_not_a_whole_number(value: Cell) -> None:
    error = only_error(priority=value)
    assert (error.column, error.code, error.rule) == ("priority", "02000006", "priority.type")


def test_priority_is_ignored_without_its_column() -> None:
    columns = map_header(["called"])
    result = validate_row(["1", "high"], columns, 2, call_data_must_be_json=False)
    assert isinstance(result, CallRecord)
    assert result.priority is None


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "blank"),
    [
        ([], True),
        ([None, None], True),
        (["", " ", "\t\n"], True),
        ([None, 0.0], False),
        (["x"], False),
        ([False], False),
    ],
)
def test_is_blank(row: list[Any], blank: bool) -> None:
    assert is_blank(row) is blank


def test_original_cells_as_text() -> None:
    row: list[Cell] = [
        13800001234.0,
        1.5,
        1.2345678901234568e18,
        42,
        True,
        None,
        " text ",
        datetime(2024, 6, 1, 18, 0, 0, 999_999),
        date(2024, 6, 1),
        time(9, 30, 15),
        timedelta(days=1, hours=12, minutes=5),
    ]
    assert original_cells_as_text(row) == [
        "13800001234",
        "1.5",
        "1.23456789012346e+18",
        "42",
        "TRUE",
        "",
        " text ",
        "2024-06-01 18:00:01",
        "2024-06-01",
        "09:30:15",
        "36:05:00",
    ]


def test_a_delay_time_of_thousands_of_digits_is_out_of_range_not_a_crash() -> None:
    """int() refuses a text of over 4,300 digits; such a delayTime is simply out of range."""
    columns = map_header(["called"])
    huge = "9" * 5000
    for called in (
        f'[{{"calledNo":"13800001234","delayTime":"{huge}"}}]',
        f'[{{"calledNo":"13800001234","delayTime":{huge}.0}}]',
        f'[{{"calledNo":{huge}.0}}]',
    ):
        errors = validate_row([called], columns, 2, call_data_must_be_json=False)
        assert isinstance(errors, list) and len(errors) == 1, called[:60]
        assert errors[0].rule in ("called.delayTime.range", "called.calledNo.length")
    padded = validate_row(
        ['[{"calledNo":"1","delayTime":"' + "0" * 30 + '30"}]'], columns, 2,
        call_data_must_be_json=False,
    )  # fmt: skip
    assert not isinstance(padded, list) and padded.called[0].delay_time == 30
