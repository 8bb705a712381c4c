"""The result push: recorded results POSTed to a real receiver on loopback, retried, settled."""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from openisales.cli import app
from openisales.client import ISalesHTTPError
from openisales.domain.dispatch import DialState
from openisales.domain.result_delivery import DeliveryState
from openisales.networks import ServerNetworks
from openisales.receiver_client import ReceiverClient, tls_context
from openisales.services import result_deliveries, tenants
from openisales.services.result_push import Round, push_once
from openisales.storage import result_deliveries as outbox
from openisales.storage.models import CallResult, ResultDelivery
from tests.dispatch.conftest import Dial, numbers_json, result
from tests.support.certificates import make_key_pair
from tests.support.receivers import Receiver, receiver

PENDING, DELIVERED = DeliveryState.PENDING, DeliveryState.DELIVERED
UNDELIVERABLE, NO_RECEIVER = DeliveryState.UNDELIVERABLE, DeliveryState.NO_RECEIVER


@dataclass
class Push:
    """Records results through the dialer interface and pushes them, one round at a time."""

    dial: Dial
    client: ReceiverClient

    def record(self, campaign: int, count: int, status: int = 6) -> list[str]:
        """``count`` results of new records of ``campaign``; their callIds."""
        base = self.dial.count_results()
        self.dial.load(
            campaign,
            *[
                {
                    "called": numbers_json(f"8{base + i:06d}"),
                    "sessionId": f"s{base + i}",
                    "customField": f"cf{base + i}",
                }
                for i in range(count)
            ],
        )
        ids: list[str] = []
        while len(ids) < count:
            leased = self.dial.lease(campaign, limit=min(500, count - len(ids)))
            reports = [
                result(
                    item["leaseId"],
                    status,
                    "00000" if status == 6 else "00537",
                    callId=f"call-{item['dataId']}",
                    recordPath=f"/rec/{item['dataId']}.wav",
                )
                for item in leased
            ]
            assert set(self.dial.report(campaign, *reports)) == {"0200000"}
            ids += [report["callId"] for report in reports]
        return ids

    def once(self) -> Round:
        return push_once(self.dial.api.rt, self.client)

    def until_idle(self) -> int:
        """Rounds until one claims nothing; how many POSTs were made."""
        posts = 0
        while (done := self.once()).claimed:
            posts += done.posts
        return posts

    def entries(self) -> list[ResultDelivery]:
        with self.dial.api.rt.db.read() as session:
            return list(session.scalars(select(ResultDelivery).order_by(ResultDelivery.result_pk)))

    def states(self) -> list[DeliveryState]:
        return [DeliveryState(entry.state) for entry in self.entries()]

    def max_pushes(self, pushes: int) -> None:
        with self.dial.api.rt.db.transaction() as session:
            tenants.set_result_push_max(session, self.dial.isales.vdn_id, pushes)


def client_for(networks: ServerNetworks, ca_file: Path | None = None) -> ReceiverClient:
    return ReceiverClient(networks, 5, ca_file)


@pytest.fixture
def push(dial: Dial) -> Iterator[Push]:
    client = client_for(dial.api.rt.server_networks)
    yield Push(dial, client)
    client.close()


@pytest.fixture
def http_receiver() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


# --- the outbox --------------------------------------------------------------------------------


def test_each_result_is_recorded_with_its_outbox_entry(push: Push) -> None:
    campaign = push.dial.campaign()
    push.record(campaign, 3)
    with push.dial.api.rt.db.read() as session:
        recorded = session.scalars(select(CallResult.lease_id)).first()
    assert recorded is not None
    again = push.dial.report(campaign, result(recorded), result("1" * 30))
    assert again == ["0200131", "0200130"]  # nothing new recorded, so no entry either
    with push.dial.api.rt.db.read() as session:
        results = session.scalars(select(CallResult.pk).order_by(CallResult.pk)).all()
    entries = push.entries()
    assert [entry.result_pk for entry in entries] == list(results) and len(results) == 3
    assert {(e.state, e.pushes, e.vdn_id) for e in entries} == {(PENDING, 0, 12)}


def test_a_result_whose_entry_cannot_be_written_is_not_recorded(push: Push) -> None:
    campaign = push.dial.campaign()
    push.dial.load(campaign, {"called": numbers_json("8001")})
    (leased,) = push.dial.lease(campaign)
    with push.dial.api.rt.db.transaction() as session:
        session.execute(text("DROP TABLE result_deliveries"))
    with pytest.raises(ISalesHTTPError) as refused:
        push.dial.report_answer(campaign, result(leased["leaseId"]))
    assert refused.value.status_code == 500
    assert (refused.value.envelope or {}).get("resultCode") == "0200199"
    assert push.dial.count_results() == 0  # the result went with its entry
    assert push.dial.states() == {leased["dataId"]: DialState.LEASED}


# --- delivery ----------------------------------------------------------------------------------


def test_every_result_is_delivered_exactly_once(push: Push, http_receiver: Receiver) -> None:
    campaign = push.dial.campaign(callBackUrl=http_receiver.url)
    ids = push.record(campaign, 250)
    assert push.until_idle() == 3  # batches of 100
    delivered = http_receiver.delivered()
    assert sorted(item["callId"] for item in delivered) == sorted(ids)
    assert [len(post.items) for post in http_receiver.posts] == [100, 100, 50]
    assert {post.content_type for post in http_receiver.posts} == {
        "application/json; charset=UTF-8"
    }
    assert {post.path for post in http_receiver.posts} == {"/results"}
    first = min(delivered, key=lambda item: item["sessionId"])
    data_id = first["callId"].removeprefix("call-")
    assert first == {
        "campaignId": campaign,
        "sessionId": "s0",
        "called": "8000000",
        "callTimeStr": "2099-01-02 12:00:00",
        "callStatus": 6,
        "failCode": "00000",
        "vdnId": 12,
        "callId": f"call-{data_id}",
        "customField": "cf0",
        "recordPath": f"/rec/{data_id}.wav",
    }
    assert set(push.states()) == {DELIVERED}
    assert {(e.pushes, e.last_status, e.target_url) for e in push.entries()} == {
        (1, 200, http_receiver.url)
    }
    assert push.once().claimed == 0 and len(http_receiver.posts) == 3


def test_500_twice_then_200_is_pushed_again_after_the_backoff(
    push: Push, http_receiver: Receiver
) -> None:
    push.max_pushes(3)
    campaign = push.dial.campaign(callBackUrl=http_receiver.url)
    push.record(campaign, 2)
    http_receiver.answer(500, 500)
    assert push.once().count(PENDING) == 2
    (entry, _) = push.entries()
    assert (entry.pushes, entry.last_status, entry.last_error) == (1, 500, "HTTP 500")
    push.dial.clock.advance(seconds=9)
    assert push.once().claimed == 0  # the first backoff is 10 s
    push.dial.clock.advance(seconds=1)
    assert push.once().count(PENDING) == 2
    push.dial.clock.advance(seconds=59)
    assert push.once().claimed == 0  # the second is 60 s
    push.dial.clock.advance(seconds=1)
    assert push.once().count(DELIVERED) == 2
    assert [post.status for post in http_receiver.posts] == [500, 500, 200]
    assert {(e.state, e.pushes, e.last_status) for e in push.entries()} == {(DELIVERED, 3, 200)}
    assert all(e.delivered_at is not None for e in push.entries())


def test_always_500_is_undeliverable_after_the_tenants_pushes(
    push: Push, http_receiver: Receiver
) -> None:
    campaign = push.dial.campaign(callBackUrl=http_receiver.url)
    push.record(campaign, 1)
    http_receiver.always(500)
    assert push.once().count(PENDING) == 1
    push.dial.clock.advance(seconds=10)
    assert push.once().count(UNDELIVERABLE) == 1  # the default: 2 pushes
    push.dial.clock.advance(days=1)
    assert push.once().claimed == 0 and len(http_receiver.posts) == 2
    with push.dial.api.rt.db.read() as session:
        assert result_deliveries.counts(session, 12)[UNDELIVERABLE] == 1
        (shown,) = result_deliveries.recent(session, 12)
    assert (shown["state"], shown["pushes"], shown["lastStatus"]) == ("undeliverable", 2, 500)
    http_receiver.always(200)
    with push.dial.api.rt.db.transaction() as session:
        queued = result_deliveries.redeliver(
            session, [UNDELIVERABLE], push.dial.clock(), vdn_id=12, campaign_id=campaign
        )
    assert queued == 1
    assert push.once().count(DELIVERED) == 1
    assert [post.status for post in http_receiver.posts] == [500, 500, 200]


def test_a_receiver_down_for_a_while_gets_the_results_once_it_is_up(
    push: Push, http_receiver: Receiver
) -> None:
    campaign = push.dial.campaign(callBackUrl=http_receiver.url)
    ids = push.record(campaign, 5)
    http_receiver.down()
    assert push.once().count(PENDING) == 5
    (entry, *_) = push.entries()
    assert entry.last_status is None
    assert entry.last_error == f"http://127.0.0.1:{http_receiver.port}: no connection could be made"
    http_receiver.up()
    push.dial.clock.advance(seconds=10)
    assert push.once().count(DELIVERED) == 5
    assert sorted(item["callId"] for item in http_receiver.delivered()) == sorted(ids)


# --- where results go ---------------------------------------------------------------------------


def test_the_campaigns_url_comes_before_the_system_setting(push: Push) -> None:
    with receiver() as campaign_receiver, receiver() as system_receiver:
        push.dial.api.rt.settings.result_callback_url = f" ;{system_receiver.url};http://x.invalid"
        own = push.dial.campaign(name="own", callBackUrl=campaign_receiver.url)
        other = push.dial.campaign(name="other")
        own_ids, other_ids = push.record(own, 2), push.record(other, 3)
        assert push.until_idle() == 2  # one POST per receiver
        assert sorted(i["callId"] for i in campaign_receiver.delivered()) == sorted(own_ids)
        assert sorted(i["callId"] for i in system_receiver.delivered()) == sorted(other_ids)


def test_no_receiver_is_kept_until_redelivered(push: Push, http_receiver: Receiver) -> None:
    campaign = push.dial.campaign()
    push.record(campaign, 2)
    assert push.once().count(NO_RECEIVER) == 2
    assert {(e.state, e.pushes) for e in push.entries()} == {(NO_RECEIVER, 0)}
    push.dial.clock.advance(days=1)
    assert push.once().claimed == 0
    push.dial.api.rt.settings.result_callback_url = http_receiver.url
    with push.dial.api.rt.db.transaction() as session:
        assert result_deliveries.redeliver(session, [NO_RECEIVER], push.dial.clock()) == 2
    assert push.once().count(DELIVERED) == 2
    assert len(http_receiver.delivered()) == 2


def test_a_url_that_is_not_http_is_a_failed_push(push: Push) -> None:
    campaign = push.dial.campaign(callBackUrl="ftp://example.com/results")
    push.record(campaign, 1)
    assert push.once().count(PENDING) == 1
    (entry,) = push.entries()
    assert "not an absolute http or https URL" in (entry.last_error or "")


# --- TLS and networks ---------------------------------------------------------------------------


def test_https_with_a_trusted_private_ca(push: Push, tmp_path: Path) -> None:
    cert, key = make_key_pair(tmp_path / "tls")
    networks = push.dial.api.rt.server_networks
    with receiver(cert, key) as https, client_for(networks) as untrusting:
        campaign = push.dial.campaign(callBackUrl=https.url)
        push.record(campaign, 2)
        push.client = untrusting
        assert push.once().count(PENDING) == 2
        (entry, _) = push.entries()
        assert entry.last_error == (
            f"https://localhost:{https.port}: its TLS certificate is not trusted "
            "(certificate verify failed)"
        )
        assert https.posts == []
        with client_for(networks, ca_file=cert) as trusting:
            push.client = trusting
            push.dial.clock.advance(seconds=10)
            assert push.once().count(DELIVERED) == 2
        assert len(https.delivered()) == 2


def test_the_client_refuses_tls_before_1_2() -> None:
    assert tls_context(None).minimum_version == ssl.TLSVersion.TLSv1_2
    assert tls_context(None).verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("networks", "host"),
    [
        (
            ServerNetworks((ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))),
            "127.0.0.1",
        ),
        (
            ServerNetworks((ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))),
            "localhost",
        ),
        (ServerNetworks((ipaddress.ip_network("10.0.0.0/8"),), allow_local=True), "127.0.0.1"),
    ],
    ids=["loopback", "a-name-that-resolves-to-loopback", "outside-the-allowed-ranges"],
)
def test_a_receiver_on_a_network_not_allowed_gets_nothing(
    push: Push, http_receiver: Receiver, networks: ServerNetworks, host: str
) -> None:
    url = f"http://{host}:{http_receiver.port}/results"
    campaign = push.dial.campaign(callBackUrl=url)
    push.record(campaign, 1)
    with client_for(networks) as guarded:
        push.client = guarded
        assert push.once().count(PENDING) == 1
    (entry,) = push.entries()
    assert (entry.last_error or "").startswith("address not allowed: ")
    assert "OPENISALES_ALLOWED_SERVER_NETWORKS" in (entry.last_error or "")
    assert http_receiver.posts == []


# --- claims ------------------------------------------------------------------------------------


def test_a_claim_whose_pusher_died_is_pushed_again_after_it_expires(
    push: Push, http_receiver: Receiver
) -> None:
    campaign = push.dial.campaign(callBackUrl=http_receiver.url)
    ids = push.record(campaign, 2)
    now = push.dial.clock()
    with (
        push.dial.api.rt.db.transaction() as session
    ):  # a pusher claims, then dies before it settles
        assert len(outbox.claim(session, "dead" * 8, now, now + timedelta(seconds=60), 100)) == 2
    assert set(push.states()) == {DeliveryState.DELIVERING}
    push.dial.clock.advance(seconds=59)
    assert push.once().claimed == 0
    push.dial.clock.advance(seconds=2)
    assert push.once().count(DELIVERED) == 2
    assert sorted(i["callId"] for i in http_receiver.delivered()) == sorted(ids)
    assert {e.pushes for e in push.entries()} == {2}


def test_a_claim_that_died_during_the_last_push_is_given_up(
    push: Push, http_receiver: Receiver
) -> None:
    push.max_pushes(1)
    campaign = push.dial.campaign(callBackUrl=http_receiver.url)
    push.record(campaign, 1)
    now = push.dial.clock()
    with push.dial.api.rt.db.transaction() as session:
        assert len(outbox.claim(session, "dead" * 8, now, now + timedelta(seconds=60), 100)) == 1
    push.dial.clock.advance(seconds=61)
    assert push.once().count(UNDELIVERABLE) == 1
    (entry,) = push.entries()
    assert (entry.pushes, entry.last_error) == (
        1,
        "the pusher stopped during push 1; no push is left",
    )
    assert http_receiver.posts == []


def test_concurrent_claims_never_take_the_same_entry(push: Push) -> None:
    campaign = push.dial.campaign()
    push.record(campaign, 120)
    rt, now = push.dial.api.rt, push.dial.clock()
    taken: list[list[int]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def claim_all(index: int) -> None:
        start.wait()
        while True:
            with rt.db.transaction() as session:
                got = outbox.claim(
                    session, f"t{index}".ljust(32, "x"), now, now + timedelta(seconds=60), 7
                )
            if not got:
                return
            taken[index] += [entry.result_pk for entry in got]

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [pk for pks in taken for pk in pks]
    assert len(every) == len(set(every)) == 120


def test_metrics_show_deliveries_by_state(push: Push, http_receiver: Receiver) -> None:
    campaign = push.dial.campaign(callBackUrl=http_receiver.url)
    push.record(campaign, 3)
    http_receiver.answer(503)
    push.once()
    page = push.dial.api.http.get("/metrics").text
    assert 'openisales_result_deliveries{state="pending"} 3.0' in page
    assert 'openisales_result_pushes_total{status="503"}' in page


# --- the command line ---------------------------------------------------------------------------


def test_results_redeliver_from_the_command_line(push: Push, http_receiver: Receiver) -> None:
    rt = push.dial.api.rt
    env = {
        "OPENISALES_DATABASE_URL": rt.settings.sqlalchemy_url,
        "OPENISALES_DATA_DIR": str(rt.settings.data_dir),
    }

    def openisales(*args: str) -> tuple[int, str]:
        done = CliRunner().invoke(app, list(args), env=env)
        return done.exit_code, done.output

    campaign = push.dial.campaign(callBackUrl=http_receiver.url)
    other = push.dial.campaign(name="no receiver")
    push.record(campaign, 2)
    push.record(other, 1)
    push.max_pushes(1)
    http_receiver.always(500)
    push.once()
    code, out = openisales("results", "counts", "--vdn", "12", "--json")
    assert code == 0 and json.loads(out) == {
        "pending": 0, "delivering": 0, "delivered": 0, "undeliverable": 2, "no_receiver": 1,
    }  # fmt: skip
    code, out = openisales("results", "redeliver", "--state", "sent")
    assert code == 2 and "--state must be one of no_receiver, undeliverable" in out
    code, out = openisales("results", "redeliver", "--vdn", "12", "--campaign", "999")
    assert code == 2 and "999" in out
    code, out = openisales("results", "redeliver", "--campaign", str(campaign))
    assert code == 2 and "vdnId" in out
    code, out = openisales(
        "results",
        "redeliver",
        "--vdn",
        "12",
        "--campaign",
        str(campaign),
        "--state",
        "undeliverable",
    )
    assert (code, out.strip()) == (0, "2 results queued for delivery again")
    assert sorted(push.states()) == [PENDING, PENDING, NO_RECEIVER]
    code, out = openisales("results", "redeliver")
    assert (code, out.strip()) == (0, "1 results queued for delivery again")
    http_receiver.always(200)
    push.dial.api.rt.settings.result_callback_url = http_receiver.url
    assert push.until_idle() == 1
    assert set(push.states()) == {DELIVERED}
