"""The FastAPI application: middleware, error mapping and the iSales routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from openisales import console
from openisales.api import deps, docs_ui, errors, interfaces, reference
from openisales.api.language import LanguageMiddleware
from openisales.api.middleware import AnswerRecorder, Authenticator, SignedRequestMiddleware
from openisales.api.observability import ObservabilityMiddleware
from openisales.api.observability import router as metrics_router
from openisales.api.routes import (
    blocklist,
    callbatch,
    calldata,
    caller_numbers,
    campaigns,
    campaigns_v2,
    dispatch,
    files,
    imports,
    results,
    schedules,
    system,
)
from openisales.services import authentication
from openisales.services.authentication import Admission, Answer, SignedRequest
from openisales.services.runtime import Runtime

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(rt: Runtime, *, background: Lifespan | None = None) -> FastAPI:
    """The service; ``background`` runs beside it (the embedded worker in ``serve``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if background is None:
            yield
            return
        async with background(app):
            yield

    app = FastAPI(
        title="openisales",
        version="0.1.0",
        description=reference.api_description(),
        lifespan=lifespan,
        docs_url=None,  # served from local files by docs_ui, not from a CDN
        redoc_url=None,
        dependencies=[Depends(deps.plain_parameters)],  # no control character in any parameter
    )
    docs_ui.install(app)
    app.state.runtime = rt
    errors.install(app)
    app.add_middleware(
        SignedRequestMiddleware,
        authenticate=_authenticator(rt),
        record_answer=_answer_recorder(rt),
        max_body_bytes=rt.settings.max_body_bytes,
        read_timeout=rt.settings.request_read_timeout_seconds,
    )
    app.add_middleware(LanguageMiddleware)  # around the gate: its refusals speak it too
    app.add_middleware(ObservabilityMiddleware)  # outermost: sees refused requests too
    routers = (
        system, files, imports, schedules, calldata, blocklist, dispatch, results, callbatch,
        caller_numbers, campaigns_v2, campaigns,
    )  # fmt: skip
    for module in routers:  # campaigns last: its /{campaignId} paths must not shadow the others
        app.include_router(module.router)
    app.include_router(metrics_router)
    app.include_router(console.router)
    interfaces.install(app)  # each operation names its source page (or: extension)
    return app


def _authenticator(rt: Runtime) -> Authenticator:
    skew = timedelta(seconds=rt.settings.signature_skew_seconds)

    def check(request: SignedRequest) -> Admission:
        with rt.db.read() as session:
            return authentication.authenticate(
                session, rt.box, request, now=rt.clock(), skew=skew, replays=rt.replay
            )

    async def authenticate(request: SignedRequest) -> Admission:
        return await run_in_threadpool(check, request)

    return authenticate


def _answer_recorder(rt: Runtime) -> AnswerRecorder:
    async def record(key: str, answer: Answer | None) -> None:
        await run_in_threadpool(authentication.keep_answer, rt.replay, key, answer)

    return record
