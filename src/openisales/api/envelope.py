"""The iSales response envelope: resultCode/resultDesc/returnCode/returnDesc on every answer."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from openisales.errors import ResultCode


def ok(description: str = "success", **fields: Any) -> dict[str, Any]:
    """A success envelope with the interface's own fields beside the codes."""
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

    Without a message the code's description stands in. ``status`` overrides the table only where HTTP itself fixes the status: a readiness probe,
    a framework refusal the table has no code for. Errors never pass it.
    """
    text = message or code.en
    body = {"resultCode": code, "resultDesc": text, "returnCode": code, "returnDesc": text}
    return JSONResponse(body, status_code=code.http_status if status is None else status)
