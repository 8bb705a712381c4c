"""The API reference page works without Internet access: every asset comes from the service."""

from __future__ import annotations

import re

from tests.conftest import Api


def test_docs_page_and_assets_are_served_locally(api: Api) -> None:
    page = api.http.get("/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    urls += re.findall(r"""url:\s*["']([^"']+)["']""", page.text)
    assert "/openapi.json" in urls
    assert urls and all(not url.startswith(("http:", "https:", "//")) for url in urls), urls
    for url in urls:
        asset = api.http.get(url)
        assert asset.status_code == 200, url
    script = api.http.get("/docs/assets/swagger-ui-bundle.js")
    assert len(script.content) > 100_000


def test_redoc_is_not_served_from_a_cdn(api: Api) -> None:
    assert api.http.get("/redoc").status_code == 404
