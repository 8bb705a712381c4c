"""Outbound campaigns (V2): V1's create and modify, with the retry policy in the same call.

The V2 body is stored like V1's (documented fields it does not interpret are kept as given and
returned by the details), and its ``retryPolicy`` is checked and kept in normalised form for the
dialer interface, which retries failed numbers by it (``domain.retry_policy``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openisales.domain import retry_policy
from openisales.errors import ParameterError, ResultCode
from openisales.services import campaigns
from openisales.services.campaigns import CampaignInput
from openisales.storage.models import Campaign

CODES = {
    "empty": ResultCode.EMPTY,
    "type": ResultCode.WRONG_TYPE,
    "value": ResultCode.WRONG_VALUE,
}


def checked_policy(body: dict[str, Any] | None) -> dict[str, Any] | None:
    """The normalised retry policy of a ``retryPolicy`` object; ParameterError when it is bad."""
    if body is None:
        return None
    try:
        return retry_policy.parse(body)
    except retry_policy.PolicyError as exc:
        raise ParameterError.of(CODES[exc.kind], str(exc)) from exc


def create(
    session: Session,
    vdn_id: int,
    data: CampaignInput,
    policy_body: dict[str, Any] | None,
    now: datetime,
    limits: campaigns.CampaignLimits,
) -> Campaign:
    """Create a campaign with its retry policy (checked before anything is written)."""
    policy = checked_policy(policy_body)
    campaign = campaigns.create(session, vdn_id, data, now, limits)
    campaign.retry_policy = policy
    session.flush()
    return campaign


def modify(
    session: Session,
    vdn_id: int,
    campaign_id: int,
    data: CampaignInput,
    policy_body: dict[str, Any] | None,
    now: datetime,
) -> Campaign:
    """Modify a campaign; a ``retryPolicy`` given replaces the stored one, none keeps it."""
    policy = checked_policy(policy_body)
    campaign = campaigns.modify(session, vdn_id, campaign_id, data, now)
    if policy_body is not None:
        campaign.retry_policy = policy
        session.flush()
    return campaign
