"""Liveness and readiness probes (unsigned, outside /rest/isales/)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import text

from openisales.api.deps import runtime
from openisales.api.envelope import ok
from openisales.errors import ISalesError, ResultCode
from openisales.services.runtime import Runtime

router = APIRouter(tags=["system"])


class NotReady(ISalesError):
    default_code = ResultCode.INTERNAL
    http_status = 503


@router.get("/healthz")
def healthz() -> dict[str, Any]:
    return ok()


@router.get("/readyz")
def readyz(rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    try:
        with rt.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise NotReady(f"database unavailable: {type(exc).__name__}") from exc
    return ok()
