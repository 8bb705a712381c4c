"""Liveness and readiness probes (unsigned, outside /rest/isales/)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from openisales.api.deps import runtime
from openisales.api.envelope import failure, ok
from openisales.errors import ResultCode
from openisales.services.runtime import Runtime

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz() -> dict[str, Any]:
    """Liveness: the success envelope as long as the process answers at all."""
    return ok()


@router.get("/readyz")
def readyz(rt: Runtime = Depends(runtime)) -> Response:
    """Readiness: success when the database answers a query, 503 otherwise."""
    try:
        with rt.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        # A probe's HTTP status is its answer (503: take this instance out of rotation), so it
        # is the probe's, not the code's; the code is the internal error's, as before.
        return failure(
            ResultCode.INTERNAL, f"database unavailable: {type(exc).__name__}", status=503
        )
    return JSONResponse(ok())
