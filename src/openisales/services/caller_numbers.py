"""The calling numbers of a campaign (cec_07_0735 add, cec_07_0736 delete).

A campaign's calling numbers are the list the V2 create stores in ``params["callerNo"]``
(``[{accessCode, priority}]``); a V1 campaign's single ``callerNo`` is that list's one entry. The
first number of the list is ``caller_no``, the number a lease offers for a record that names none
(``services.dispatch``), so adding keeps it and deleting it moves to the next one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openisales.errors import ConflictError, WrongCombination, WrongValue
from openisales.services import campaigns
from openisales.storage import campaigns as campaign_rows
from openisales.storage.models import Campaign

V1_PRIORITY = 1  # a V1 campaign's one number: the highest priority


@dataclass(frozen=True)
class CallerNumber:
    access_code: str
    priority: int | None = None


def listed(campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's calling numbers as ``{accessCode, priority}``, first the lease's own."""
    stored = campaign.params.get("callerNo")
    if isinstance(stored, list):
        return [dict(item) for item in stored if isinstance(item, dict)]
    if campaign.caller_no:
        return [{"accessCode": campaign.caller_no, "priority": V1_PRIORITY}]
    return []


def add(
    session: Session,
    vdn_id: int,
    campaign_id: int,
    numbers: Sequence[CallerNumber],
    now: datetime,
) -> list[dict[str, Any]]:
    """Append the numbers, all or none: one repeated or already on the campaign refuses them all."""
    _no_repeats([n.access_code for n in numbers])
    campaign = _locked(session, vdn_id, campaign_id)
    current = listed(campaign)
    present = {item.get("accessCode") for item in current}
    taken = [n.access_code for n in numbers if n.access_code in present]
    if taken:
        raise ConflictError(
            f"callerNo: {', '.join(taken)} already a calling number of the campaign"
        )
    added = [{"accessCode": n.access_code, "priority": n.priority} for n in numbers]
    return _store(session, campaign, current + added, now)


def delete(
    session: Session, vdn_id: int, campaign_id: int, numbers: Sequence[str], now: datetime
) -> list[dict[str, Any]]:
    """Remove the numbers, all or none; at least one calling number must remain."""
    _no_repeats(numbers)
    campaign = _locked(session, vdn_id, campaign_id)
    current = listed(campaign)
    present = {item.get("accessCode") for item in current}
    unknown = [number for number in numbers if number not in present]
    if unknown:
        raise WrongValue(f"callerNo: {', '.join(unknown)} not a calling number of the campaign")
    gone = set(numbers)
    kept = [item for item in current if item.get("accessCode") not in gone]
    if not kept:
        raise WrongValue("callerNo: at least one calling number must remain on the campaign")
    return _store(session, campaign, kept, now)


def _no_repeats(numbers: Sequence[str]) -> None:
    repeated = sorted(number for number, times in Counter(numbers).items() if times > 1)
    if repeated:
        raise WrongCombination(f"callerNo: {', '.join(repeated)} given more than once")


def _locked(session: Session, vdn_id: int, campaign_id: int) -> Campaign:
    campaign = campaigns.get(session, vdn_id, campaign_id)
    campaign_rows.lock(session, campaign.pk)
    return campaign


def _store(
    session: Session, campaign: Campaign, numbers: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    # A new dict: the JSON column notices a replaced value, not one changed in place.
    campaign.params = {**campaign.params, "callerNo": numbers}
    campaign.caller_no = str(numbers[0]["accessCode"])
    campaign.updated_at = now
    session.flush()
    return numbers
