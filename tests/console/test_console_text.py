"""Control characters in console forms are refused (02000002); stored ones never reach a page raw.

Both databases: on PostgreSQL a NUL in a form field was a 500, on SQLite it was stored and
written into the HTML as is.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update

from openisales.storage.models import Campaign
from tests.conftest import Api
from tests.conftest import database_url as database_url  # both databases, not the SQLite default
from tests.console.test_console_web import _campaign, _sign_in

CAMPAIGN = {"device_type": "2", "begin": "2099-01-01 00:00:00", "end": "2099-12-31 23:59:59"}


def test_form_fields_with_control_characters_are_refused(api: Api) -> None:
    http: TestClient = api.http
    token = _sign_in(http, api.creds)
    for name in ("a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\nb"):
        answer = http.post("/console/campaigns", data={**CAMPAIGN, "csrf": token, "name": name})
        assert answer.status_code == 400, answer.text
        assert "name: must not contain control characters" in answer.text
        assert "02000002" in answer.text
    refused = http.post(
        "/console/sign-in", data={"access_key": "AK\x00", "secret_key": "x"}, follow_redirects=False
    )
    assert refused.status_code == 400 and "access_key" in refused.text
    listed = http.get("/console/campaigns")
    assert "No campaign yet" in listed.text
    ok = http.post("/console/campaigns", data={**CAMPAIGN, "csrf": token, "name": "ab"})
    assert ok.status_code == 200 and "Campaign ab" in ok.text


def test_stored_control_characters_are_not_written_raw(api: Api) -> None:
    campaign_id = _campaign(api, api.creds.vdn_id, "old")
    with api.rt.db.transaction() as db:  # as stored before the rule (PostgreSQL takes no NUL)
        db.execute(update(Campaign).values(name="old\x1b[31m\x85name"))
    _sign_in(api.http, api.creds)
    for path in ("/console/campaigns", f"/console/campaigns/{campaign_id}"):
        page = api.http.get(path)
        assert page.status_code == 200
        assert "\x1b" not in page.text and "\x85" not in page.text
        assert "old\ufffd[31m\ufffdname" in page.text
