"""The console's sign-in, session cookie, CSRF and tenant isolation, in process."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from openisales.console import session as sessions
from openisales.services import campaigns
from openisales.services.campaigns import CampaignInput
from openisales.services.tenants import Credentials
from openisales.storage.models import ImportFailure, ImportTask
from tests.conftest import Api, Clock

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SIGN_IN_TOKEN = re.compile(r'name="sign_in_token" value="([^"]+)"')


def sign_in_form(http: TestClient) -> str:
    """Open the sign-in form (which sets its cookie); the form's token."""
    found = SIGN_IN_TOKEN.search(http.get("/console/sign-in").text)
    assert found
    return found.group(1)


def post_sign_in(http: TestClient, access_key: str, secret_key: str) -> httpx.Response:
    """Fill in and send the sign-in form, as a browser does."""
    token = sign_in_form(http)
    return http.post(
        "/console/sign-in",
        data={"access_key": access_key, "secret_key": secret_key, "sign_in_token": token},
        follow_redirects=False,
    )


def _sign_in(http: TestClient, creds: Credentials) -> str:
    """Sign in; the CSRF token of the session."""
    answer = post_sign_in(http, creds.access_key, creds.secret_key)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/campaigns"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    page = http.get("/console/campaigns")
    assert page.status_code == 200
    found = CSRF.search(page.text)
    assert found
    return found.group(1)


def _campaign(api: Api, vdn_id: int, name: str) -> int:
    data = CampaignInput(
        name, None, "2099-01-01 00:00:00", "2099-12-31 23:59:59", 2, None, None, None, {}
    )
    with api.rt.db.transaction() as db:
        limits = campaigns.CampaignLimits.from_settings(api.rt.settings)
        return campaigns.create(db, vdn_id, data, api.rt.clock(), limits).campaign_id


@pytest.fixture
def http(api: Api) -> TestClient:
    return api.http


def test_pages_send_a_browser_without_session_to_sign_in(http: TestClient) -> None:
    for path in (
        "/console",
        "/console/campaigns",
        "/console/file-servers",
        "/console/blocklist",
        "/console/campaigns/1",
        "/console/campaigns/1/tasks/x/failures.xlsx",
    ):
        answer = http.get(path, follow_redirects=False)
        assert answer.status_code in (303, 307), path
        target = answer.headers["location"]
        if target == "/console/campaigns":  # /console itself, then the page
            answer = http.get(target, follow_redirects=False)
            target = answer.headers["location"]
        assert target == "/console/sign-in", path
    form = http.get("/console/sign-in")
    assert form.status_code == 200
    assert '<label for="access_key">' in form.text and '<label for="secret_key">' in form.text
    assert "/console/static/console.css" in form.text
    assert http.get("/console/static/console.css").headers["content-type"].startswith("text/css")


def test_wrong_secret_key_is_refused(api: Api, http: TestClient) -> None:
    for access_key, secret_key in [
        (api.creds.access_key, api.creds.secret_key + "x"),
        (api.creds.access_key, ""),
        ("AKNOSUCHKEY", api.creds.secret_key),
    ]:
        answer = post_sign_in(http, access_key, secret_key)
        assert answer.status_code == 401
        assert "wrong access key or secret key" in answer.text
        assert f"{sessions.COOKIE}=" not in answer.headers.get("set-cookie", "")
    assert http.get("/console/campaigns", follow_redirects=False).status_code == 303


def test_forged_or_expired_cookie_is_refused(api: Api, http: TestClient, clock: Clock) -> None:
    _sign_in(http, api.creds)
    good = http.cookies[sessions.COOKIE]
    session_id, _, signature = good.rpartition(".")
    other_id = session_id[:-2] + ("AA" if not session_id.endswith("AA") else "BB")
    key = api.rt.box.derive_key(sessions.PURPOSE)
    forged = [
        f"{other_id}.{signature}",  # another id, the old signature
        sessions.seal(b"another master key's derived key.", session_id),  # not our key
        sessions.seal(key, other_id),  # signed with our key, but no such session
        session_id + "." + signature[:-2] + ("AA" if not signature.endswith("AA") else "BB"),
        "garbage",
        "",
    ]
    for value in forged:
        http.cookies.set(sessions.COOKIE, value, path="/console")
        assert http.get("/console/campaigns", follow_redirects=False).status_code == 303, value
    http.cookies.set(sessions.COOKIE, good, path="/console")
    assert http.get("/console/campaigns", follow_redirects=False).status_code == 200
    clock.advance(seconds=sessions.LIFETIME.total_seconds() + 1)
    assert http.get("/console/campaigns", follow_redirects=False).status_code == 303


def test_rotated_key_ends_the_session(api: Api, http: TestClient) -> None:
    from openisales.services import tenants

    _sign_in(http, api.creds)
    with api.rt.db.transaction() as db:
        tenants.rotate_key(db, api.rt.box, api.creds.vdn_id)
    assert http.get("/console/campaigns", follow_redirects=False).status_code == 303


def test_post_without_csrf_token_is_refused(api: Api, http: TestClient) -> None:
    token = _sign_in(http, api.creds)
    numbers = {"numbers": "13800001111"}
    for data in (numbers, {**numbers, "csrf": ""}, {**numbers, "csrf": token[:-1] + "x"}):
        answer = http.post("/console/blocklist", data=data, follow_redirects=False)
        assert answer.status_code == 403
    assert "13800001111" not in http.get("/console/blocklist").text
    answer = http.post(
        "/console/blocklist", data={**numbers, "csrf": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert "13800001111" in http.get("/console/blocklist").text
    # The token is bound to the session: another sign-in gets another one.
    assert _sign_in(http, api.creds) != token


def test_another_tenants_campaign_is_not_found(api: Api, http: TestClient) -> None:
    other = api.new_tenant(13)
    theirs = _campaign(api, other.vdn_id, "theirs")
    mine = _campaign(api, api.creds.vdn_id, "mine")
    token = _sign_in(http, api.creds)
    listed = http.get("/console/campaigns").text
    assert "mine" in listed and "theirs" not in listed
    if theirs != mine:
        assert http.get(f"/console/campaigns/{theirs + 100}").status_code == 404
    assert http.get(f"/console/campaigns/{mine}").status_code == 200
    # Campaign numbers are per tenant: sign in as the other tenant and ask for a number only
    # tenant 12 has (its second campaign).
    second = _campaign(api, api.creds.vdn_id, "second")
    _sign_in(http, other)
    assert http.get(f"/console/campaigns/{second}").status_code == 404
    answer = http.post(
        f"/console/campaigns/{second}/imports",
        data={"csrf": token, "server_id": "1", "file_name": "a.xlsx"},
    )
    assert answer.status_code == 403  # tenant 12's token is not tenant 13's
    token13 = CSRF.search(http.get("/console/campaigns").text)
    assert token13
    answer = http.post(
        f"/console/campaigns/{second}/imports",
        data={"csrf": token13.group(1), "server_id": "1", "file_name": "a.xlsx"},
    )
    assert answer.status_code == 404
    assert http.get(f"/console/campaigns/{second}/tasks/1/failures.csv").status_code == 404


def test_forms_create_a_campaign_and_report_errors(api: Api, http: TestClient) -> None:
    token = _sign_in(http, api.creds)
    answer = http.post(
        "/console/campaigns",
        data={
            "csrf": token,
            "name": "renewals",
            "device_type": "2",
            "begin": "2099-01-01 00:00:00",
            "end": "2099-12-31 23:59:59",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = http.get(answer.headers["location"])
    assert "Campaign renewals" in page.text and "Start an import" in page.text
    bad = http.post(
        "/console/campaigns",
        data={"csrf": token, "name": "x", "device_type": "2", "begin": "soon", "end": "later"},
    )
    assert bad.status_code == 400 and 'role="alert"' in bad.text and "strBeginTime" in bad.text
    server = http.post(
        "/console/file-servers",
        data={
            "csrf": token,
            "ip": "127.0.0.1",
            "port": "22",
            "user_name": "u",
            "password": "secret-pw",
            "file_path": "relative",
        },
    )
    assert server.status_code == 400 and "absolute" in server.text
    assert "secret-pw" not in server.text


def test_session_lifetime_is_bounded() -> None:
    assert timedelta(hours=12) >= sessions.LIFETIME


def _task_with_failures(api: Api, campaign_id: int) -> str:
    """An ended import task of the campaign with two rejected rows, one a formula."""
    now = api.rt.clock()
    with api.rt.db.transaction() as db:
        campaign = campaigns.get(db, api.creds.vdn_id, campaign_id)
        db.add(
            ImportTask(
                task_id="t1",
                vdn_id=api.creds.vdn_id,
                campaign_pk=campaign.pk,
                server_id="1",
                file_name="a.csv",
                status=3,
                not_before=now,
                created_at=now,
                source_header=["calledNo", "name"],
            )
        )
        db.flush()
        for seq, cells in enumerate((["12x", "Ann"], ["=1+1", "Bob"])):
            db.add(
                ImportFailure(
                    task_id="t1",
                    seq=seq,
                    row_number=seq + 2,
                    column_name="calledNo",
                    code="1",
                    rule="digits",
                    message="not a number",
                    cells=cells,
                )
            )
    return "t1"


def test_console_and_api_serve_the_same_failure_report(api: Api, http: TestClient) -> None:
    campaign_id = _campaign(api, api.creds.vdn_id, "reports")
    task_id = _task_with_failures(api, campaign_id)
    _sign_in(http, api.creds)
    for fmt in ("csv", "xlsx"):
        page = http.get(f"/console/campaigns/{campaign_id}/tasks/{task_id}/failures.{fmt}")
        assert page.status_code == 200
        assert f'filename="import-{task_id}-failures.{fmt}"' in page.headers["content-disposition"]
        api_answer = api.client().failures_response(task_id, fmt)
        assert api_answer.headers["content-type"] == page.headers["content-type"]
        assert api_answer.headers["content-disposition"] == page.headers["content-disposition"]
        if fmt == "csv":
            assert page.content == api_answer.content
            assert "'=1+1" in page.content.decode("utf-8-sig")
        else:
            assert page.content[:2] == api_answer.content[:2] == b"PK"
