"""Chinese texts of every result code, message template and row rule; the locale header."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openisales import errors
from openisales.domain.blocklist_template import BlocklistColumns, validate_blocklist_row
from openisales.domain.records import RowError
from openisales.domain.rule_messages import RULES_ZH, rule_key, rule_message
from openisales.domain.template import ColumnMap
from openisales.domain.validation import validate_row
from openisales.errors import ISalesError, NotFoundError, ResultCode
from openisales.i18n import MESSAGES, Text, has_cjk, parse_locale, speaking, translate_stored

DOMAIN = Path(errors.__file__).parent / "domain"
# Templates that are only punctuation around their parameters.
STRUCTURAL = {"field"}


@pytest.mark.parametrize("code", list(ResultCode), ids=lambda code: code.name)
def test_every_result_code_has_a_chinese_text(code: ResultCode) -> None:
    assert code.zh.strip() and has_cjk(code.zh)
    assert code.en.strip() and not has_cjk(code.en)


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_template_has_both_languages_with_the_same_parameters(key: str) -> None:
    en, zh = MESSAGES[key]
    fields = string.Formatter()
    assert {name for _, name, _, _ in fields.parse(en) if name} == {
        name for _, name, _, _ in fields.parse(zh) if name
    }
    assert en.strip() and not has_cjk(en)
    assert zh.strip() and (key in STRUCTURAL or has_cjk(zh))


@pytest.mark.parametrize("rule", sorted(RULES_ZH))
def test_every_rule_text_is_chinese(rule: str) -> None:
    assert has_cjk(RULES_ZH[rule].format(column="caller", limit=24))


def _rule_literals() -> set[str]:
    """Every rule the domain's row errors name: the fourth argument of RowError, or a rule=."""
    found: set[str] = set()
    for path in DOMAIN.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found.update(re.findall(r'RowError\(\s*[^,]+,\s*[^,]+,\s*\w+,\s*f?"([^"]+)"', source))
        found.update(re.findall(r'f"\{column\}\.([a-z_]+)"', source))
        found.update(re.findall(r'too_long\([^)]*"([a-zA-Z.]+\.length)"\)', source))
    return {rule if "." in rule else f"{{column}}.{rule}" for rule in found if rule}


def test_the_rule_scan_finds_the_rules() -> None:
    rules = _rule_literals()
    assert {"called.json", "expiryTime.past", "{column}.length", "{column}.cell_type"} <= rules


@pytest.mark.parametrize("rule", sorted(_rule_literals()))
def test_every_rule_of_the_domain_has_a_chinese_text(rule: str) -> None:
    concrete = rule.replace("{column}", "caller").replace("{where}", "called[1]")
    assert rule_key(concrete) is not None, rule


FIELDS = ("sessionId", "called", "caller", "callData", "customField", "recycleTime", "priority")
COLUMNS = ColumnMap({name: i for i, name in enumerate(FIELDS)}, FIELDS)
BAD_ROWS: list[list[object]] = [
    ["x" * 33, "[]", "1" * 25, "c\x01", "f" * 201, "2026/12/01", "9"],
    ["a", "not json", datetime(2026, 1, 1), "", "", "2026-02-30 10:00:00", "x"],
    ["a", '[{"calledNo":"12X","delayTime":"7201"}, 5, {"type": []}]', 1.5e16, "", "", 3.5, ""],
    ["a", '[{"calledNo":{"a":1},"delayTime":"x"}]', "1.38E+10", "", "", "", ""],
    ["a", True, "", "", "", "", ""],
    ["a", None, "", "", "", "", ""],
]


@pytest.mark.parametrize("row", range(len(BAD_ROWS)))
def test_row_errors_read_in_chinese(row: int) -> None:
    result = validate_row(BAD_ROWS[row], COLUMNS, row + 2, call_data_must_be_json=True)
    assert isinstance(result, list) and result
    for error in result:
        assert rule_key(error.rule) is not None, error
        chinese = rule_message(error.rule, error.column, error.message, "zh")
        assert has_cjk(chinese) and error.column in chinese, (error, chinese)
        assert rule_message(error.rule, error.column, error.message, "en") == error.message


def test_blocklist_row_errors_read_in_chinese() -> None:
    names = ("number", "expiryTime", "validityTime", "restrictTimes", "restrictPeriod")
    columns = BlocklistColumns({name: i for i, name in enumerate(names)}, names)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[list[object]] = [
        ["12a", "2020-01-01 00:00:00", "0", "5", ""],
        ["", "2026/01/01", "x", "", "7"],
        ["1" * 25, "2026-02-30 00:00:00", "", "", ""],
    ]
    seen = 0
    for index, cells in enumerate(rows):
        result = validate_blocklist_row(cells, columns, index + 2, now=now, zone=UTC)
        assert isinstance(result, list) and result
        for error in result:
            seen += 1
            assert has_cjk(rule_message(error.rule, error.column, error.message, "zh")), error
    assert seen >= 6


def test_unknown_rule_keeps_its_stored_sentence() -> None:
    error = RowError(2, "x", ResultCode.WRONG_VALUE, "gone.rule", "x is wrong.")
    assert rule_message(error.rule, error.column, error.message, "zh") == "x is wrong."


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh_CN", "zh"),
        ("zh-CN", "zh"),
        ("ZH_cn", "zh"),
        (" zh ", "zh"),
        ("zh_TW", "zh"),
        ("en_US", "en"),
        ("en", "en"),
        ("EN-gb", "en"),
        ("fr_FR", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_locale(header: str | None, language: str | None) -> None:
    assert parse_locale(header) == language


def _not_found_classes() -> list[type[NotFoundError]]:
    found: list[type[NotFoundError]] = []
    pending: list[type[NotFoundError]] = [NotFoundError]
    while pending:
        cls = pending.pop()
        found.extend(cls.__subclasses__())
        pending.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", _not_found_classes(), ids=lambda cls: cls.__name__)
def test_every_not_found_error_speaks_both_languages(cls: type[NotFoundError]) -> None:
    assert cls.__name__ in MESSAGES
    error = cls("7", 3) if cls is errors.CallDataNotFound else cls("7")  # type: ignore[call-arg]
    where = " in campaign 3" if cls is errors.CallDataNotFound else ""
    assert error.message == f"{cls.noun} 7 {cls.absent}{where}"  # the English of old
    assert has_cjk(error.text("zh")) and "7" in error.text("zh")
    assert error.text("en") == error.message


def test_error_without_template_leads_with_its_codes_chinese_text() -> None:
    error = errors.WrongValue("limit: must be 1 to 100")
    assert error.text("zh") == "参数值大小不正确：limit: must be 1 to 100"
    with speaking("zh"):
        assert error.text() == error.text("zh")
    assert error.text() == error.message


@pytest.mark.parametrize(
    "error",
    [
        errors.HourMinuteUnpaired(),
        errors.NumberBlocklisted(["1", "2"]),
        errors.RequestInProgress(),
        errors.BodyTooLarge(10),
        errors.RequestTimeout(1.5),
        errors.UnsupportedMediaType("text/plain"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_with_templates_render_in_chinese(error: ISalesError) -> None:
    assert has_cjk(error.text("zh")) and not has_cjk(error.message)


def test_stored_err_msg_is_read_back_in_chinese() -> None:
    stored = Text("task.rows_failed", {"count": 3}).render("en")
    assert translate_stored(stored, "zh") == "3行数据校验失败，请下载失败报告查看每行的原因"
    retry = Text(
        "task.retrying", {"attempts": 2, "delay": "30", "reason": Text("task.campaign_gone")}
    ).render("en")
    assert translate_stored(retry, "zh") == "第2次尝试失败，30秒后重试：外呼活动已不存在"
    assert translate_stored(stored, "en") == stored
    assert translate_stored("something else", "zh") == "something else"
