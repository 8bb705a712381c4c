"""Recording a dialer's results: each lease's outcome once, and the record moved on.

A result is accepted for a lease that is its row's current lease and has not ended. It is
stored in ``call_results`` (every field of the documented result push), with its entry in the
result push's outbox (``result_deliveries``), in the same transaction that moves the row: success finishes the record; a failure is retried by the campaign's retry
policy, or the record goes on to its next number after that number's ``delayTime``, or, after
its last number, it is finished. Each result is answered on its own: recorded, already
recorded, or no such (live) lease.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openisales.domain import retry_policy
from openisales.domain.dispatch import FAILED, Number, after_result
from openisales.errors import ResultCode, WrongCombination
from openisales.services import campaigns
from openisales.storage import dispatch as dial_rows
from openisales.storage.dispatch import LeaseEnd
from openisales.storage.models import CallData, Campaign, DialEntry

MAX_RESULTS = 500


@dataclass(frozen=True)
class Report:
    """One element of the results body, checked by the schema."""

    lease_id: str
    call_status: int
    fail_code: str
    call_id: str
    call_time_str: str
    record_path: str | None = None


def record(
    session: Session, vdn_id: int, campaign_id: int, reports: Sequence[Report], now: datetime
) -> list[dict[str, str]]:
    """Record every report whose lease is live; one answer per report, in request order."""
    _check_unique(reports)
    campaign = campaigns.get(session, vdn_id, campaign_id)
    lease_ids = [report.lease_id for report in reports]
    entries = dial_rows.leased(session, campaign.pk, lease_ids)
    already = dial_rows.recorded(session, lease_ids)
    records = dial_rows.records(session, [entry.data_id for entry in entries.values()])
    answers: list[dict[str, str]] = []
    rows: list[dict[str, Any]] = []
    ends: list[LeaseEnd] = []
    for report in reports:
        entry = entries.get(report.lease_id)
        if report.lease_id in already:
            code = ResultCode.ALREADY_RECORDED
        elif entry is None or entry.lease_expires_at is None or entry.lease_expires_at < now:
            code = ResultCode.LEASE_NOT_FOUND
        else:
            code = ResultCode.SUCCESS
            data = records[entry.data_id]
            ends.append(_lease_end(campaign, entry, data, report, now))
            rows.append(_result_row(campaign, entry, data, report, now))
        answers.append({"leaseId": report.lease_id, "resultCode": code, "resultDesc": code.en})
    dial_rows.end_leases(session, ends, now)
    dial_rows.add_results(session, rows, now)
    return answers


def _check_unique(reports: Sequence[Report]) -> None:
    seen: set[str] = set()
    for index, report in enumerate(reports):
        if report.lease_id in seen:
            raise WrongCombination(
                f"results[{index}].leaseId: {report.lease_id} is reported more than once in "
                "the request; nothing was recorded"
            )
        seen.add(report.lease_id)


def numbers_of(data: CallData) -> list[Number]:
    """The record's called numbers in their order, as stored."""
    stored: list[dict[str, Any]] = json.loads(data.called)
    return [
        Number(str(item["calledNo"]), int(item.get("delayTime") or 0), item.get("type"))
        for item in stored
    ]


def _lease_end(
    campaign: Campaign, entry: DialEntry, data: CallData, report: Report, now: datetime
) -> LeaseEnd:
    """Where this result takes the row: retried, next number, or done."""
    numbers = numbers_of(data)
    number_type = numbers[entry.position].number_type if entry.position < len(numbers) else None
    retry_in = None
    if report.call_status == FAILED:
        retry_in = retry_policy.retry_in(
            campaign.retry_policy, number_type, report.fail_code, entry.failures
        )
    step = after_result(numbers, entry.position, entry.failures, report.call_status, retry_in, now)
    if step.due_at is None:  # done: the row keeps its last number
        return LeaseEnd(
            entry.data_id, report.lease_id, step.state, entry.due_at, entry.position,
            entry.called_no, entry.failures, step.outcome,
        )  # fmt: skip
    return LeaseEnd(
        entry.data_id, report.lease_id, step.state, step.due_at, step.position,
        numbers[step.position].called_no, step.failures, None,
    )  # fmt: skip


def _result_row(
    campaign: Campaign, entry: DialEntry, data: CallData, report: Report, now: datetime
) -> dict[str, Any]:
    return {
        "lease_id": report.lease_id,
        "vdn_id": campaign.vdn_id,
        "campaign_pk": campaign.pk,
        "campaign_id": campaign.campaign_id,
        "data_id": entry.data_id,
        "position": entry.position,
        "attempt": entry.failures + 1,
        "session_id": data.session_id,
        "called": entry.called_no,
        "call_time_str": report.call_time_str,
        "call_status": report.call_status,
        "fail_code": report.fail_code,
        "call_id": report.call_id,
        "custom_field": data.custom_field,
        "record_path": report.record_path,
        "dialer_id": entry.dialer_id or "",
        "recorded_at": now,
    }
