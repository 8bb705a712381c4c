"""Import notices: an ended import task's record POSTed once to the import's ``notifyUrl``.

The notice is queued with the move that ends the task (``storage.import_tasks.move``) and pushed
from the same outbox as call results, by the same pusher, with the same claim, backoff and
tenant limit (``domain.result_delivery``): HTTP 200 delivered; anything else, or no answer,
pushed again after the backoff until the tenant's pushes are used up, then undeliverable.

The body is the task's record exactly as queryDataImportTask answers it (one JSON object, read
when pushed, so it is the final record), signed with the tenant's notify key
(``auth.notify``): ``X-Openisales-Signature: t=<unix>,v1=<hex>``. Delivery is at least once,
as for results: a receiver dedupes by the record's ``id``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from openisales.auth.notify import HEADER, notify_key, signature_header
from openisales.domain.result_delivery import DeliveryState, after_failure
from openisales.receiver_client import Answer, ReceiverClient, origin
from openisales.services import imports
from openisales.services.result_push import MAX_PARALLEL_RECEIVERS, Round
from openisales.services.runtime import Runtime
from openisales.storage import import_tasks as task_rows
from openisales.storage import result_deliveries as outbox
from openisales.storage.result_deliveries import ClaimedNotice, Settled

log = logging.getLogger("openisales.push")
EVENT_HEADER = "X-Openisales-Event"
EVENT = "importTask.ended"


def body_of(rt: Runtime, task_id: str) -> bytes | None:
    """The task's record as queryDataImportTask answers it, as JSON; None if it is gone."""
    with rt.db.read() as session:
        task = task_rows.get_any(session, task_id)
        if task is None:
            return None
        record = imports.to_dict(task)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def notify_once(rt: Runtime, client: ReceiverClient) -> Round:
    """Claim due notices, POST each one, settle them: one round. Commits its own transactions."""
    token = uuid.uuid4().hex
    now = rt.clock()
    until = now + timedelta(seconds=rt.settings.result_push_claim_seconds)
    with rt.db.transaction() as session:
        claimed = outbox.claim_notices(session, token, now, until, rt.settings.result_push_batch)
    done = Round(claimed=len(claimed))
    if not claimed:
        return done
    given_up = [entry for entry in claimed if entry.pushes > entry.max_pushes]
    settled = [_given_up(entry, now) for entry in given_up]
    to_push = [entry for entry in claimed if entry.pushes <= entry.max_pushes]
    answers = _post_all(rt, client, to_push)
    done.posts = len(to_push)
    finished = rt.clock()
    settled += [_after_push(entry, answer, finished) for entry, answer in answers]
    with rt.db.transaction() as session:
        outbox.settle(session, token, settled, finished)
    for outcome in settled:
        done.ended[outcome.state] += 1
    return done


def _post_all(
    rt: Runtime, client: ReceiverClient, entries: Sequence[ClaimedNotice]
) -> list[tuple[ClaimedNotice, Answer]]:
    """Each notice POSTed, in parallel: one slow receiver does not hold the others."""
    if not entries:
        return []
    workers = min(len(entries), MAX_PARALLEL_RECEIVERS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify") as pool:
        futures = [(entry, pool.submit(_post, rt, client, entry)) for entry in entries]
        return [(entry, future.result()) for entry, future in futures]


def _post(rt: Runtime, client: ReceiverClient, entry: ClaimedNotice) -> Answer:
    body = body_of(rt, entry.task_id)
    if body is None:  # the task went with its campaign; its entry cascades away too
        return Answer(None, "the import task no longer exists")
    key = notify_key(rt.box.open(entry.secret_key_enc))
    signature = signature_header(key, body, int(rt.clock().timestamp()))
    answer = client.post(entry.notify_url, body, headers={HEADER: signature, EVENT_HEADER: EVENT})
    where = origin(entry.notify_url)
    if answer.delivered:
        log.info("notified the end of import task %s to %s", entry.task_id, where)
    elif answer.status is not None:
        log.warning(
            "notice of import task %s to %s answered HTTP %d", entry.task_id, where, answer.status
        )
    return answer


def _after_push(entry: ClaimedNotice, answer: Answer, now: datetime) -> Settled:
    url = entry.notify_url
    if answer.delivered:
        return Settled(entry.pk, DeliveryState.DELIVERED, entry.pushes, now, url, 200, None)
    error = answer.error or f"HTTP {answer.status}"
    again = after_failure(entry.pushes, entry.max_pushes, now)
    if again is None:
        state, when = DeliveryState.UNDELIVERABLE, now
    else:
        state, when = DeliveryState.PENDING, again
    return Settled(entry.pk, state, entry.pushes, when, url, answer.status, error)


def _given_up(entry: ClaimedNotice, now: datetime) -> Settled:
    # Its last allowed push began but never settled: the pusher died during it.
    reason = f"the pusher stopped during push {entry.max_pushes}; no push is left"
    return Settled(
        entry.pk,
        DeliveryState.UNDELIVERABLE,
        entry.max_pushes,
        now,
        entry.notify_url,
        None,
        reason,
    )
