"""The campaign page's Dialling section: dial-queue counts and the latest result deliveries.

Records are leased and reported through the signed dialer interface, results pushed to a real
receiver on loopback (or left pending, undeliverable, with no receiver), the clock controlled.
Both databases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from openisales.receiver_client import ReceiverClient
from openisales.services.result_push import push_once
from tests.conftest import database_url as database_url  # both databases, not the SQLite default
from tests.console.test_console_web import _sign_in
from tests.dispatch.conftest import Dial, numbers_json, result
from tests.dispatch.conftest import dial as dial  # the fixture
from tests.support.receivers import Receiver, receiver

SECRET_URL = "http://user:secret-pw@127.0.0.1:{port}/results?token=tok-123"
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
ROW = re.compile(r"<tr>\s*(<td.*?)</tr>", re.S)


@pytest.fixture
def http_receiver() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


@pytest.fixture
def pusher(dial: Dial) -> Iterator[ReceiverClient]:
    client = ReceiverClient(dial.api.rt.server_networks, 5)
    yield client
    client.close()


def _by_id(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)<', page, re.S)
    assert found, element_id
    return unescape(found.group(1)).strip()


def _section(page: str) -> str:
    found = re.search(r'<section aria-labelledby="dialling-h".*?</section>', page, re.S)
    assert found
    return found.group(0)


def _rows(page: str) -> list[list[str]]:
    """The deliveries table: each row's cells, tags stripped."""
    table = page.split('<table class="deliveries"', 1)[1].split("</table>", 1)[0]
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in CELL.findall(row)]
        for row in ROW.findall(table)
    ]


def _records(count: int, prefix: str) -> list[dict[str, str]]:
    return [
        {"called": numbers_json(f"139{i:05d}"), "sessionId": f"{prefix}{i}"} for i in range(count)
    ]


def test_the_section_shows_exact_counts_and_deliveries(
    dial: Dial, http_receiver: Receiver, pusher: ReceiverClient
) -> None:
    rt = dial.api.rt
    campaign = dial.campaign(name="a", callBackUrl=SECRET_URL.format(port=http_receiver.port))
    quiet = dial.campaign(name="b")  # no callBackUrl, and no system URL: no receiver
    records = _records(11, "s")
    records[0]["sessionId"] = "<b>s0</b>"
    records[6]["called"] = numbers_json("13900006", "13900066")  # a second number to go on to
    dial.load(campaign, *records, {"called": numbers_json("13999999"), "status": 1})  # blocked
    dial.load(quiet, *_records(1, "q"))
    leased = dial.lease(campaign, limit=8)  # records 0-7, for 60 s
    (short,) = dial.lease(campaign, limit=1, leaseSeconds=10)  # record 8
    assert [r["sessionId"] for r in leased] == ["<b>s0</b>", *(f"s{i}" for i in range(1, 8))]
    (other,) = dial.lease(quiet)

    http = dial.api.http
    _sign_in(http, dial.api.creds)
    before = http.get(f"/console/campaigns/{campaign}").text
    assert (_by_id(before, "dial-pending"), _by_id(before, "dial-leased")) == ("2", "9")
    assert (_by_id(before, "dial-finished"), _by_id(before, "dial-rate")) == ("0", "—")
    assert "No call result yet." in before

    lease_ids = [r["leaseId"] for r in leased]
    dial.report(campaign, *(result(lid) for lid in lease_ids[:3]))
    dial.report(quiet, result(other["leaseId"]))
    assert push_once(rt, pusher).claimed == 4  # three delivered, one with no receiver
    dial.report(campaign, *(result(lid, 5, "00537") for lid in lease_ids[3:5]))
    http_receiver.answer(500, 500)
    push_once(rt, pusher)
    dial.clock.advance(seconds=10)
    push_once(rt, pusher)  # the second and last push: undeliverable
    dial.report(campaign, result(lease_ids[5]), result(lease_ids[6], 5, "00537"))  # not pushed
    dial.clock.advance(seconds=1)  # record 8's lease has expired, the others' have not
    assert short["sessionId"] == "s8"

    page = http.get(f"/console/campaigns/{campaign}").text
    section = _section(page)
    assert "12 records, 1 of them blocklisted at import (never dialled)." in section
    counts = {
        name: _by_id(section, f"dial-{name}")
        for name in ("pending", "leased", "finished", "reached", "rate")
    }
    # pending: 6 (on its second number), 8 (lease expired), 9, 10; leased: 7; finished: 0-5
    assert counts == {
        "pending": "4",
        "leased": "1",
        "finished": "6",
        "reached": "4",
        "rate": "66.7%",
    }
    deliveries = {
        state: _by_id(section, f"delivery-{state}")
        for state in ("pending", "delivering", "delivered", "undeliverable", "no-receiver")
    }
    assert deliveries == {
        "pending": "2",
        "delivering": "0",
        "delivered": "3",
        "undeliverable": "2",
        "no-receiver": "0",
    }
    origin = f"http://127.0.0.1:{http_receiver.port}"
    assert _by_id(section, "receiver") == origin
    assert "The last 7 of 7 results, newest first" in section
    recorded = "2099-01-02 12:00:"
    rows = _rows(section)
    assert [row[1:] for row in rows] == [
        ["13900006", "s6", "pending", "0", "", "", ""],
        ["13900005", "s5", "pending", "0", "", "", ""],
        ["13900004", "s4", "undeliverable", "2", rows[2][5], "HTTP 500", origin],
        ["13900003", "s3", "undeliverable", "2", rows[3][5], "HTTP 500", origin],
        ["13900002", "s2", "delivered", "1", rows[4][5], "HTTP 200", origin],
        ["13900001", "s1", "delivered", "1", rows[5][5], "HTTP 200", origin],
        ["13900000", "<b>s0</b>", "delivered", "1", rows[6][5], "HTTP 200", origin],
    ]
    assert all(row[0].startswith(recorded) and row[0].endswith(" UTC") for row in rows)
    assert all(row[5].startswith(recorded) for row in rows[2:])
    assert "&lt;b&gt;s0&lt;/b&gt;" in section and "<b>s0</b>" not in page
    for secret in ("secret-pw", "user:", "tok-123", "token"):
        assert secret not in page
    assert [post.status for post in http_receiver.posts] == [200, 500, 500]

    theirs = _section(http.get(f"/console/campaigns/{quiet}").text)
    assert "No receiver: the campaign has no callBackUrl" in theirs
    assert _by_id(theirs, "delivery-no-receiver") == "1"
    assert [row[1:] for row in _rows(theirs)] == [
        [
            "13900000",
            "q0",
            "no receiver",
            "0",
            _rows(theirs)[0][5],
            "no callBackUrl on the campaign and no OPENISALES_RESULT_CALLBACK_URL",
            "",
        ]
    ]
    assert (_by_id(theirs, "dial-finished"), _by_id(theirs, "dial-rate")) == ("1", "100.0%")


def test_an_error_naming_the_url_shows_only_its_origin(dial: Dial, pusher: ReceiverClient) -> None:
    campaign = dial.campaign(callBackUrl="ftp://user:pw-ftp@example.com/in?token=abc")
    dial.load(campaign, *_records(1, "s"))
    (leased,) = dial.lease(campaign)
    dial.report(campaign, result(leased["leaseId"]))
    assert push_once(dial.api.rt, pusher).claimed == 1
    _sign_in(dial.api.http, dial.api.creds)
    page = dial.api.http.get(f"/console/campaigns/{campaign}").text
    (row,) = _rows(_section(page))
    assert row[3:] == [
        "pending",
        "1",
        row[5],
        "the receiver URL ftp://example.com:80 is not an absolute http or https URL",
        "ftp://example.com:80",
    ]
    assert _by_id(page, "receiver") == "ftp://example.com:80"
    assert "pw-ftp" not in page and "token=abc" not in page and "user:" not in page


def test_another_tenants_campaign_is_not_shown(dial: Dial) -> None:
    api = dial.api
    other = api.new_tenant(13)
    with api.client(other) as isales13:
        theirs = Dial(api, isales13, dial.clock)
        first = theirs.campaign(name="theirs")
        only_theirs = theirs.campaign(name="theirs too")
        theirs.load(first, *_records(2, "theirs-"))
        (leased, _) = theirs.lease(first)
        theirs.report(first, result(leased["leaseId"]))
    mine = dial.campaign(name="mine")
    assert mine == first  # campaign numbers are per tenant
    dial.load(mine, *_records(3, "mine-"))
    http: TestClient = api.http
    _sign_in(http, api.creds)
    page = http.get(f"/console/campaigns/{mine}").text
    assert "theirs-" not in page and "No call result yet." in page
    assert (_by_id(page, "dial-pending"), _by_id(page, "dial-finished")) == ("3", "0")
    shown = http.get(f"/console/campaigns/{only_theirs}")
    missing = http.get(f"/console/campaigns/{only_theirs + 1000}")
    assert shown.status_code == missing.status_code == 404
    assert shown.text == missing.text and "theirs" not in shown.text
