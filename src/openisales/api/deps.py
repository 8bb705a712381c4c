"""Request-scoped helpers for the routes: the runtime and the authenticated tenant."""

from __future__ import annotations

from fastapi import Request

from openisales.api.middleware import vdn_of
from openisales.services.runtime import Runtime


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def tenant(request: Request) -> int:
    """The vdnId whose key signed the request (the path's vdnId was checked against it)."""
    return vdn_of(request.scope["state"])
