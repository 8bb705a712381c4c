"""Campaign queries, always scoped to one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from openisales.storage.models import Campaign, CampaignHistory, Tenant


def get(session: Session, vdn_id: int, campaign_id: int) -> Campaign | None:
    """The tenant's campaign with this id, or None."""
    query = select(Campaign).where(Campaign.vdn_id == vdn_id, Campaign.campaign_id == campaign_id)
    return session.scalars(query).one_or_none()


def get_for_update(session: Session, vdn_id: int, campaign_id: int) -> Campaign | None:
    """The tenant's campaign with this id, row-locked until the transaction ends, or None."""
    query = (
        select(Campaign)
        .where(Campaign.vdn_id == vdn_id, Campaign.campaign_id == campaign_id)
        .with_for_update()
    )
    return session.scalars(query).one_or_none()


def name_taken(session: Session, vdn_id: int, name: str, except_pk: int | None = None) -> bool:
    """Whether another campaign of the tenant (not ``except_pk``) already has this name."""
    query = select(Campaign.pk).where(Campaign.vdn_id == vdn_id, Campaign.name == name)
    if except_pk is not None:
        query = query.where(Campaign.pk != except_pk)
    return session.scalars(query).first() is not None


def next_campaign_id(session: Session, vdn_id: int) -> int:
    """Take the tenant's next campaign id (atomic; a deleted campaign's id is never reused)."""
    taken = session.execute(
        update(Tenant)
        .where(Tenant.vdn_id == vdn_id)
        .values(last_campaign_id=Tenant.last_campaign_id + 1)
        .returning(Tenant.last_campaign_id)
    ).scalar_one()
    return int(taken)


def status_condition(status: int, now: datetime) -> ColumnElement[bool]:
    """SQL for the visible status: a stored status, or 4 (completed) once the end time passed."""
    if status == 4:
        return or_(Campaign.status == 4, Campaign.end_time <= now)
    return and_(Campaign.status == status, Campaign.end_time > now)


@dataclass(frozen=True)
class ListFilters:
    """What a campaign list is narrowed by; None is "any"."""

    name: str | None = None  # a part of the name, matched literally
    status: int | None = None  # the visible status
    device_type: int | None = None
    begins_from: datetime | None = None
    ends_by: datetime | None = None


def page(
    session: Session,
    vdn_id: int,
    filters: ListFilters,
    *,
    now: datetime,
    offset: int,
    limit: int,
) -> tuple[list[Campaign], int]:
    """A page of the tenant's campaigns by id, narrowed by ``filters``; with the total."""
    query = select(Campaign).where(Campaign.vdn_id == vdn_id)
    if filters.name:
        escaped = filters.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Campaign.name.like(f"%{escaped}%", escape="\\"))
    if filters.status:
        query = query.where(status_condition(filters.status, now))
    if filters.device_type:
        query = query.where(Campaign.device_type == filters.device_type)
    if filters.begins_from is not None:
        query = query.where(Campaign.begin_time >= filters.begins_from)
    if filters.ends_by is not None:
        query = query.where(Campaign.end_time <= filters.ends_by)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Campaign.campaign_id).offset(offset).limit(limit))
    return list(rows), total


def count_not_completed(
    session: Session, vdn_id: int, device_types: frozenset[int], now: datetime
) -> int:
    """How many of the tenant's campaigns of these device types are not completed."""
    query = select(func.count(Campaign.pk)).where(
        Campaign.vdn_id == vdn_id,
        Campaign.device_type.in_(sorted(device_types)),
        ~status_condition(4, now),
    )
    return int(session.scalar(query) or 0)


def count_started(session: Session, vdn_id: int, device_type: int, now: datetime) -> int:
    """How many of the tenant's campaigns of this device type are started (visible status 2)."""
    query = select(func.count(Campaign.pk)).where(
        Campaign.vdn_id == vdn_id,
        Campaign.device_type == device_type,
        status_condition(2, now),
    )
    return int(session.scalar(query) or 0)


def retry_policies(session: Session, vdn_id: int) -> list[dict[str, object]]:
    """The normalised retry policies of the tenant's campaigns that have one."""
    query = select(Campaign.retry_policy).where(
        Campaign.vdn_id == vdn_id, Campaign.retry_policy.is_not(None)
    )
    return [policy for policy in session.scalars(query) if policy]


def add(session: Session, campaign: Campaign) -> None:
    """Insert the campaign and flush, so its primary key is known."""
    session.add(campaign)
    session.flush()


def remove(session: Session, campaign: Campaign) -> None:
    """Delete the campaign row (its records and tasks go by cascade) and flush."""
    session.delete(campaign)
    session.flush()


def archive(session: Session, campaign: Campaign, status: int, now: datetime) -> None:
    """Keep a copy of the campaign in the history under its own key (before it is removed)."""
    session.add(
        CampaignHistory(
            campaign_pk=campaign.pk,
            vdn_id=campaign.vdn_id,
            campaign_id=campaign.campaign_id,
            name=campaign.name,
            description=campaign.description,
            status=status,
            device_type=campaign.device_type,
            begin_time=campaign.begin_time,
            end_time=campaign.end_time,
            caller_no=campaign.caller_no,
            max_alerting_time=campaign.max_alerting_time,
            params=campaign.params,
            retry_policy=campaign.retry_policy,
            created_at=campaign.created_at,
            archived_at=now,
        )
    )
    session.flush()


def lock(session: Session, campaign_pk: int) -> None:
    """Hold the campaign row until the transaction ends (writers of one campaign queue here).

    On SQLite the transaction's BEGIN IMMEDIATE already serialises all writers.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Campaign.pk).where(Campaign.pk == campaign_pk).with_for_update())
