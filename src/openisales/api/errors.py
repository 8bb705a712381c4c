"""One place that turns every failure into the iSales envelope; no stack trace ever leaves."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from openisales.api.envelope import failure
from openisales.api.validators import ISALES_ERROR
from openisales.errors import ISalesError, ResultCode
from openisales.i18n import Text, current, parse_locale, speaking, text

log = logging.getLogger("openisales.api")

# Pydantic's error types -> seed Table 8 codes, for the rules our own validators do not raise.
PYDANTIC_CODES: dict[str, ResultCode] = {
    "missing": ResultCode.EMPTY,
    "extra_forbidden": ResultCode.TOO_MANY_PARAMETERS,
    "string_too_long": ResultCode.TOO_LONG,
    "string_too_short": ResultCode.TOO_SHORT,
    "too_long": ResultCode.TOO_MANY_PARAMETERS,
    "string_pattern_mismatch": ResultCode.INVALID_CHARS,
    "greater_than_equal": ResultCode.WRONG_VALUE,
    "less_than_equal": ResultCode.WRONG_VALUE,
    "json_invalid": ResultCode.PARAMETER,
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error, expected or not, into the iSales envelope."""
    app.add_exception_handler(ISalesError, _isales_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _isales_error(_request: Request, exc: ISalesError) -> JSONResponse:
    return failure(exc.code, exc.text())


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    code, message = describe_validation_errors(exc.errors())
    return failure(code, message)


def describe_validation_errors(errors: Sequence[Any]) -> tuple[ResultCode, str]:
    """The code of the first error and a message naming every field and rule broken, in the
    request's language."""
    if not errors:
        return ResultCode.PARAMETER, text("field.invalid").render()
    parts = [
        text("field", field=_field(error), rule=_message(error)).render() for error in errors[:5]
    ]
    return _code(errors[0]), ("；" if current() == "zh" else "; ").join(parts)


def _code(error: Any) -> ResultCode:
    if error.get("type") == ISALES_ERROR:
        return ResultCode.of(str((error.get("ctx") or {}).get("code", ResultCode.PARAMETER)))
    kind = str(error.get("type", ""))
    if _is_null(error):
        return ResultCode.EMPTY
    if kind in PYDANTIC_CODES:
        return PYDANTIC_CODES[kind]
    if kind.endswith(("_type", "_parsing")):
        return ResultCode.WRONG_TYPE
    return ResultCode.PARAMETER


def _field(error: Any) -> str:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    return ".".join(location) or "body"


def _is_null(error: Any) -> bool:
    """A JSON null where a value is required: empty (02000001), like a missing field."""
    return (
        "input" in error and error["input"] is None and str(error.get("type", "")).endswith("_type")
    )


def _message(error: Any) -> str | Text:
    kind = error.get("type")
    if kind == "missing" or _is_null(error):
        return text("field.required")
    if kind == "extra_forbidden":
        return text("field.extra")
    if kind == "json_invalid":
        return text("field.json")
    english = str(error.get("msg", "invalid value"))
    if current() != "zh":
        return english
    return _chinese(error, kind) or f"{_code(error).zh}（{english}）"


def _chinese(error: Any, kind: Any) -> str | None:
    """The Chinese rule of a validation error: our validators carry it, pydantic's by type."""
    ctx = error.get("ctx") or {}
    if kind == ISALES_ERROR:
        zh = ctx.get("zh")
        return str(zh) if zh else None
    by_type: dict[str, Text] = {
        "string_too_long": text("field.max_chars", max=ctx.get("max_length")),
        "string_too_short": text("field.too_short", min=ctx.get("min_length")),
        "greater_than_equal": text("field.at_least", min=ctx.get("ge")),
        "less_than_equal": text("field.at_most", max=ctx.get("le")),
        "too_long": text("field.too_many", max=ctx.get("max_length")),
    }
    if kind in by_type:
        return by_type[kind].render("zh")
    if str(kind).endswith(("_type", "_parsing")):
        return text("field.type").render("zh")
    return None


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        return failure(ResultCode.PATH_NOT_FOUND)
    if exc.status_code == 405:
        return failure(ResultCode.METHOD_NOT_ALLOWED)
    if exc.status_code == 400:
        # FastAPI's own "error parsing the body" (e.g. a body that is not UTF-8): a parameter
        # error like any other, answered with HTTP 200 and the code.
        return failure(ResultCode.PARAMETER, f"body: {exc.detail}")
    # Any other status the framework chose stands: the table has no code for it.
    return failure(ResultCode.PARAMETER, str(exc.detail), status=exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    # This handler runs outside every middleware, so the language is read here again.
    with speaking(parse_locale(request.headers.get("locale"))):
        return failure(ResultCode.INTERNAL)
