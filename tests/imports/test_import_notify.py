"""``notifyUrl`` (extension): an ended import's record POSTed once, signed, to a real receiver.

Real sftp imports on both databases, a real HTTP receiver on loopback, and the pusher's round
(``notify_once``) driven by the test at a controlled clock.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from openisales.auth.notify import (
    HEADER,
    BadNotifySignature,
    notify_key,
    signature_header,
    verify,
)
from openisales.cli import app
from openisales.client.receiver import ResultReceiver
from openisales.domain.result_delivery import DeliveryKind, DeliveryState
from openisales.receiver_client import ReceiverClient
from openisales.services import schedules
from openisales.services.import_notices import notify_once
from openisales.services.result_deliveries import counts
from openisales.storage import result_deliveries as outbox
from openisales.storage.models import ImportTask, ResultDelivery
from tests.conftest import Clock
from tests.imports.conftest import UPLOAD_DIR, ImportSetup
from tests.imports.test_import_flow import HEADER as CALL_HEADER
from tests.imports.test_import_flow import numbers, xlsx
from tests.support.receivers import Post, Receiver, receiver


@pytest.fixture
def notices(setup: ImportSetup) -> Iterator[ReceiverClient]:
    client = ReceiverClient(setup.api.rt.server_networks, 5)
    yield client
    client.close()


@pytest.fixture
def crm() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def _clock(setup: ImportSetup) -> Clock:
    clock = setup.api.rt.clock
    assert isinstance(clock, Clock)
    return clock


def _entries(setup: ImportSetup) -> list[ResultDelivery]:
    with setup.api.rt.db.read() as session:
        query = select(ResultDelivery).where(ResultDelivery.kind == DeliveryKind.IMPORT_NOTICE)
        return list(session.scalars(query.order_by(ResultDelivery.pk)))


def _checked(setup: ImportSetup, post: Post) -> dict[str, Any]:
    """The notice's record, once its signature is checked as a receiver would."""
    key = notify_key(setup.api.creds.secret_key)
    stamp = verify(key, post.headers.get(HEADER), post.raw, _clock(setup).now.timestamp())
    assert abs(stamp - _clock(setup).now.timestamp()) < 5
    assert post.content_type == "application/json; charset=UTF-8"
    record: dict[str, Any] = post.items
    return record


def test_an_ended_import_posts_its_record_once_signed(
    setup: ImportSetup, crm: Receiver, notices: ReceiverClient
) -> None:
    setup.put("notify.xlsx", xlsx(CALL_HEADER, numbers(3)))
    task_id = setup.submit("notify.xlsx", notify_url=crm.url)
    queued = setup.task(task_id)
    assert queued["notifyUrl"] == crm.url
    assert notify_once(setup.api.rt, notices).claimed == 0  # nothing until the task ends
    assert _entries(setup) == []

    assert setup.run_worker() == 1
    (entry,) = _entries(setup)
    assert (entry.task_id, entry.state, entry.result_pk) == (task_id, DeliveryState.PENDING, None)
    done = notify_once(setup.api.rt, notices)
    assert (done.claimed, done.posts, done.count(DeliveryState.DELIVERED)) == (1, 1, 1)

    (post,) = crm.posts
    assert post.path == "/results"
    assert _checked(setup, post) == setup.task(task_id)  # exactly the queryDataImportTask record
    assert post.items["status"] == "2" and post.items["succNum"] == 3
    assert post.headers["X-Openisales-Event"] == "importTask.ended"
    assert notify_once(setup.api.rt, notices).claimed == 0
    assert len(crm.posts) == 1
    (entry,) = _entries(setup)
    assert entry.state == DeliveryState.DELIVERED and entry.pushes == 1


def test_a_receiver_that_is_down_gets_the_notice_once_it_is_back(
    setup: ImportSetup, crm: Receiver, notices: ReceiverClient
) -> None:
    clock = _clock(setup)
    setup.put("later.xlsx", xlsx(CALL_HEADER, numbers(2)))
    task_id = setup.submit("later.xlsx", notify_url=crm.url)
    assert setup.run_worker() == 1
    crm.down()

    first = notify_once(setup.api.rt, notices)
    assert (first.claimed, first.count(DeliveryState.PENDING)) == (1, 1)
    (entry,) = _entries(setup)
    assert entry.pushes == 1 and entry.last_status is None
    assert entry.last_error is not None and "no connection could be made" in entry.last_error
    assert entry.next_attempt_at > clock.now  # the backoff of the result push: 10 s

    crm.up()
    assert notify_once(setup.api.rt, notices).claimed == 0  # not due yet
    clock.advance(seconds=11)
    second = notify_once(setup.api.rt, notices)
    assert second.count(DeliveryState.DELIVERED) == 1
    (post,) = crm.posts  # delivered once, after the retry
    assert _checked(setup, post)["id"] == task_id
    clock.advance(hours=1)
    assert notify_once(setup.api.rt, notices).claimed == 0
    assert len(crm.posts) == 1
    assert _entries(setup)[0].pushes == 2


def test_a_refused_notice_is_pushed_as_often_as_the_tenant_allows_then_given_up(
    setup: ImportSetup, crm: Receiver, notices: ReceiverClient
) -> None:
    clock = _clock(setup)
    crm.always(500)
    setup.put("refused.xlsx", xlsx(CALL_HEADER, numbers(1)))
    setup.submit("refused.xlsx", notify_url=crm.url)
    assert setup.run_worker() == 1
    assert notify_once(setup.api.rt, notices).count(DeliveryState.PENDING) == 1
    clock.advance(seconds=11)
    assert notify_once(setup.api.rt, notices).count(DeliveryState.UNDELIVERABLE) == 1  # 2 pushes
    assert [post.status for post in crm.posts] == [500, 500]
    (entry,) = _entries(setup)
    assert (entry.pushes, entry.last_status, entry.last_error) == (2, 500, "HTTP 500")
    clock.advance(days=1)
    assert notify_once(setup.api.rt, notices).claimed == 0

    rt = setup.api.rt
    env = {
        "OPENISALES_DATABASE_URL": rt.settings.sqlalchemy_url,
        "OPENISALES_DATA_DIR": str(rt.settings.data_dir),
    }
    results = CliRunner().invoke(app, ["results", "redeliver"], env=env)
    assert results.output.strip() == "0 results queued for delivery again"
    done = CliRunner().invoke(app, ["results", "redeliver", "--notices", "--vdn", "12"], env=env)
    assert (done.exit_code, done.output.strip()) == (
        0,
        "1 import notices queued for delivery again",
    )
    crm.always(200)
    assert notify_once(setup.api.rt, notices).count(DeliveryState.DELIVERED) == 1
    # The result push's own counts do not count notices.
    with setup.api.rt.db.read() as session:
        assert sum(counts(session, 12).values()) == 0


def test_a_failed_blocklist_import_is_notified_too(
    setup: ImportSetup, crm: Receiver, notices: ReceiverClient
) -> None:
    answer = setup.isales.upload_blackfile(
        setup.server_id, "missing.csv", "/" + UPLOAD_DIR, notify_url=crm.url
    )
    assert answer["resultCode"] == "0200000", answer
    assert setup.run_worker() == 1
    notify_once(setup.api.rt, notices)
    (post,) = crm.posts
    record = _checked(setup, post)
    listed = setup.isales.query_blackfile_tasks(import_task_ids=[answer["importTaskId"]])
    assert record == listed["result"][0]
    assert record["status"] == "3" and record["errMsg"]


def test_every_run_of_a_schedule_notifies_and_a_cancelled_run_does_too(
    setup: ImportSetup, crm: Receiver, notices: ReceiverClient
) -> None:
    clock = _clock(setup)
    clock.now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    setup.put("daily.xlsx", xlsx(CALL_HEADER, numbers(2)))
    answer = setup.isales.upload_file_server(
        setup.campaign_id,
        setup.server_id,
        "daily.xlsx",
        file_path="/" + UPLOAD_DIR,
        hour=8,
        minute=1,
        notify_url=crm.url,
    )
    assert answer["resultCode"] == "0200000", answer
    listed = setup.isales.list_schedules(setup.campaign_id)
    assert listed["result"][0]["notifyUrl"] == crm.url
    clock.advance(minutes=2)
    assert setup.run_worker() == 1
    clock.advance(days=1)
    assert setup.run_worker() == 1  # the second run (its file unchanged: nothing imported)
    clock.advance(days=1)  # the third run is queued, waiting for a worker, when cancelled
    with setup.api.rt.db.transaction() as session:
        (third,) = schedules.fire_due(session, clock.now)
    cancelled = setup.isales.cancel_schedule(answer["scheduleId"])
    assert cancelled["resultCode"] == "0200000", cancelled

    assert notify_once(setup.api.rt, notices).count(DeliveryState.DELIVERED) == 3
    records = [_checked(setup, post) for post in crm.posts]
    assert sorted(record["id"] for record in records) == sorted(
        [answer["importTaskId"], *(t["id"] for t in _runs(setup)[1:])]
    )
    by_id = {record["id"]: record for record in records}
    assert by_id[third]["status"] == "3" and "cancelled" in by_id[third]["errMsg"]
    assert {record["scheduleId"] for record in records} == {answer["scheduleId"]}


def _runs(setup: ImportSetup) -> list[dict[str, Any]]:
    answer = setup.isales.query_import_tasks(setup.campaign_id)
    return list(reversed(answer["result"]))  # oldest first


def test_an_ended_task_is_queued_once_however_often_its_end_is_written(
    setup: ImportSetup, crm: Receiver
) -> None:
    setup.put("once.xlsx", xlsx(CALL_HEADER, numbers(1)))
    task_id = setup.submit("once.xlsx", notify_url=crm.url)
    now = setup.api.rt.clock()
    with setup.api.rt.db.transaction() as session:
        assert outbox.enqueue_notices(session, [task_id], now) == 0  # not ended yet
    assert setup.run_worker() == 1
    with setup.api.rt.db.transaction() as session:
        assert outbox.enqueue_notices(session, [task_id], now) == 0  # queued by its end already
    assert len(_entries(setup)) == 1


def test_a_notice_claimed_by_a_pusher_that_died_is_pushed_after_its_claim_expires(
    setup: ImportSetup, crm: Receiver, notices: ReceiverClient
) -> None:
    clock = _clock(setup)
    setup.put("crash.xlsx", xlsx(CALL_HEADER, numbers(1)))
    setup.submit("crash.xlsx", notify_url=crm.url)
    assert setup.run_worker() == 1
    now = clock()
    with setup.api.rt.db.transaction() as session:
        claimed = outbox.claim_notices(session, "dead" * 8, now, now + timedelta(seconds=60), 10)
    assert len(claimed) == 1  # and this pusher never settles it
    assert notify_once(setup.api.rt, notices).claimed == 0
    clock.advance(seconds=61)
    assert notify_once(setup.api.rt, notices).count(DeliveryState.DELIVERED) == 1
    assert len(crm.posts) == 1


def test_without_notify_url_nothing_is_queued_and_a_bad_one_is_refused(setup: ImportSetup) -> None:
    setup.put("plain.xlsx", xlsx(CALL_HEADER, numbers(1)))
    task_id = setup.submit("plain.xlsx")
    assert setup.task(task_id)["notifyUrl"] == ""
    assert setup.run_worker() == 1
    with setup.api.rt.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ResultDelivery)) == 0

    for bad in ("ftp://crm.example/notify", "not a url", "/relative/path"):
        answer = setup.isales.upload_file_server(
            setup.campaign_id, setup.server_id, "plain.xlsx", notify_url=bad
        )
        assert answer["resultCode"] == "02000007", answer
        assert answer["resultDesc"].startswith("notifyUrl: must be an absolute http or https URL")


def test_the_signature_fails_for_another_body_key_or_time(setup: ImportSetup) -> None:
    key = notify_key(setup.api.creds.secret_key)
    body = json.dumps({"id": "1"}).encode()
    header = signature_header(key, body, 1_800_000_000)
    assert verify(key, header, body, 1_800_000_010) == 1_800_000_000
    for wrong_key, wrong_body, now in (
        (notify_key("another secret"), body, 1_800_000_000),
        (key, body + b" ", 1_800_000_000),
        (key, body, 1_800_000_000 + 3600),
    ):
        with pytest.raises(BadNotifySignature):
            verify(wrong_key, header, wrong_body, now)
    for broken in (None, "", "v1=00", "t=x,v1=00", "t=1,t=2,v1=00"):
        with pytest.raises(BadNotifySignature):
            verify(key, broken, body, 1_800_000_000)


@contextmanager
def bundled_receiver(out: Path, key: str | None) -> Iterator[ResultReceiver]:
    """``openisales dialer receive``'s server, on a free loopback port, in a thread."""
    server = ResultReceiver(("127.0.0.1", 0), out, notify_key=key)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_the_bundled_receiver_checks_the_signature_before_it_keeps_a_notice(
    setup: ImportSetup, notices: ReceiverClient, tmp_path: Path
) -> None:
    clock = _clock(setup)
    clock.now = datetime.now(UTC)  # the receiver checks t against its own (real) clock
    out = tmp_path / "notices.jsonl"
    right = notify_key(setup.api.creds.secret_key)
    with bundled_receiver(out, notify_key("not the tenant's secret")) as wrong:
        setup.put("signed.xlsx", xlsx(CALL_HEADER, numbers(1)))
        task_id = setup.submit("signed.xlsx", notify_url=f"http://127.0.0.1:{wrong.port}/n")
        assert setup.run_worker() == 1
        assert notify_once(setup.api.rt, notices).count(DeliveryState.PENDING) == 1
    (entry,) = _entries(setup)
    assert entry.last_status == 401 and wrong.notices == 0 and not out.exists()

    with bundled_receiver(out, right) as checking:
        with setup.api.rt.db.transaction() as session:  # the CRM moved its receiver
            session.get_one(ImportTask, task_id).notify_url = f"http://127.0.0.1:{checking.port}/n"
        clock.advance(seconds=11)
        assert notify_once(setup.api.rt, notices).count(DeliveryState.DELIVERED) == 1
    assert checking.notices == 1
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == setup.task(task_id)
