"""The result push: recorded call results POSTed to the customer's receiver.

One round (``push_once``): claim up to ``OPENISALES_RESULT_PUSH_BATCH`` due outbox entries,
find each one's receiver (its campaign's ``callBackUrl``, else the first URL of
``OPENISALES_RESULT_CALLBACK_URL``), POST each receiver's entries as one bare JSON array (the
receivers in parallel), and settle every entry: HTTP 200 delivered; anything else, or no
answer, a failed push, pushed again after the backoff (``domain.result_delivery``) until the
tenant's pushes are used up, then undeliverable; no URL at all: "no receiver", kept until
``openisales results redeliver``. Each step is its own transaction: the claim is committed
before any POST, so a pusher that dies mid-push leaves a claim that expires, and the entry is
pushed again (at least once).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from openisales import metrics
from openisales.domain.result_delivery import DeliveryState, after_failure, receiver_url
from openisales.receiver_client import Answer, ReceiverClient, origin
from openisales.services.runtime import Runtime
from openisales.storage import result_deliveries as outbox
from openisales.storage.result_deliveries import Claimed, Settled

log = logging.getLogger("openisales.push")
MAX_PARALLEL_RECEIVERS = 8


def body_of(entry: Claimed) -> dict[str, Any]:
    """One element of the pushed array: the documented fields, with the types stored."""
    return {
        "campaignId": entry.campaign_id,
        "sessionId": entry.session_id,
        "called": entry.called,
        "callTimeStr": entry.call_time_str,
        "callStatus": entry.call_status,
        "failCode": entry.fail_code,
        "vdnId": entry.vdn_id,
        "callId": entry.call_id,
        "customField": entry.custom_field,
        "recordPath": entry.record_path,
    }


def encode(entries: Sequence[Claimed]) -> bytes:
    """The body of one push: a bare JSON array, UTF-8."""
    items = [body_of(entry) for entry in entries]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Round:
    """What one round did: entries claimed and how they ended, POSTs made."""

    claimed: int = 0
    posts: int = 0
    ended: dict[DeliveryState, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, state: DeliveryState) -> int:
        """How many entries of the round ended in ``state``."""
        return self.ended.get(state, 0)


def push_once(rt: Runtime, client: ReceiverClient) -> Round:
    """Claim due entries, push them, settle them: one round. Commits its own transactions."""
    token = uuid.uuid4().hex
    now = rt.clock()
    until = now + timedelta(seconds=rt.settings.result_push_claim_seconds)
    with rt.db.transaction() as session:
        claimed = outbox.claim(session, token, now, until, rt.settings.result_push_batch)
    done = Round(claimed=len(claimed))
    if not claimed:
        return done
    settled, groups = _sort_out(claimed, rt.settings.result_callback_url, now)
    answers = _post_all(client, groups)
    done.posts = len(answers)
    finished = rt.clock()
    for url, answer in answers.items():
        metrics.result_push(answer.status)
        _log_push(url, len(groups[url]), answer)
        settled += [_after_push(entry, url, answer, finished) for entry in groups[url]]
    with rt.db.transaction() as session:
        outbox.settle(session, token, settled, finished)
    for outcome in settled:
        done.ended[outcome.state] += 1
    return done


def _sort_out(
    claimed: Sequence[Claimed], system_url: str, now: datetime
) -> tuple[list[Settled], dict[str, list[Claimed]]]:
    """Entries settled without a push (no receiver, given up), and the rest by receiver URL."""
    settled: list[Settled] = []
    groups: dict[str, list[Claimed]] = defaultdict(list)
    for entry in claimed:
        url = receiver_url(entry.campaign_params, system_url)
        if entry.pushes > entry.max_pushes:
            # Its last allowed push began but never settled: the pusher died during it.
            reason = f"the pusher stopped during push {entry.max_pushes}; no push is left"
            settled.append(_settled(entry, DeliveryState.UNDELIVERABLE, now, url, None, reason))
        elif url is None:
            reason = "no callBackUrl on the campaign and no OPENISALES_RESULT_CALLBACK_URL"
            settled.append(
                _settled(entry, DeliveryState.NO_RECEIVER, now, None, None, reason, pushed=False)
            )
        else:
            groups[url].append(entry)
    return settled, groups


def _post_all(client: ReceiverClient, groups: dict[str, list[Claimed]]) -> dict[str, Answer]:
    """One POST per receiver, in parallel: a slow receiver does not hold the others' results."""
    if not groups:
        return {}
    workers = min(len(groups), MAX_PARALLEL_RECEIVERS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push") as pool:
        futures = {
            url: pool.submit(client.post, url, encode(entries)) for url, entries in groups.items()
        }
        return {url: future.result() for url, future in futures.items()}


def _log_push(url: str, count: int, answer: Answer) -> None:
    where = origin(url)
    if answer.delivered:
        log.info("pushed %d results to %s", count, where)
    elif answer.status is not None:  # no answer at all: the client logged the exact error
        log.warning("push of %d results to %s answered HTTP %d", count, where, answer.status)


def _after_push(entry: Claimed, url: str, answer: Answer, now: datetime) -> Settled:
    if answer.delivered:
        return _settled(entry, DeliveryState.DELIVERED, now, url, answer.status, None)
    error = answer.error or f"HTTP {answer.status}"
    again = after_failure(entry.pushes, entry.max_pushes, now)
    if again is None:
        return _settled(entry, DeliveryState.UNDELIVERABLE, now, url, answer.status, error)
    return _settled(entry, DeliveryState.PENDING, again, url, answer.status, error)


def _settled(
    entry: Claimed,
    state: DeliveryState,
    when: datetime,
    url: str | None,
    status: int | None,
    error: str | None,
    *,
    pushed: bool = True,
) -> Settled:
    # A claim counts a push; one that was not made (no receiver) gives it back, and one that
    # was given up counts the pushes actually allowed.
    pushes = min(entry.pushes, entry.max_pushes) if pushed else entry.pushes - 1
    return Settled(entry.pk, state, pushes, when, url, status, error)
