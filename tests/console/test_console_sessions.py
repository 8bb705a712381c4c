"""Server-side console sessions, the sign-in form's token, and wrong secrets slowed down.

Both databases: sessions and wrong-secret counts live in the side store (the main database on
PostgreSQL, a file of its own on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from openisales.api.app import create_app
from openisales.console import session as sessions
from openisales.services import console_access
from tests.conftest import Api, Clock
from tests.conftest import database_url as database_url  # both databases, not the SQLite default
from tests.console.test_console_web import CSRF, _sign_in, post_sign_in, sign_in_form

CAMPAIGN = {"device_type": "2", "begin": "2099-01-01 00:00:00", "end": "2099-12-31 23:59:59"}


@contextmanager
def browser(api: Api, address: str = "203.0.113.7") -> Iterator[TestClient]:
    """Another browser (its own cookies), connecting from ``address``."""
    with TestClient(
        create_app(api.rt), raise_server_exceptions=False, client=(address, 50000)
    ) as http:
        yield http


def _create(http: TestClient, token: str, name: str) -> str:
    """Post the create-campaign form; where the answer sends the browser."""
    answer = http.post(
        "/console/campaigns",
        data={**CAMPAIGN, "csrf": token, "name": name},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_sign_out_ends_the_session_and_its_token(api: Api) -> None:
    http = api.http
    token = _sign_in(http, api.creds)
    cookie = http.cookies[sessions.COOKIE]
    with browser(api) as other:
        other_token = _sign_in(other, api.creds)  # the same tenant in a second browser
        answer = http.post("/console/sign-out", data={"csrf": token}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
        # An attacker who kept the cookie and the token: refused, nothing created.
        http.cookies.set(sessions.COOKIE, cookie, path="/console")
        assert _create(http, token, "after sign-out") == "/console/sign-in"
        assert http.get("/console/campaigns", follow_redirects=False).status_code == 303
        # The other browser's session is its own and goes on.
        assert _create(other, other_token, "other browser").startswith("/console/campaigns/")
        listed = other.get("/console/campaigns").text
        assert "other browser" in listed and "after sign-out" not in listed


def test_signing_in_again_ends_the_previous_session(api: Api) -> None:
    http = api.http
    _sign_in(http, api.creds)
    first = http.cookies[sessions.COOKIE]
    _sign_in(http, api.creds)
    assert http.cookies[sessions.COOKIE] != first
    http.cookies.set(sessions.COOKIE, first, path="/console")
    assert http.get("/console/campaigns", follow_redirects=False).status_code == 303


def test_sign_in_form_needs_its_own_token(api: Api) -> None:
    creds = {"access_key": api.creds.access_key, "secret_key": api.creds.secret_key}
    with browser(api) as attacker, browser(api) as victim:
        bare = victim.post("/console/sign-in", data=creds, follow_redirects=False)
        assert bare.status_code == 403 and "sign-in form had expired" in bare.text
        stolen = sign_in_form(attacker)  # a valid token, but bound to the attacker's cookie
        sign_in_form(victim)
        forged = victim.post(
            "/console/sign-in", data={**creds, "sign_in_token": stolen}, follow_redirects=False
        )
        assert forged.status_code == 403
        assert f"{sessions.COOKIE}=" not in forged.headers.get("set-cookie", "")
        assert victim.get("/console/campaigns", follow_redirects=False).status_code == 303
        honest = post_sign_in(victim, api.creds.access_key, api.creds.secret_key)
        assert honest.status_code == 303


def _wrong(http: TestClient, access_key: str, times: int) -> list[int]:
    return [post_sign_in(http, access_key, "wrong-secret").status_code for _ in range(times)]


def test_wrong_secrets_pause_the_access_key(api: Api, clock: Clock) -> None:
    key, secret = api.creds.access_key, api.creds.secret_key
    for n in range(console_access.MAX_FAILURES):  # every attempt from another address
        with browser(api, f"198.51.100.{n + 1}") as http:
            assert _wrong(http, key, 1) == [429 if n == console_access.MAX_FAILURES - 1 else 401]
    with browser(api, "192.0.2.1") as http:
        paused = post_sign_in(http, key, secret)  # the right secret, from a fresh address
        assert paused.status_code == 429
        assert "for this access key" in paused.text and "1 more minute" in paused.text
        assert int(paused.headers["retry-after"]) <= 60
        clock.advance(seconds=61)
        assert post_sign_in(http, key, secret).status_code == 303
    # The key's count started again with the right secret; a second pause lasts twice as long.
    with browser(api, "192.0.2.2") as http:
        assert _wrong(http, key, console_access.MAX_FAILURES)[-1] == 429
        clock.advance(seconds=61)
        assert post_sign_in(http, key, secret).status_code == 429
        clock.advance(seconds=60)
        assert post_sign_in(http, key, secret).status_code == 303


def test_wrong_secrets_pause_the_address(api: Api, clock: Clock) -> None:
    other = api.new_tenant(13)
    with browser(api, "2001:db8:1:2::10") as http:
        for n in range(console_access.MAX_FAILURES):  # each time another (unknown) key
            assert _wrong(http, f"AKGUESS{n}", 1) == [401 if n < 4 else 429]
    with browser(api, "2001:db8:1:2::99") as neighbour:  # the same /64
        paused = post_sign_in(neighbour, api.creds.access_key, api.creds.secret_key)
        assert paused.status_code == 429 and "from this address" in paused.text
    with browser(api, "2001:db8:9::1") as elsewhere:  # the keys themselves are not paused
        assert post_sign_in(elsewhere, other.access_key, other.secret_key).status_code == 303
    clock.advance(minutes=console_access.FIRST_PAUSE.total_seconds() / 60, seconds=1)
    with browser(api, "2001:db8:1:2::10") as http:
        assert post_sign_in(http, api.creds.access_key, api.creds.secret_key).status_code == 303
        token = CSRF.search(http.get("/console/campaigns").text)
        assert token is not None


def test_failures_outside_the_window_do_not_add_up(api: Api, clock: Clock) -> None:
    with browser(api) as http:
        for _ in range(3):
            assert _wrong(http, api.creds.access_key, console_access.MAX_FAILURES - 1)[-1] == 401
            clock.advance(seconds=console_access.WINDOW.total_seconds() + 1)
        assert post_sign_in(http, api.creds.access_key, api.creds.secret_key).status_code == 303
