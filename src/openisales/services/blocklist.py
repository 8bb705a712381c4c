"""The tenant's blocklist (cec_07_0743-0749): add, delete one, delete all, query, file import.

An entry blocks its number until it expires (``expires_at``; None = never). An expired entry
blocks nothing: adding its number again replaces it, and the query shows it as inactive until
then. An add is all or nothing: one bad, repeated or already listed (and active) number and no
number of the request is added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openisales.domain.blocklist_template import (
    RESTRICT_TIMES_MAX,
    RESTRICT_TIMES_MIN,
    VALIDITY_MAX,
    VALIDITY_MIN,
    check_restriction,
    expiry_instant,
    parse_expiry,
    parse_number,
    parse_period,
)
from openisales.domain.records import RowError, parse_whole
from openisales.domain.retry_policy import max_attempts
from openisales.domain.rule_messages import rule_message
from openisales.errors import (
    ConflictError,
    EmptyValue,
    NotOnBlocklist,
    ParameterError,
    WrongCombination,
    WrongValue,
)
from openisales.i18n import Both
from openisales.services.imports import ImportRequest, submit_file_import
from openisales.storage import blocklist as blocklist_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage import import_tasks as task_rows
from openisales.storage import tenants as tenant_rows
from openisales.storage.models import BlocklistEntry, ImportTask

MAX_NUMBERS = 20  # per add and per query filter (cec_07_0744, cec_07_0747)
KIND = "blocklist"


@dataclass(frozen=True)
class AddRequest:
    """The blocklist/add body as given; ``validity_expiration_time`` is local to the tenant."""

    numbers: Sequence[str]
    validity_expiration_time: str | None = None
    validity_time: int | None = None
    restrict_times: int | None = None
    restrict_period: str | None = None


@dataclass(frozen=True)
class BlocklistPage:
    entries: list[BlocklistEntry]
    total: int
    zone: tzinfo


def tenant_zone(session: Session, vdn_id: int) -> ZoneInfo:
    """The tenant's time zone for blocklist times; UTC when the tenant row is missing."""
    tenant = tenant_rows.get(session, vdn_id)
    return ZoneInfo(tenant.time_zone if tenant else "UTC")


def is_active(entry: BlocklistEntry, now: datetime) -> bool:
    """The same rule the imports count ``blackNum`` with (storage.calldata)."""
    return entry.expires_at is None or entry.expires_at > now


def _raise_first(errors: list[RowError]) -> None:
    if errors:
        error = errors[0]
        chinese = rule_message(error.rule, error.column, error.message, "zh")
        raise ParameterError.of(error.code, Both(error.message, chinese))


def check_numbers(field: str, numbers: Sequence[str], *, adding: bool) -> list[str]:
    """Up to 20 well-formed numbers; an add needs at least one and refuses repeats."""
    if adding and not numbers:
        raise EmptyValue(f"{field}: give at least one number")
    if len(numbers) > MAX_NUMBERS:
        raise WrongValue(f"{field}: at most {MAX_NUMBERS} numbers at a time, got {len(numbers)}")
    checked: list[str] = []
    for index, value in enumerate(numbers):
        errors: list[RowError] = []
        number = parse_number(value, 0, f"{field}[{index}]", errors)
        _raise_first(errors)
        assert number is not None
        checked.append(number)
    if not adding:
        return list(dict.fromkeys(checked))
    repeated = sorted({n for n in checked if checked.count(n) > 1})
    if repeated:
        raise WrongCombination(
            f"{field}: the request names {', '.join(repeated)} more than once; nothing was added"
        )
    return checked


def _validated(request: AddRequest, zone: tzinfo, now: datetime) -> dict[str, Any]:
    """The entry fields every number of the request gets; ParameterError for a bad value."""
    errors: list[RowError] = []
    expiry_text = request.validity_expiration_time
    expires_at = parse_expiry(
        expiry_text or None, 0, "validityExpirationTime", errors, now=now, zone=zone
    )
    validity = parse_whole(
        request.validity_time, 0, "validityTime", errors, VALIDITY_MIN, VALIDITY_MAX
    )
    times = parse_whole(
        request.restrict_times, 0, "restrictTimes", errors, RESTRICT_TIMES_MIN, RESTRICT_TIMES_MAX
    )
    period = parse_period(request.restrict_period, 0, "restrictPeriod", errors)
    _raise_first(errors)
    check_restriction(times, period, 0, errors, ("restrictTimes", "restrictPeriod"))
    _raise_first(errors)
    return {
        "expires_at": expiry_instant(expires_at, validity, now),
        "restrict_times": times,
        "restrict_period": period,
    }


def _check_below_retry_attempts(session: Session, vdn_id: int, times: int | None) -> None:
    """cec_07_0744: the maximum number of calls must be less than the retry policy's attempts;
    a limit the retry policies never reach would restrict nothing. Checked against the most
    calls any retry policy of the tenant's campaigns makes to one number (none: no check)."""
    if times is None:
        return
    policies = campaign_rows.retry_policies(session, vdn_id)
    if not policies:
        return
    attempts = max(max_attempts(policy) for policy in policies)
    if times >= attempts:
        raise WrongValue(
            f"restrictTimes: must be less than the retry policy's attempts ({attempts}, the "
            f"most calls a retry policy of the tenant's campaigns makes), got {times}"
        )


def add(session: Session, vdn_id: int, request: AddRequest, now: datetime) -> list[BlocklistEntry]:
    """Add every number of the request, or none of them."""
    numbers = check_numbers("blocklist", request.numbers, adding=True)
    fields = _validated(request, tenant_zone(session, vdn_id), now)
    _check_below_retry_attempts(session, vdn_id, fields["restrict_times"])
    tenant_rows.lock(session, vdn_id)
    existing = blocklist_rows.find(session, vdn_id, numbers)
    listed = sorted(entry.number for entry in existing if is_active(entry, now))
    if listed:
        raise ConflictError(f"already on the blocklist: {', '.join(listed)}; nothing was added")
    # Only expired entries are left in ``existing``: the new entry replaces each of them.
    blocklist_rows.delete_numbers(session, vdn_id, [entry.number for entry in existing])
    rows = [{"vdn_id": vdn_id, "number": n, "created_at": now, **fields} for n in numbers]
    try:
        blocklist_rows.add_many(session, rows)
    except IntegrityError as exc:  # only without the tenant lock; kept as a last guard
        raise ConflictError(
            "a number of the request was added concurrently; nothing was added"
        ) from exc
    return blocklist_rows.find(session, vdn_id, numbers)


def delete(session: Session, vdn_id: int, number: str) -> None:
    """Remove one number's entry, active or expired."""
    errors: list[RowError] = []
    checked = parse_number(number, 0, "blocklistNo", errors)
    _raise_first(errors)
    assert checked is not None
    if not blocklist_rows.delete_one(session, vdn_id, checked):
        raise NotOnBlocklist(checked)


def delete_all(session: Session, vdn_id: int) -> int:
    """Empty the tenant's blocklist; how many entries there were."""
    return blocklist_rows.delete_all(session, vdn_id)


def query(
    session: Session,
    vdn_id: int,
    numbers: Sequence[str] | None,
    offset: int,
    limit: int,
) -> BlocklistPage:
    """A page of the tenant's entries, only those of ``numbers`` when given (and not empty)."""
    wanted = check_numbers("blocklist", numbers, adding=False) if numbers else None
    entries, total = blocklist_rows.page(
        session, vdn_id, numbers=wanted, offset=offset, limit=limit
    )
    return BlocklistPage(entries, total, tenant_zone(session, vdn_id))


def _local_text(moment: datetime | None, zone: tzinfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _validity_hours(entry: BlocklistEntry) -> int | None:
    # Hours from adding to expiry, rounded up: the documented "expiry = add time + validity".
    if entry.expires_at is None:
        return None
    seconds = (entry.expires_at - entry.created_at).total_seconds()
    return max(0, -int(-seconds // 3600))


def to_dict(entry: BlocklistEntry, zone: tzinfo, now: datetime) -> dict[str, Any]:
    """One entry as blocklist/query returns it; times are the tenant's local time."""
    return {
        "blocklistNo": entry.number,
        "validityExpirationTime": _local_text(entry.expires_at, zone),
        "validityTime": _validity_hours(entry),
        "restrictTimes": entry.restrict_times,
        "restrictPeriod": entry.restrict_period,
        "active": is_active(entry, now),
        "createTime": _local_text(entry.created_at, zone),
    }


def submit_file(session: Session, vdn_id: int, request: ImportRequest, now: datetime) -> ImportTask:
    """Record a blocklist file import for a worker (scheduled when ``hour``/``minute`` are set)."""
    return submit_file_import(
        session, vdn_id, kind=KIND, campaign_pk=None, request=request, now=now
    )


def import_tasks(
    session: Session,
    vdn_id: int,
    offset: int,
    limit: int,
    task_ids: Sequence[str] | None,
) -> tuple[list[ImportTask], int]:
    """The tenant's blocklist import tasks, newest first."""
    return task_rows.page(
        session,
        vdn_id=vdn_id,
        kind=KIND,
        campaign_pk=None,
        offset=offset,
        limit=limit,
        task_ids=task_ids,
    )
