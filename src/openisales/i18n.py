"""The client's language: the ``locale`` header, and the message templates in both languages.

CC-iSales clients may send ``locale: zh_CN`` or ``locale: en_US`` (reference 2.0). The header
chooses the language of ``resultDesc``/``returnDesc``, of the messages that name a cause, of
an import task's ``errMsg`` and of the failure report's messages. A request without the header,
or with a value we do not know, is answered in English, as it always was: the reference gives
``zh_CN`` as iSales' default, but changing ours would change every existing client's answers.

The language of the request being served is a context variable, set by the API's
``LanguageMiddleware``, so that services and error classes never take a language parameter.

``MESSAGES`` is the one table of message templates: a key, the English and the Chinese form.
An error built from a template (:class:`Text`) is rendered in the request's language where the
envelope is written; an error with a plain English message is answered in Chinese as its
code's Chinese text followed by the English detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["en", "zh"]
DEFAULT_LANGUAGE: Language = "en"

_language: ContextVar[Language | None] = ContextVar("openisales_language", default=None)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def parse_locale(header: str | None) -> Language | None:
    """The language a ``locale`` header asks for: zh_CN, zh-CN, zh (any case) are Chinese,
    en_US, en (any case, any region) English; None when absent or unknown."""
    if header is None:
        return None
    primary = header.strip().replace("-", "_").split("_", 1)[0].lower()
    if primary == "zh":
        return "zh"
    if primary == "en":
        return "en"
    return None


def current() -> Language:
    """The language of the request being served (English outside a request)."""
    return _language.get() or DEFAULT_LANGUAGE


def set_language(language: Language | None) -> Token[Language | None]:
    """Make ``language`` the current one; reset with the token."""
    return _language.set(language)


def reset_language(token: Token[Language | None]) -> None:
    _language.reset(token)


@contextmanager
def speaking(language: Language | None) -> Iterator[None]:
    """Render messages in ``language`` inside the block."""
    token = set_language(language)
    try:
        yield
    finally:
        reset_language(token)


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a Chinese character."""
    return _CJK.search(text) is not None


# One template a line, so that the table reads as one; the formatter leaves it alone.
# fmt: off
MESSAGES: dict[str, tuple[str, str]] = {
    # errors.py: messages that name a cause
    "hour_minute": ("hour and minute must be set at the same time", "hour和minute必须同时设置"),
    "blocklisted.one": ("called number {numbers} is on the blocklist; nothing was added", "被叫号码{numbers}在黑名单中，未添加任何数据"),
    "blocklisted.many": ("called numbers {numbers} are on the blocklist; nothing was added", "被叫号码{numbers}在黑名单中，未添加任何数据"),
    "in_progress": ("the first request with this signature is still being processed; send it again later for its answer", "相同签名的第一个请求仍在处理中，请稍后再次发送以获取其应答"),
    "body_too_large": ("the request body is larger than the limit of {cap} bytes", "请求体超过{cap}字节的上限"),
    "request_timeout": ("the request body did not arrive within {seconds} seconds", "请求体未在{seconds}秒内送达"),
    "media_type": ("Content-Type must be application/json; charset=UTF-8, got {got}", "Content-Type必须为application/json; charset=UTF-8，实际为{got}"),
    # not found: one per NotFoundError subclass (its class name); {where} names the container
    "ServerNotFound": ("file server {key} does not exist{where}", "文件服务器{key}不存在{where}"),
    "CampaignNotFound": ("campaign {key} does not exist{where}", "外呼活动{key}不存在{where}"),
    "CallDataNotFound": ("call data {key} does not exist{where}", "外呼数据{key}不存在{where}"),
    "ImportTaskNotFound": ("import task {key} does not exist{where}", "导入任务{key}不存在{where}"),
    "ScheduleNotFound": ("import schedule {key} does not exist{where}", "定时导入任务{key}不存在{where}"),
    "NotOnBlocklist": ("blocklistNo: {key} is not on the blocklist{where}", "号码{key}不在黑名单中{where}"),
    "BatchNotFound": ("batch {key} does not exist{where}", "批次{key}不存在{where}"),
    "TenantNotFound": ("tenant {key} does not exist{where}", "租户{key}不存在{where}"),
    "where.campaign": (" in campaign {campaign}", "（外呼活动{campaign}）"),
    # the record mapping of an import (services/record_mappings.py)
    "mapping.not_finished": ("import task {task} has not finished (status {status}); its record mapping is ready once the status is 2 or 3", "导入任务{task}尚未结束（状态{status}），状态为2或3后才能下载其数据映射"),
    "mapping.blocklist": ("import task {task} is a blocklist import; only a call-data import has a record mapping", "导入任务{task}是黑名单导入，只有外呼数据导入才有数据映射"),
    # request validation (api/errors.py, api/validators.py): "<field>: <rule>"
    "field": ("{field}: {rule}", "{field}：{rule}"),
    "field.required": ("is required", "不能为空"),
    "field.extra": ("is not a parameter of this interface", "不是该接口的参数"),
    "field.json": ("the request body is not valid JSON", "请求体不是合法的JSON"),
    "field.too_long": ("must be at most {max} characters, got {got}", "长度不能超过{max}个字符，实际为{got}"),
    "field.max_chars": ("must be at most {max} characters", "长度不能超过{max}个字符"),
    "field.too_short": ("must be at least {min} characters", "长度不能少于{min}个字符"),
    "field.length_range": ("length must be between {min} and {max} characters, got {got}", "长度必须介于{min}和{max}个字符之间，实际为{got}"),
    "field.not_string": ("must be a string", "必须是字符串"),
    "field.not_empty": ("must not be empty", "不能为空"),
    "field.forbidden": ("must not contain {chars}", "不能包含{chars}"),
    "field.only": ("may contain only {allowed}", "只能包含{allowed}"),
    "field.not_integer": ("must be an integer, got {got}", "必须是整数，实际为{got}"),
    "field.range": ("must be between {min} and {max}, got {got}", "必须介于{min}和{max}之间，实际为{got}"),
    "field.at_least": ("must be at least {min}", "不能小于{min}"),
    "field.at_most": ("must be at most {max}", "不能大于{max}"),
    "field.too_many": ("must have at most {max} items", "最多只能有{max}项"),
    "field.type": ("is not of the expected type", "类型不正确"),
    "field.invalid": ("invalid request", "请求无效"),
    "field.list_of_numbers": ("must be a list of numbers", "必须是号码列表"),
    "field.list_of_records": ("must be a list of records", "必须是数据列表"),
    "field.one_record": ("must hold at least one record", "必须至少包含一条数据"),
    "field.list_of_results": ("must be a list of results", "必须是结果列表"),
    "field.one_result": ("must hold at least one result", "必须至少包含一个结果"),
    "field.one_caller": ("must hold at least one calling number", "必须至少包含一个主叫号码"),
    "field.object": ("must be an object", "必须是对象"),
    "field.receiver_url": ("must be an absolute http or https URL, got {got}", "必须是绝对的http或https URL，实际为{got}"),
    "allowed.diallable": ("digits, * and #", "数字、*和#"),
    "allowed.digits": ("digits", "数字"),
    "allowed.host": ("an IP address or host name", "IP地址或主机名"),
    "allowed.dialer": ("letters, digits and ._:@-", "字母、数字和._:@-"),
    # an import task's errMsg (services/calldata_import.py, blocklist_import.py, import_run.py)
    "task.rows_failed": ("{count} rows failed validation; download the failure report for each row and reason", "{count}行数据校验失败，请下载失败报告查看每行的原因"),
    "task.dry_run": ("dry run (validateOnly): nothing was imported", "试运行（validateOnly）：未导入任何数据"),
    "task.dry_run_rows_failed": ("dry run (validateOnly): nothing was imported; {count} rows failed validation; download the failure report for each row and reason", "试运行（validateOnly）：未导入任何数据；{count}行数据校验失败，请下载失败报告查看每行的原因"),
    "task.server_gone": ("file server {server} no longer exists", "文件服务器{server}已不存在"),
    "task.campaign_gone": ("the campaign no longer exists", "外呼活动已不存在"),
    "task.retrying": ("attempt {attempts} failed, retrying in {delay} s: {reason}", "第{attempts}次尝试失败，{delay}秒后重试：{reason}"),
    "task.waiting_for_file": ("waiting for the file to be complete, looking again in {delay} s: {reason}", "等待文件写入完成，{delay}秒后再次检查：{reason}"),
    "task.file_never_ready": ("the file was not complete after {minutes} minutes of waiting: {reason}", "等待{minutes}分钟后文件仍未写入完成：{reason}"),
    "task.move_failed": ("the file was not moved to {folder}/: {reason}", "文件未能移动到{folder}/：{reason}"),
}
# fmt: on


@dataclass(frozen=True)
class Text:
    """A message from the table with its parameters, rendered in either language.

    A parameter that is itself a ``Text`` is rendered in the same language.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key not in MESSAGES:
            raise KeyError(f"no message template {self.key!r}")

    def render(self, language: Language | None = None) -> str:
        chosen = language or current()
        template = MESSAGES[self.key][1 if chosen == "zh" else 0]
        values = {
            name: value.render(chosen) if isinstance(value, Text) else value
            for name, value in self.params.items()
        }
        return template.format(**values)

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True)
class Both:
    """A message already written in both languages (a row error's sentence and its rule's text)."""

    en: str
    zh: str

    def render(self, language: Language | None = None) -> str:
        return self.zh if (language or current()) == "zh" else self.en

    def __str__(self) -> str:
        return self.en


Message = Text | Both
"""A message that can be rendered in either language."""


def text(key: str, /, **params: Any) -> Text:
    """The message ``key`` of the table with ``params``."""
    return Text(key, params)


_PLAIN = {en: key for key, (en, _zh) in MESSAGES.items() if "{" not in en}


def phrase(english: str) -> str | Text:
    """The table's template for an English phrase without parameters, or the phrase itself."""
    key = _PLAIN.get(english)
    return english if key is None else Text(key)


def in_language(message: str | Message, language: Language | None = None) -> str:
    """A message that may be a template, in ``language`` (the current one by default)."""
    return message if isinstance(message, str) else message.render(language)


# -- stored English messages, read back in the caller's language ---------------------------------


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(regex + r"\Z", re.DOTALL)


# The dry-run message first: "task.rows_failed"'s leading {count} would match it as well.
_STORED = (
    "task.dry_run_rows_failed",
    "task.dry_run",
    "task.rows_failed",
    "task.server_gone",
    "task.campaign_gone",
    "task.retrying",
    "task.waiting_for_file",
    "task.file_never_ready",
    "task.move_failed",
)
_STORED_PATTERNS = [(key, _pattern(MESSAGES[key][0])) for key in _STORED]


def translate_stored(message: str, language: Language | None = None) -> str:
    """A message stored in English (an import task's errMsg) in ``language``.

    The messages the import writes come from the table, so a stored one is matched against
    the English templates and rendered again; one that matches none stays as stored.
    """
    if (language or current()) != "zh" or not message:
        return message
    for key, pattern in _STORED_PATTERNS:
        found = pattern.match(message)
        if found is not None:
            params = found.groupdict()
            if "reason" in params:
                params["reason"] = translate_stored(params["reason"], "zh")
            return Text(key, params).render("zh")
    return message
