"""Request-scoped helpers for the routes: the runtime, the authenticated tenant, and the
control-character rule for query and path parameters."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from openisales.api.middleware import vdn_of
from openisales.api.validators import ISALES_ERROR
from openisales.domain.text import find_control_in
from openisales.errors import ResultCode
from openisales.services.runtime import Runtime


def runtime(request: Request) -> Runtime:
    """The Runtime the app was built with (dependency for route handlers)."""
    rt: Runtime = request.app.state.runtime
    return rt


def tenant(request: Request) -> int:
    """The vdnId whose key signed the request (the path's vdnId was checked against it)."""
    return vdn_of(request.scope["state"])


def plain_parameters(request: Request) -> None:
    """Refuse a query or path parameter holding a control character (02000002), as the body
    models do for their fields; a dependency of every route of the app."""
    given = [("query", request.query_params.multi_items()), ("path", request.path_params.items())]
    for where, items in given:
        for name, value in items:
            found = _problem(name, value)
            if found is not None:
                field, message = found
                ctx = {"code": ResultCode.INVALID_CHARS}
                error = {"type": ISALES_ERROR, "loc": (where, field), "msg": message, "ctx": ctx}
                raise RequestValidationError([error])


def _problem(name: str, value: str) -> tuple[str, str] | None:
    """(the parameter as it may be named, what is wrong) when the name or value is refused."""
    in_name = find_control_in({name: None})
    if in_name is not None:
        return "query string", in_name
    in_value = find_control_in(value)
    return None if in_value is None else (name, in_value)
