"""The iSales response envelope: resultCode/resultDesc/returnCode/returnDesc on every answer."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from openisales.errors import DESCRIPTIONS, ResultCode


def ok(description: str = "success", **fields: Any) -> dict[str, Any]:
    """A success envelope with the interface's own fields beside the codes."""
    return {
        "resultCode": ResultCode.SUCCESS,
        "resultDesc": description,
        "returnCode": ResultCode.SUCCESS,
        "returnDesc": description,
        **fields,
    }


def failure(code: str, message: str | None = None, *, status: int = 200) -> JSONResponse:
    """A failure envelope; ``message`` names the cause, the code's description stands in."""
    text = message or DESCRIPTIONS.get(code, "failure")
    body = {"resultCode": code, "resultDesc": text, "returnCode": code, "returnDesc": text}
    return JSONResponse(body, status_code=status)
