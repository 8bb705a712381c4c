"""Where the result push stands: the latest deliveries, counts by state, and redelivery.

For the console, ``/metrics`` and ``openisales results redeliver``; the pushing itself is
``services.result_push``. A receiver is only ever shown as its origin (scheme://host:port), as
the pusher logs it: a ``callBackUrl`` may carry a password or a token in its other parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openisales.domain.result_delivery import (
    RESULT_DELIVERY,
    DeliveryKind,
    DeliveryState,
    receiver_url,
)
from openisales.errors import WrongCombination
from openisales.receiver_client import origin
from openisales.services import campaigns
from openisales.storage import result_deliveries as outbox

MAX_RECENT = 500


def recent(
    session: Session, vdn_id: int, campaign_pk: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The tenant's (or one campaign's) latest results, newest first, with their delivery.

    ``receiver`` is the origin of the URL last pushed to (None before a push).
    """
    rows = outbox.recent(session, vdn_id, campaign_pk, max(1, min(limit, MAX_RECENT)))
    return [
        {
            "campaignId": row.campaign_id,
            "sessionId": row.session_id,
            "called": row.called,
            "callId": row.call_id,
            "callStatus": row.call_status,
            "recordedAt": row.recorded_at,
            "state": RESULT_DELIVERY.text(DeliveryState(row.state)),
            "pushes": row.pushes,
            "nextAttemptAt": row.next_attempt_at if row.state == DeliveryState.PENDING else None,
            "receiver": None if row.target_url is None else origin(row.target_url),
            "lastStatus": row.last_status,
            "lastError": _without_url(row.last_error, row.target_url),
            "lastAttemptAt": row.last_attempt_at,
            "deliveredAt": row.delivered_at,
        }
        for row in rows
    ]


def _without_url(error: str | None, url: str | None) -> str | None:
    """The error of a push with its URL, where it names it, cut down to the origin."""
    if error is None or not url:
        return error
    shown = origin(url)
    return error.replace(repr(url), shown).replace(url, shown)


def receiver_origin(campaign_params: dict[str, object], system_setting: str) -> str | None:
    """The origin of where the campaign's results go now (``receiver_url``); None: nowhere."""
    url = receiver_url(campaign_params, system_setting)
    return None if url is None else origin(url)


def counts(
    session: Session, vdn_id: int | None = None, campaign_pk: int | None = None
) -> dict[DeliveryState, int]:
    """How many results are in each delivery state (every state listed, zero included)."""
    found = outbox.counts(session, vdn_id, campaign_pk)
    return {state: found.get(state, 0) for state in DeliveryState}


def counts_of(
    session: Session, *, vdn_id: int | None = None, campaign_id: int | None = None
) -> dict[DeliveryState, int]:
    """``counts`` for a campaign named by its tenant's id (``campaign_id`` needs ``vdn_id``)."""
    return counts(session, vdn_id, _campaign_pk(session, vdn_id, campaign_id))


def redeliver(
    session: Session,
    states: Sequence[DeliveryState],
    now: datetime,
    *,
    vdn_id: int | None = None,
    campaign_id: int | None = None,
    kind: DeliveryKind = DeliveryKind.RESULT,
) -> int:
    """Queue undeliverable / no-receiver results (or import notices) again; how many.

    Each with all its pushes. Every tenant's, one tenant's, or one campaign of a tenant
    (``campaign_id`` needs ``vdn_id``; an unknown campaign is ``CampaignNotFound``).
    """
    campaign_pk = _campaign_pk(session, vdn_id, campaign_id)
    return outbox.redeliver(session, states, now, vdn_id=vdn_id, campaign_pk=campaign_pk, kind=kind)


def _campaign_pk(session: Session, vdn_id: int | None, campaign_id: int | None) -> int | None:
    if campaign_id is None:
        return None
    if vdn_id is None:
        raise WrongCombination("a campaign is named by its tenant: give the vdnId too")
    return campaigns.get(session, vdn_id, campaign_id).pk
