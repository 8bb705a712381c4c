"""One table of result codes: every error raised in the source carries a code from it, and is
answered with that code's HTTP status and text."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from openisales import errors
from openisales.api import errors as api_errors
from openisales.api.app import create_app
from openisales.errors import ISalesError, NotFoundError, ParameterError, ResultCode
from openisales.services.runtime import Runtime
from openisales.settings import Settings

PACKAGE = Path(errors.__file__).parent
OURS = re.compile(r"02001\d\d")
HAN = re.compile(r"[\u4e00-\u9fff]")

# Chinese texts the reference quotes (docs of cec_07_0766 and siblings): kept to the letter.
QUOTED_ZH = {
    "0200001": "参数异常，异常详情在resultDesc中描述",
    "02000010": "hour和minute必须同时存在",
    "02000011": "参数个数不能大于规定个数",
    "0200006": "服务器配置信息不存在",
    "0200007": "外呼活动不存在",
    "0200033": "外呼数据不存在",
}


# -- the table ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(ResultCode), ids=lambda c: c.name)
def test_every_code_has_a_status_and_both_texts(code: ResultCode) -> None:
    assert code.http_status in (200, 401, 403, 404, 405, 408, 409, 413, 415, 431, 500)
    assert code.en.strip() and code.zh.strip()
    assert HAN.search(code.zh), f"{code.name}: the zh_CN text has no Chinese"
    assert HAN.search(code.en) is None


@pytest.mark.parametrize("code", list(ResultCode), ids=lambda c: c.name)
def test_our_codes_are_02001xx_and_documented_ones_are_not(code: ResultCode) -> None:
    assert bool(OURS.fullmatch(code)) is not code.documented
    if code.documented:
        assert code.http_status == 200  # iSales answers every handled request with 200


def test_chinese_texts_the_reference_quotes_are_kept_to_the_letter() -> None:
    assert {code: ResultCode.of(code).zh for code in QUOTED_ZH} == QUOTED_ZH
    assert (
        "参数长度需要介于" in ResultCode.LENGTH_RANGE.zh
    )  # its example: 参数长度需要介于8和80之间


# The batch pages' codes (cec_07_0770 Table 6, cec_07_0773 Table 5), with the texts they quote.
BATCH_CODES = {
    "03000001": "存在重复的批次名称",
    "03000003": "超出任务最大批次数量",
    "03000004": "批次id不存在",
    "03000006": "批次已经暂停，不能重复暂停",
}


def test_the_batch_pages_codes_are_documented_with_their_texts() -> None:
    assert {code: ResultCode.of(code).zh for code in BATCH_CODES} == BATCH_CODES
    for code in (*BATCH_CODES, "03000002"):
        assert ResultCode.of(code).documented and ResultCode.of(code).http_status == 200
    assert not ResultCode.BATCH_NOT_PAUSED.documented  # the resume page lists no code of its own


def test_a_code_is_looked_up_by_its_text() -> None:
    assert ResultCode.of("0200007") is ResultCode.CAMPAIGN_NOT_FOUND
    with pytest.raises(KeyError):
        ResultCode.of("0200999")


# -- the error classes ----------------------------------------------------------------------------


def _error_classes(base: type[ISalesError] = ISalesError) -> Iterator[type[ISalesError]]:
    for cls in base.__subclasses__():
        yield cls
        yield from _error_classes(cls)


CONCRETE = sorted(
    (cls for cls in _error_classes() if "default_code" in vars(cls)), key=lambda c: c.__name__
)


# The classes raised with what was found rather than with a message.
SAMPLE_ARGS: dict[type[ISalesError], tuple[object, ...]] = {
    errors.HourMinuteUnpaired: (),
    errors.NumberBlocklisted: (["13800001234"],),
    errors.CallDataNotFound: ("9", 7),
    errors.BodyTooLarge: (1024,),
    errors.RequestTimeout: (2.5,),
    errors.UnsupportedMediaType: ("text/plain",),
    errors.RequestInProgress: (),
}


def _instance(cls: type[ISalesError]) -> ISalesError:
    if cls in SAMPLE_ARGS:
        return cls(*SAMPLE_ARGS[cls])  # type: ignore[arg-type]
    if issubclass(cls, NotFoundError):
        return cls("key1")
    return cls(f"{cls.__name__} happened")


def test_every_error_class_is_defined_in_the_errors_module() -> None:
    assert len(CONCRETE) >= 20
    assert {cls.__module__ for cls in _error_classes()} == {"openisales.errors"}


def test_a_class_without_a_code_cannot_be_raised() -> None:
    with pytest.raises(AttributeError):
        NotFoundError("x")


def test_an_error_class_cannot_name_its_own_http_status() -> None:
    with pytest.raises(TypeError, match="HTTP status"):

        class Elsewhere(ISalesError, code=ResultCode.INTERNAL):
            http_status = 503


@pytest.fixture(scope="module")
def handler_app() -> TestClient:
    """A bare app with the API's error handler: a route raises the error it is named after."""
    app = FastAPI()
    api_errors.install(app)
    by_name = {cls.__name__: cls for cls in CONCRETE}

    @app.get("/raise/{name}")
    def raise_it(name: str) -> None:
        raise _instance(by_name[name])

    return TestClient(app)


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_each_error_is_answered_with_its_codes_status_and_its_message(
    handler_app: TestClient, cls: type[ISalesError]
) -> None:
    error = _instance(cls)
    answer = handler_app.get(f"/raise/{cls.__name__}")
    assert answer.status_code == cls.default_code.http_status == error.http_status
    assert answer.json() == {
        "resultCode": cls.default_code,
        "resultDesc": error.message,
        "returnCode": cls.default_code,
        "returnDesc": error.message,
    }


def test_a_parameter_error_of_a_row_code_keeps_that_code_and_its_status() -> None:
    error = ParameterError.of(ResultCode.CONVERSION, "called: lost digits")
    assert (error.code, error.http_status) == (ResultCode.CONVERSION, 200)
    assert isinstance(error, ParameterError)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (errors.ServerNotFound("1646"), "file server 1646 does not exist"),
        (errors.CampaignNotFound(7), "campaign 7 does not exist"),
        (errors.CallDataNotFound("9", 7), "call data 9 does not exist in campaign 7"),
        (errors.ImportTaskNotFound("1648"), "import task 1648 does not exist"),
        (errors.ScheduleNotFound("1649"), "import schedule 1649 does not exist"),
        (errors.NotOnBlocklist("123"), "blocklistNo: 123 is not on the blocklist"),
        (errors.TenantNotFound(12), "tenant 12 does not exist"),
        (errors.BatchNotFound("5", where=" in campaign 7"), "batch 5 does not exist in campaign 7"),
        (errors.HourMinuteUnpaired(), "hour and minute must be set at the same time"),
        (errors.NumberBlocklisted(["1"]), "called number 1 is on the blocklist; nothing was added"),
        (
            errors.NumberBlocklisted(["1", "2"]),
            "called numbers 1, 2 are on the blocklist; nothing was added",
        ),
        (errors.BodyTooLarge(10), "the request body is larger than the limit of 10 bytes"),
        (errors.RequestTimeout(2.5), "the request body did not arrive within 2.5 seconds"),
        (
            errors.UnsupportedMediaType(None),
            "Content-Type must be application/json; charset=UTF-8, got None",
        ),
        (
            errors.RequestInProgress(),
            "the first request with this signature is still being processed; "
            "send it again later for its answer",
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, ISalesError) else "",
)
def test_errors_raised_with_what_was_found_keep_their_messages(
    error: ISalesError, message: str
) -> None:
    assert error.message == message


# -- every raise in the source -----------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    where: str
    cls: type[ISalesError]
    code_keyword: bool
    via_of: bool


def _errors_imported(tree: ast.Module) -> dict[str, type[ISalesError]]:
    names: dict[str, type[ISalesError]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "openisales.errors":
            for alias in node.names:
                value = getattr(errors, alias.name)
                if isinstance(value, type) and issubclass(value, ISalesError):
                    names[alias.asname or alias.name] = value
    return names


def _sites() -> Iterator[Site]:
    """Every call of a package error class (raised, or built and returned) in src/openisales."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        known = _errors_imported(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func, via_of = node.func, False
            if isinstance(func, ast.Attribute) and func.attr == "of":
                func, via_of = func.value, True
            if isinstance(func, ast.Name) and func.id in known:
                where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                code_keyword = any(k.arg == "code" for k in node.keywords)
                yield Site(where, known[func.id], code_keyword, via_of)


SITES = list(_sites())


def test_the_scan_finds_the_raise_sites() -> None:
    assert len(SITES) >= 60
    assert any(site.cls is errors.CampaignNotFound for site in SITES)


@pytest.mark.parametrize("site", SITES, ids=lambda s: s.where)
def test_every_raise_carries_a_code_of_the_table(site: Site) -> None:
    assert not site.code_keyword, "the class carries the code; no code= by hand"
    if site.via_of:
        assert site.cls is ParameterError  # a Table 8 code chosen by row validation
        return
    assert "default_code" in vars(site.cls), f"{site.cls.__name__} has no code of its own"
    assert site.cls.default_code in list(ResultCode)


def test_the_handler_maps_every_class_the_source_raises() -> None:
    raised = {site.cls for site in SITES if not site.via_of}
    assert raised <= set(CONCRETE)


# -- the one answer whose status is not its code's -----------------------------------------------


def test_readiness_probe_answers_503_with_the_internal_code_when_the_database_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> None:
        raise ConnectionRefusedError("database down")

    rt = Runtime.from_settings(Settings(data_dir=tmp_path))
    try:
        with TestClient(create_app(rt)) as http:
            assert http.get("/readyz").status_code == 200
            monkeypatch.setattr(rt.db.engine, "connect", refuse)
            answer = http.get("/readyz")
    finally:
        monkeypatch.undo()
        rt.close()
    assert answer.status_code == 503
    assert answer.json() == {
        "resultCode": "0200199",
        "resultDesc": "database unavailable: ConnectionRefusedError",
        "returnCode": "0200199",
        "returnDesc": "database unavailable: ConnectionRefusedError",
    }
