"""Console sign-in and sign-out: the AK/SK form, its token, paused sign-in, the session cookie."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from openisales.console import session as sessions
from openisales.console.web import (
    PREFIX,
    ConsoleRoute,
    Ctx,
    current_session_id,
    page,
    posted,
    read_form,
    redirect,
    runtime_of,
    session_key,
    when,
)
from openisales.errors import AuthenticationError
from openisales.services import authentication, console_access
from openisales.services.console_access import Paused
from openisales.services.runtime import Runtime

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
STALE_FORM = "The sign-in form had expired or did not come from this page; please sign in again."


@dataclass(frozen=True)
class _Outcome:
    """What a sign-in attempt came to: a new session, a refusal, or a pause."""

    vdn_id: int | None = None
    session_id: str | None = None
    refused: str | None = None
    paused: Paused | None = None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _form(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    """The sign-in form with its token, (re)setting the cookie the token is bound to."""
    key = session_key(runtime_of(request))
    nonce = sessions.sign_in_nonce(request.cookies.get(sessions.SIGN_IN_COOKIE))
    context["sign_in_token"] = sessions.sign_in_token(key, nonce)
    response = page(request, "sign_in.html", status, **context)
    response.set_cookie(
        sessions.SIGN_IN_COOKIE,
        nonce,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request) -> HTMLResponse:
    """Render the blank sign-in form with a fresh sign-in token."""
    return _form(request)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Sign in and set the session cookie; 403 stale form, 401 wrong keys, 429 paused."""
    form = await read_form(request)
    rt = runtime_of(request)
    access_key = form.get("access_key", "").strip()
    nonce = request.cookies.get(sessions.SIGN_IN_COOKIE)
    if not sessions.sign_in_token_ok(session_key(rt), nonce, form.get("sign_in_token")):
        return _form(request, 403, error=STALE_FORM, access_key=access_key)
    address = request.client.host if request.client else ""
    previous = current_session_id(request)
    outcome = await run_in_threadpool(
        _attempt, rt, address, access_key, form.get("secret_key", ""), previous
    )
    if outcome.paused is not None:
        return _paused(request, outcome.paused, rt.clock(), access_key)
    if outcome.session_id is None:
        return _form(request, 401, error=outcome.refused, access_key=access_key)
    response = redirect("/campaigns")
    response.set_cookie(
        sessions.COOKIE,
        sessions.seal(session_key(rt), outcome.session_id),
        max_age=int(sessions.LIFETIME.total_seconds()),
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


def _attempt(
    rt: Runtime, address: str, access_key: str, secret_key: str, previous: str | None
) -> _Outcome:
    now = rt.clock()
    with rt.side.read() as side:
        paused = console_access.pause_of(side, address, access_key, now)
    if paused is not None:  # not even the right secret is checked while paused
        return _Outcome(paused=paused)
    try:
        with rt.db.read() as db:
            vdn_id = authentication.sign_in(db, rt.box, access_key, secret_key)
    except AuthenticationError as exc:
        with rt.side.transaction() as side:
            started = console_access.record_failure(side, address, access_key, now)
        return _Outcome(refused=exc.message, paused=started)
    with rt.side.transaction() as side:
        console_access.record_success(side, access_key)
        if previous is not None:  # a browser signing in again leaves no second session behind
            console_access.close_session(side, previous)
        session_id = console_access.open_session(side, vdn_id, access_key, now)
    return _Outcome(vdn_id=vdn_id, session_id=session_id)


def _paused(request: Request, paused: Paused, now: datetime, access_key: str) -> HTMLResponse:
    seconds = max(1, math.ceil((paused.until - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    message = (
        f"Too many wrong secrets {paused.reason}: sign-in is paused for {minutes} more "
        f"minute{'' if minutes == 1 else 's'} (until {when(paused.until)})."
    )
    response = _form(request, 429, error=message, access_key=access_key)
    response.headers["Retry-After"] = str(seconds)
    return response


@router.post("/sign-out")
def sign_out(ctx: Ctx = Depends(posted)) -> Response:
    """Close the signed-in session, clear its cookie and go back to the sign-in form."""
    with ctx.rt.side.transaction() as side:
        console_access.close_session(side, ctx.session.session_id)
    response = redirect("/sign-in")
    response.delete_cookie(sessions.COOKIE, path=PREFIX)
    return response
