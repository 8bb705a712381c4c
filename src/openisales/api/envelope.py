"""The iSales response envelope: resultCode/resultDesc/returnCode/returnDesc on every answer."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from openisales.errors import ResultCode
from openisales.i18n import current


def describe(code: ResultCode) -> str:
    """The code's own text in the request's language (i18n): Chinese or English."""
    return code.zh if current() == "zh" else code.en


def ok(description: str | None = None, **fields: Any) -> dict[str, Any]:
    """A success envelope with the interface's own fields beside the codes.

    The description is "success", or "成功" for a client that asked for Chinese.
    """
    description = description or describe(ResultCode.SUCCESS)
    return {
        "resultCode": ResultCode.SUCCESS,
        "resultDesc": description,
        "returnCode": ResultCode.SUCCESS,
        "returnDesc": description,
        **fields,
    }


def failure(
    code: ResultCode, message: str | None = None, *, status: int | None = None
) -> JSONResponse:
    """A failure envelope with the code's HTTP status; ``message`` names the cause.

    Without a message the code's description, in the request's language, stands in. ``status`` overrides the table only where HTTP itself fixes the status: a readiness probe,
    a framework refusal the table has no code for. Errors never pass it.
    """
    text = message or describe(code)
    body = {"resultCode": code, "resultDesc": text, "returnCode": code, "returnDesc": text}
    return JSONResponse(body, status_code=code.http_status if status is None else status)
