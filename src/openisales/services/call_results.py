"""Querying outbound call results (cec_07_0783): a campaign's recorded results, page by page.

``showDetail`` 0 (the default) gives each finished record's final result: the last result of a
record whose dialling has ended (reached, every number tried, or recycled; or deleted since).
``showDetail`` 1 gives every result, one per call. Both in the order the results were recorded.
``beginTime``/``endTime`` are days (``yyyy-MM-dd``) on the tenant's clock and bound when a
result was recorded: from ``beginTime`` 00:00 up to, not including, ``endTime`` 00:00.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from openisales.errors import WrongCombination, WrongType, WrongValue
from openisales.services import campaigns
from openisales.services.blocklist import tenant_zone
from openisales.storage import call_results as result_rows
from openisales.storage.call_results import ResultFilter
from openisales.storage.models import CallResult

DETAIL_PAGE_MAX = 100  # showDetail 1 (cec_07_0783)
FINAL_PAGE_MAX = 500  # showDetail 0
UNPAGED_MAX = 2000  # "如果请求参数pageSize、pageNum未填写值,查询结果最多为2000条数据"
MAX_SPAN = timedelta(days=30)
DAY_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ResultQuery:
    """The query body, its types checked by the schema; None means not given."""

    session_id: str | None = None
    custom_field: str | None = None
    called: str | None = None
    call_status: int | None = None
    page_size: int | None = None
    page_num: int | None = None
    show_detail: int = 0
    begin_time: str | None = None
    end_time: str | None = None


@dataclass(frozen=True)
class ResultPage:
    rows: list[CallResult]
    total: int


def query(session: Session, vdn_id: int, campaign_id: int, request: ResultQuery) -> ResultPage:
    """The campaign's results matching the request, one page of them, and how many match."""
    detail = request.show_detail == 1
    offset, limit = _page(request.page_size, request.page_num, detail=detail)
    days = _days(request.begin_time, request.end_time)
    campaign = campaigns.get(session, vdn_id, campaign_id)
    recorded_from = recorded_before = None
    if days is not None:
        zone = tenant_zone(session, vdn_id)
        recorded_from, recorded_before = (_midnight(day, zone) for day in days)
    criteria = ResultFilter(
        session_id=request.session_id,
        custom_field=request.custom_field,
        called=request.called,
        call_status=request.call_status,
        recorded_from=recorded_from,
        recorded_before=recorded_before,
    )
    rows, total = result_rows.page(
        session, campaign.pk, criteria, final_only=not detail, offset=offset, limit=limit
    )
    return ResultPage(rows, total)


def _page(size: int | None, number: int | None, *, detail: bool) -> tuple[int, int]:
    """(offset, limit). Neither given: the first 2000; pageNum alone: pages of the largest size."""
    largest = DETAIL_PAGE_MAX if detail else FINAL_PAGE_MAX
    if size is None and number is None:
        return 0, UNPAGED_MAX
    if size is not None and size > largest:
        raise WrongValue(
            f"pageSize: must be between 1 and {largest} with showDetail {int(detail)}, got {size}"
        )
    size = size or largest
    return ((number or 1) - 1) * size, size


def _days(begin: str | None, end: str | None) -> tuple[date, date] | None:
    """The days beginTime and endTime name: both or neither, in order, 30 days apart at most."""
    if begin is None and end is None:
        return None
    if begin is None or end is None:
        raise WrongCombination("beginTime and endTime must be given together")
    first, last = _day("beginTime", begin), _day("endTime", end)
    if first >= last:
        raise WrongCombination(f"beginTime must be earlier than endTime, got {begin} and {end}")
    if last - first > MAX_SPAN:
        raise WrongValue(
            f"endTime: at most {MAX_SPAN.days} days after beginTime, got {(last - first).days}"
        )
    return first, last


def _day(name: str, text: str) -> date:
    if not DAY_TEXT.fullmatch(text):
        raise WrongType(f"{name}: must be yyyy-MM-dd, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WrongValue(f"{name}: {text!r} is not a real date") from None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of ``day`` on the tenant's wall clock, as a UTC instant."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def to_dict(row: CallResult) -> dict[str, Any]:
    """One ``data`` element, with the documented fields and types (campaignId a String).

    ``resultCode`` is the failure's display code (外显结果码), which iSales maps from the
    failCode by tenant-defined display results; openisales defines none, so it is the failCode.
    """
    return {
        "campaignId": str(row.campaign_id),
        "sessionId": row.session_id,
        "called": row.called,
        "callTimeStr": row.call_time_str,
        "callStatus": row.call_status,
        "failCode": row.fail_code,
        "resultCode": row.fail_code,
        "vdnId": row.vdn_id,
        "callId": row.call_id,
        "recordPath": row.record_path or "",
    }
