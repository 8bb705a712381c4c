"""The stored form of ``called`` is exactly what json.dumps would write."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from openisales.domain.validation import CalledNumber, CallRecord
from openisales.services.calldata_rows import called_json, called_key

numbers = st.builds(
    CalledNumber,
    st.from_regex(r"[0-9*#]{1,24}", fullmatch=True),
    st.integers(0, 7200),
    st.one_of(st.none(), st.text(max_size=20)),
)


@given(st.lists(numbers, min_size=1, max_size=5))
def test_called_json_matches_json_dumps(called: list[CalledNumber]) -> None:
    record = CallRecord("s", tuple(called), None, None, None, None, None)
    expected = [
        {
            "calledNo": n.called_no,
            "delayTime": n.delay_time,
            **({"type": n.type} if n.type is not None else {}),
        }
        for n in called
    ]
    assert json.loads(called_json(record)) == expected
    assert called_json(record) == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))


def test_called_key_is_the_sorted_distinct_numbers() -> None:
    record = CallRecord(
        "s", (CalledNumber("3", 0, None), CalledNumber("1", 0, None), CalledNumber("3", 5, None)),
        None, None, None, None, None,
    )  # fmt: skip
    assert called_key(record) == "1,3"
