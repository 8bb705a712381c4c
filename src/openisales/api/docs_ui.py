"""The interactive API reference at ``/docs``, served from local files.

FastAPI's default page loads Swagger UI from a CDN; openisales runs on customers' own machines,
often without Internet access, so the page and its assets come from the service itself
(Swagger UI 5, which reads the OpenAPI 3.1 document FastAPI writes).
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(swagger_ui.__file__).with_name("static")
PREFIX = "/docs/assets"


def install(app: FastAPI) -> None:
    """Serve Swagger UI at /docs for the app's own /openapi.json (build the app with docs_url=None)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API reference",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon-32x32.png",
        )
