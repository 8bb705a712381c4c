"""The Chinese text of every row rule, for row errors read back in the caller's language.

A ``RowError`` keeps its English sentence (which quotes the value) and its stable ``rule``;
both are stored with a rejected row. The Chinese text is rendered from the rule and the column
when it is read (the failure report, an API answer), so one stored row serves both languages;
it names the column and the limit, and the report shows the row's own cells beside it.

Rules are dotted names; an index in a column (``called[2].calledNo``) is not part of the rule.
A rule whose first part is the column itself (``caller.length``) falls back on the rule's kind
(``*.length``) when no rule of that exact name is listed.
"""

from __future__ import annotations

import re

from openisales.domain.blocklist_template import (
    NUMBER_MAX,
    RESTRICT_TIMES_MAX,
    RESTRICT_TIMES_MIN,
    VALIDITY_MAX,
    VALIDITY_MIN,
)
from openisales.domain.records import (
    CALL_DATA_MAX,
    CALLED_NO_MAX,
    CALLER_MAX,
    CUSTOM_FIELD_MAX,
    DELAY_TIME_MAX,
    PRIORITY_MAX,
    PRIORITY_MIN,
    SESSION_ID_MAX,
    RowError,
)
from openisales.i18n import Both, Language, current

_FORMAT = "yyyy-mm-dd hh:mm:ss"

# fmt: off
RULES_ZH: dict[str, str] = {
    # domain/validation.py and domain/records.py: outbound call data rows
    "callData.json": '{column}不是JSON对象；该外呼活动要求形如{{"name":"value"}}的JSON',
    "recycleTime.value": "{column}不是真实存在的日期和时间",
    "recycleTime.format": f"{{column}}的格式不是{_FORMAT}（例如2024-06-01 18:00:00）",
    "priority.type": f"{{column}}不是{PRIORITY_MIN}到{PRIORITY_MAX}之间的整数",
    "priority.range": f"{{column}}超出取值范围，必须为{PRIORITY_MIN}到{PRIORITY_MAX}",
    "number.lost_digits": "{column}是丢失了位数的数字（Excel只保留15位有效数字）或带小数的数字；请把该列设为文本格式后重新输入号码",
    # domain/called.py: the called column
    "called.required": '{column}为空；必须至少包含一个号码，例如[{{"calledNo":"13800001234"}}]',
    "called.json": '{column}不是号码的JSON数组，例如[{{"calledNo":"13800001234"}}]',
    "called.item": '{column}不是形如{{"calledNo":"13800001234"}}的对象',
    "called.calledNo.required": "{column}缺少calledNo",
    "called.calledNo.type": "{column}不是数字或数字文本",
    "called.calledNo.chars": "{column}包含非法字符；只允许数字0-9、*和#",
    "called.calledNo.length": f"{{column}}的长度超过上限{CALLED_NO_MAX}个字符",
    "called.calledNo.invalid": "{column}不是可能存在的电话号码（按租户的默认地区解析）",
    "called.delayTime.type": "{column}不是以秒为单位的整数",
    "called.delayTime.range": f"{{column}}超出取值范围，必须为0到{DELAY_TIME_MAX}秒",
    "called.type.type": "{column}不是文本或数字",
    # domain/blocklist_template.py: blocklist rows
    "number.empty": "{column}为空",
    "number.chars": "{column}只能包含数字、*和#",
    "number.length": f"{{column}}的长度超过上限{NUMBER_MAX}个字符",
    "expiryTime.past": "{column}已经过去；过期时间必须晚于当前时间",
    "expiryTime.value": "{column}不是真实存在的日期和时间",
    "expiryTime.format": f"{{column}}的格式不是{_FORMAT}（例如2024-06-01 18:00:00）",
    "validityTime.type": f"{{column}}不是{VALIDITY_MIN}到{VALIDITY_MAX}之间的整数",
    "validityTime.range": f"{{column}}超出取值范围，必须为{VALIDITY_MIN}到{VALIDITY_MAX}",
    "restrictTimes.type": f"{{column}}不是{RESTRICT_TIMES_MIN}到{RESTRICT_TIMES_MAX}之间的整数",
    "restrictTimes.range": f"{{column}}超出取值范围，必须为{RESTRICT_TIMES_MIN}到{RESTRICT_TIMES_MAX}",
    "restrictPeriod.value": "{column}必须为0（每小时）或1（每天）",
    "restrict.combination": "restrictTimes和restrictPeriod必须同时设置或同时不设置（缺少{column}）",
    # rules named after their column: <column>.<kind>
    "*.control_chars": "{column}包含不允许的控制字符；请从单元格中删除",
    "*.length": "{column}的长度超过上限{limit}个字符",
    "*.cell_type": "{column}的单元格类型不正确（日期、数字或TRUE/FALSE单元格）；请使用文本",
    "*.type": "{column}的类型不正确",
    "*.range": "{column}超出取值范围",
}
# fmt: on

# Length limits by the column's last part, for ``*.length``.
_LIMITS: dict[str, int] = {
    "sessionId": SESSION_ID_MAX,
    "caller": CALLER_MAX,
    "customField": CUSTOM_FIELD_MAX,
    "callData": CALL_DATA_MAX,
    "calledNo": CALLED_NO_MAX,
    "number": NUMBER_MAX,
}
_INDEX = re.compile(r"\[\d+\]")


def rule_key(rule: str) -> str | None:
    """The entry of ``RULES_ZH`` for ``rule``: its own, or its kind's; None when neither."""
    rule = _INDEX.sub("", rule)
    if rule in RULES_ZH:
        return rule
    kind = "*." + rule.rsplit(".", 1)[-1]
    return kind if kind in RULES_ZH else None


def rule_message(rule: str, column: str, english: str, language: Language | None = None) -> str:
    """The message of a row error in ``language`` (the current one by default).

    English is the sentence written at validation; Chinese is the rule's text, or the English
    sentence when the rule is unknown (a row stored by an older version).
    """
    if (language or current()) != "zh":
        return english
    key = rule_key(rule)
    if key is None:
        return english
    limit = _LIMITS.get(column.rsplit(".", 1)[-1])
    if key == "*.length" and limit is None:
        return f"{column}的长度超过上限"
    return RULES_ZH[key].format(column=column, limit=limit)


def row_error_text(error: RowError, prefix: str = "") -> Both:
    """A row error's message in both languages, after ``prefix`` (``callDataList.0.``)."""
    english = f"{prefix}{error.column}: {error.message.rstrip('.')}"
    chinese = rule_message(error.rule, error.column, error.message, "zh")
    return Both(english, f"{prefix}{error.column}：{chinese}")
