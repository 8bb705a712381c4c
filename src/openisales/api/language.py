"""The ``locale`` header of a request: the language its answers are written in (i18n)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from openisales.i18n import Language, parse_locale, reset_language, set_language

LOCALE_HEADER = b"locale"


def language_of(scope: Scope) -> Language | None:
    """The language the request's ``locale`` header asks for; None: absent or unknown."""
    for key, value in scope.get("headers", ()):
        if key == LOCALE_HEADER:
            return parse_locale(value.decode("latin-1"))
    return None


class LanguageMiddleware:
    """Sets the request's language for everything that runs while it is answered.

    It wraps the signed-request gate, so that its refusals (401, 413...) are in the client's
    language too; services read the language from the context (``i18n.current``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = set_language(language_of(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            reset_language(token)
