"""Tenants (VDNs) and their AK/SK pairs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from openisales.domain.phone_numbers import known_region
from openisales.domain.result_delivery import DEFAULT_MAX_PUSHES, MAX_MAX_PUSHES, MIN_MAX_PUSHES
from openisales.errors import ConflictError, TenantNotFound, WrongValue
from openisales.storage import tenants as tenant_rows
from openisales.storage.crypto import SecretBox
from openisales.storage.models import Tenant

MIN_VDN_ID, MAX_VDN_ID = 1, 9999


@dataclass(frozen=True)
class Credentials:
    vdn_id: int
    access_key: str
    secret_key: str


def check_vdn_id(vdn_id: int) -> None:
    """Refuse (WrongValue) a VDN id outside 1-9999."""
    if not MIN_VDN_ID <= vdn_id <= MAX_VDN_ID:
        raise WrongValue(
            f"vdnId must be an integer from {MIN_VDN_ID} to {MAX_VDN_ID}, got {vdn_id}"
        )


def check_time_zone(name: str) -> None:
    """Refuse (WrongValue) a name that is not a known IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WrongValue(f"unknown time zone {name!r}") from exc


def check_result_push_max(pushes: int) -> None:
    """Refuse (WrongValue) a number of pushes per result outside 1-6 (the reference's bounds)."""
    if not MIN_MAX_PUSHES <= pushes <= MAX_MAX_PUSHES:
        raise WrongValue(
            f"pushes per result must be an integer from {MIN_MAX_PUSHES} to {MAX_MAX_PUSHES}, "
            f"got {pushes}"
        )


def checked_region(region: str | None) -> str | None:
    """An ISO region libphonenumber knows, upper case; None or "" for none; else WrongValue."""
    if region is None or not region.strip():
        return None
    code = known_region(region)
    if code is None:
        raise WrongValue(
            f"unknown region {region!r}; it must be an ISO 3166 country code such as CN, GB or US"
        )
    return code


def _new_key_pair() -> tuple[str, str]:
    # AKs are uppercase alphanumerics (no '/', which separates the Authorization parts).
    access_key = "AK" + secrets.token_hex(10).upper()
    return access_key, secrets.token_urlsafe(30)


def create(
    session: Session,
    box: SecretBox,
    vdn_id: int,
    time_zone: str,
    now: datetime,
    result_push_max: int = DEFAULT_MAX_PUSHES,
    default_region: str | None = None,
) -> Credentials:
    """A new tenant with a fresh key pair; the secret key is shown only here."""
    check_vdn_id(vdn_id)
    check_time_zone(time_zone)
    check_result_push_max(result_push_max)
    region = checked_region(default_region)
    if tenant_rows.get(session, vdn_id) is not None:
        raise ConflictError(f"tenant {vdn_id} already exists")
    access_key, secret_key = _new_key_pair()
    tenant_rows.add(
        session,
        Tenant(
            vdn_id=vdn_id,
            access_key=access_key,
            secret_key_enc=box.seal(secret_key),
            time_zone=time_zone,
            result_push_max=result_push_max,
            default_region=region,
            created_at=now,
        ),
    )
    return Credentials(vdn_id, access_key, secret_key)


def rotate_key(session: Session, box: SecretBox, vdn_id: int) -> Credentials:
    """Replace the tenant's key pair; the old one stops working at once."""
    tenant = tenant_rows.get(session, vdn_id)
    if tenant is None:
        raise TenantNotFound(vdn_id)
    access_key, secret_key = _new_key_pair()
    tenant.access_key = access_key
    tenant.secret_key_enc = box.seal(secret_key)
    session.flush()
    return Credentials(vdn_id, access_key, secret_key)


def set_result_push_max(session: Session, vdn_id: int, pushes: int) -> None:
    """How many times each of the tenant's results is pushed at most before it is undeliverable.

    Applies to results not yet delivered too, from their next push on.
    """
    check_result_push_max(pushes)
    tenant = tenant_rows.get(session, vdn_id)
    if tenant is None:
        raise TenantNotFound(vdn_id)
    tenant.result_push_max = pushes
    session.flush()


def set_default_region(session: Session, vdn_id: int, region: str | None) -> str | None:
    """The region the tenant's numbers are read in from now on (None or "": numbers unparsed).

    Records already stored keep the form they were stored in; the region as stored is returned.
    """
    code = checked_region(region)
    tenant = tenant_rows.get(session, vdn_id)
    if tenant is None:
        raise TenantNotFound(vdn_id)
    tenant.default_region = code
    session.flush()
    return code


def list_all(session: Session) -> list[Tenant]:
    """Every tenant, by VDN id."""
    return tenant_rows.list_all(session)
