"""The console's plumbing: templates, the signed-in tenant, posted forms, errors as pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from openisales.console import session as sessions
from openisales.console.session import ConsoleSession
from openisales.domain.text import find_control_in, visible
from openisales.errors import InvalidCharacters, NotFoundError, ParameterError
from openisales.services import authentication, console_access
from openisales.services.runtime import Runtime

HERE = Path(__file__).parent
PREFIX = "/console"
MAX_FORM_BYTES = 64 * 1024
templates = Jinja2Templates(directory=str(HERE / "templates"))


def when(moment: datetime | None) -> str:
    """A moment shown as UTC text for the pages; empty for None."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _shown(value: Any) -> Any:
    """Every value a template prints: text stored before control characters were refused
    (or read from a file) shows them as U+FFFD, never raw in the page."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


templates.env.filters["when"] = when
templates.env.finalize = _shown


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""


class FormRefused(Exception):
    """A POST without the session's CSRF token, or a body that is not a small form."""


@dataclass(frozen=True)
class Ctx:
    """The request as a console page sees it: the runtime and the signed-in tenant."""

    request: Request
    rt: Runtime
    session: ConsoleSession
    csrf: str
    form: dict[str, str]

    @property
    def vdn(self) -> int:
        """The tenant (VDN) the signed-in session belongs to."""
        return self.session.vdn_id

    def field(self, name: str) -> str:
        """The posted form field, stripped; empty when absent."""
        return self.form.get(name, "").strip()

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """Render a template for the signed-in page, with its VDN and CSRF token added."""
        context.update(vdn=self.vdn, csrf=self.csrf)
        return page(self.request, template, status, **context)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template, uncached, with the console's anti-framing and no-script headers."""
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; script-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    )
    return response


def runtime_of(request: Request) -> Runtime:
    """The Runtime the app was built with."""
    rt: Runtime = request.app.state.runtime
    return rt


def session_key(rt: Runtime) -> bytes:
    """The key sealing session cookies and sign-in tokens, derived from the master key."""
    return rt.box.derive_key(sessions.PURPOSE)


def current_session_id(request: Request) -> str | None:
    """The session id of the request's cookie, when the cookie is one of ours."""
    return sessions.unseal(session_key(runtime_of(request)), request.cookies.get(sessions.COOKIE))


def _current(request: Request) -> tuple[Runtime, ConsoleSession]:
    rt = runtime_of(request)
    session_id = current_session_id(request)
    if session_id is None:
        raise SignInRequired
    with rt.side.read() as side:
        row = console_access.find_session(side, session_id, rt.clock())
        if row is None:  # signed out, expired, or never opened here
            raise SignInRequired
        found = ConsoleSession(row.vdn_id, row.access_key, session_id)
    with rt.db.read() as db:
        if not authentication.key_is_current(db, found.vdn_id, found.access_key):
            raise SignInRequired
    return rt, found


def signed_in(request: Request) -> Ctx:
    """Dependency of every page: the signed-in tenant, or a redirect to the sign-in form."""
    rt, found = _current(request)
    return Ctx(request, rt, found, sessions.csrf_token(session_key(rt), found.session_id), {})


async def read_form(request: Request) -> dict[str, str]:
    """The url-encoded form as a dict; refuses other types, oversized bodies, control characters."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise FormRefused("expected a form")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRefused("form too large")
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    for name, value in form.items():  # no console field takes a line break either
        in_value = find_control_in(value)
        found = find_control_in({name: None}) or (in_value and f"{name}: {in_value}")
        if found:
            raise InvalidCharacters(found)
    return form


async def posted(request: Request) -> Ctx:
    """Dependency of every POST: the signed-in tenant and the form, its CSRF token checked."""
    form = await read_form(request)
    ctx = await run_in_threadpool(signed_in, request)
    if not sessions.csrf_ok(session_key(ctx.rt), ctx.session, form.get("csrf")):
        raise FormRefused("the form's security token is missing or stale; reload the page")
    return Ctx(ctx.request, ctx.rt, ctx.session, ctx.csrf, form)


def redirect(path: str) -> RedirectResponse:
    """A 303 redirect to a console path (POST -> GET)."""
    return RedirectResponse(PREFIX + path, status_code=303)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ConsoleRoute(APIRoute):
    """Console routes answer with pages, not the API's JSON envelope, when something is off."""

    def get_route_handler(self) -> Handler:
        """The route's handler, turning sign-in, refused and not-found errors into console pages."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except SignInRequired:
                return redirect("/sign-in")
            except FormRefused as exc:
                return page(request, "error.html", 403, title="Refused", message=str(exc))
            except ParameterError as exc:  # read_form: a field holds a control character
                message = f"{exc.message} ({exc.code})"
                return page(request, "error.html", 400, title="Not accepted", message=message)
            except (NotFoundError, RequestValidationError):
                return page(request, "error.html", 404, title="Not found", message=_NOT_FOUND)

        return handler


_NOT_FOUND = "There is no such page, or it belongs to another tenant."
