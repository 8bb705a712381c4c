"""Outbound call batches (cec_07_0770-0775): add, modify, delete, pause, resume and list.

A batch belongs to one campaign; V2 call data names it in ``batchId`` (stored in the record's
``batch_id``, which the V2 statistics filter by). A paused batch's records are not leased
(``services.dispatch``); deleting a batch removes its records that were never called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openisales.domain.call_batch import BatchStatus
from openisales.errors import (
    BatchAlreadyPaused,
    BatchLimitReached,
    BatchNameTaken,
    BatchNotAllowed,
    BatchNotFound,
    BatchNotPaused,
)
from openisales.services import campaigns
from openisales.services.campaigns import CampaignStatus
from openisales.storage import call_batches as batch_rows
from openisales.storage import campaigns as campaign_rows
from openisales.storage.ids import new_object_id
from openisales.storage.models import CallBatch, Campaign

MAX_BATCHES = 100  # the tenant parameter "maximum batches in a task": default 100 (1-1000)


@dataclass(frozen=True)
class BatchPage:
    batches: list[CallBatch]
    total: int


def create(
    session: Session, vdn_id: int, campaign_id: int, name: str, status: int | None, now: datetime
) -> CallBatch:
    """Add a batch, paused unless ``status`` is 1; refuses a taken name or one batch too many."""
    campaign = _locked(session, vdn_id, campaign_id)
    if batch_rows.name_taken(session, campaign.pk, name):
        raise BatchNameTaken(f"name: a batch named {name!r} already exists in the campaign")
    if batch_rows.count_live(session, campaign.pk) >= MAX_BATCHES:
        raise BatchLimitReached(f"a campaign holds at most {MAX_BATCHES} batches")
    batch = CallBatch(
        batch_id=new_object_id(),
        campaign_pk=campaign.pk,
        name=name,
        status=BatchStatus.ACTIVE if status == BatchStatus.ACTIVE else BatchStatus.PAUSED,
        created_at=now,
        updated_at=now,
    )
    try:
        batch_rows.add(session, batch)
    except IntegrityError as exc:  # a concurrent add took the name
        raise BatchNameTaken(f"name: a batch named {name!r} already exists") from exc
    return batch


def rename(
    session: Session, vdn_id: int, campaign_id: int, batch_id: str, name: str, now: datetime
) -> None:
    """Give a live batch a new name (the only field cec_07_0771 modifies)."""
    campaign = _locked(session, vdn_id, campaign_id)
    batch = _batch(session, campaign, batch_id)
    if batch_rows.name_taken(session, campaign.pk, name, except_pk=batch.pk):
        raise BatchNameTaken(f"name: a batch named {name!r} already exists in the campaign")
    batch.name, batch.updated_at = name, now
    session.flush()


def pause(session: Session, vdn_id: int, campaign_id: int, batch_id: str, now: datetime) -> None:
    """Stop leasing the batch's records; refused twice, and in a paused campaign (cec_07_0773)."""
    campaign = _locked(session, vdn_id, campaign_id)
    batch = _batch(session, campaign, batch_id)
    if campaigns.visible_status(campaign, now) == CampaignStatus.PAUSED:
        raise BatchNotAllowed(f"campaign {campaign_id} is paused: its batches cannot be paused")
    if not batch_rows.move(session, batch.pk, BatchStatus.PAUSED, now):
        raise BatchAlreadyPaused(f"batch {batch_id} is already paused")


def resume(session: Session, vdn_id: int, campaign_id: int, batch_id: str, now: datetime) -> None:
    """Lease the batch's records again; refused for a batch that is not paused."""
    campaign = _locked(session, vdn_id, campaign_id)
    batch = _batch(session, campaign, batch_id)
    if batch.status != BatchStatus.PAUSED:
        raise BatchNotPaused(f"batch {batch_id} is not paused")
    batch_rows.move(session, batch.pk, BatchStatus.ACTIVE, now)


def delete(session: Session, vdn_id: int, campaign_id: int, batch_id: str, now: datetime) -> int:
    """Delete a batch and its records never called; how many records went."""
    campaign = _locked(session, vdn_id, campaign_id)
    batch = _batch(session, campaign, batch_id)
    batch_rows.move(session, batch.pk, BatchStatus.DELETED, now)
    return batch_rows.delete_uncalled(session, campaign.pk, batch.batch_id, now)


def page(
    session: Session,
    vdn_id: int,
    campaign_id: int,
    *,
    status: int | None,
    name: str | None,
    offset: int,
    limit: int,
) -> BatchPage:
    """A page of the campaign's live batches (by status, by name fragment), oldest first."""
    campaign = campaigns.get(session, vdn_id, campaign_id)
    rows, total = batch_rows.page(
        session, campaign.pk, status=status, name=name, offset=offset, limit=limit
    )
    return BatchPage(rows, total)


def to_dict(batch: CallBatch) -> dict[str, Any]:
    """A batch as the list answers it (cec_07_0775 Table 5)."""
    return {"id": batch.batch_id, "name": batch.name, "status": batch.status}


def _locked(session: Session, vdn_id: int, campaign_id: int) -> Campaign:
    """The tenant's campaign, its row held: batch changes of one campaign run one at a time."""
    campaign = campaigns.get(session, vdn_id, campaign_id)
    campaign_rows.lock(session, campaign.pk)
    return campaign


def _batch(session: Session, campaign: Campaign, batch_id: str) -> CallBatch:
    batch = batch_rows.get(session, campaign.pk, batch_id)
    if batch is None:
        raise BatchNotFound(batch_id, where=f" in campaign {campaign.campaign_id}")
    return batch
