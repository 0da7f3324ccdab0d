"""Kiosk and display credentials: a one-time enrolment code from a site admin becomes the device's
token; only hashes of both are stored."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api.audit.service import record_event
from kiosk_api.config import get_settings
from kiosk_api.devices.schemas import (
    DeviceCreate,
    DeviceEnrolmentCode,
    DevicePublic,
    DeviceState,
    DeviceToken,
)
from kiosk_api.errors import Conflict, NotFound, Unauthorized
from kiosk_api.models import Site, utcnow
from kiosk_api.models.enums import ActorType
from kiosk_api.models.staff import Device
from kiosk_api.security import (
    format_code,
    hash_secret,
    new_code,
    new_token,
    normalize_code,
)

ENROLMENT_PREFIX = "KE"
# Bind each keyed hash to its purpose, so an enrolment code's or token's hash matches no PIN's.
ENROLMENT_HASH_SCOPE = "device-enrolment"
TOKEN_HASH_SCOPE = "device-token"


def enrolment_hash(code: str) -> str:
    return hash_secret(ENROLMENT_HASH_SCOPE, normalize_code(code))


def device_token_hash(token: str) -> str:
    return hash_secret(TOKEN_HASH_SCOPE, token)


def device_state(device: Device, *, now: datetime) -> DeviceState:
    if device.revoked_at is not None:
        return "revoked"
    if device.token_hash is not None:
        return "enrolled"
    if device.enrolment_expires_at is None or device.enrolment_expires_at <= now:
        return "expired"
    return "pending"


def device_public(device: Device, *, now: datetime | None = None) -> DevicePublic:
    return DevicePublic(
        id=device.id,
        name=device.name,
        kind=device.kind,
        state=device_state(device, now=now or utcnow()),
        enrolment_expires_at=device.enrolment_expires_at,
        enrolled_at=device.enrolled_at,
        revoked_at=device.revoked_at,
        created_at=device.created_at,
    )


def _audit(
    session: Session, device: Device, *, action: str, actor: ActorType, actor_id: int | None
) -> None:
    record_event(
        session=session,
        actor_type=actor,
        actor_id=actor_id,
        action=action,
        subject_type="device",
        subject_id=device.id,
        site_id=device.site_id,
        details={"kind": device.kind},
    )


def create_device(
    *, session: Session, site: Site, payload: DeviceCreate, actor_id: int | None
) -> DeviceEnrolmentCode:
    """A new device waiting for enrolment; the answer holds its one-time code, never stored."""
    code = new_code(ENROLMENT_PREFIX)
    expires_at = utcnow() + timedelta(hours=get_settings().device_enrolment_hours)
    device = Device(
        site_id=site.id,
        name=payload.name,
        kind=payload.kind,
        enrolment_code_hash=enrolment_hash(code),
        enrolment_expires_at=expires_at,
        created_by=actor_id,
    )
    session.add(device)
    session.flush()
    actor = ActorType.staff if actor_id is not None else ActorType.system  # None: the command line
    _audit(session, device, action="device.created", actor=actor, actor_id=actor_id)
    return DeviceEnrolmentCode(
        device=device_public(device),
        enrolment_code=code,
        enrolment_code_display=format_code(code),
        expires_at=expires_at,
    )


def list_devices(*, session: Session, site: Site) -> list[DevicePublic]:
    now = utcnow()
    devices = session.scalars(select(Device).where(Device.site_id == site.id).order_by(Device.id))
    return [device_public(device, now=now) for device in devices]


def revoke_device(*, session: Session, site: Site, device_id: int, actor_id: int) -> DevicePublic:
    """The token stops working at once; an unused enrolment code too."""
    device = session.scalar(
        select(Device).where(Device.id == device_id, Device.site_id == site.id).with_for_update()
    )
    if device is None:
        raise NotFound("device_not_found")
    if device.revoked_at is not None:
        raise Conflict("device_already_revoked")
    device.revoked_at = utcnow()
    device.enrolment_code_hash = None
    device.enrolment_expires_at = None
    session.flush()
    _audit(session, device, action="device.revoked", actor=ActorType.staff, actor_id=actor_id)
    return device_public(device)


def enrol(*, session: Session, enrolment_code: str) -> DeviceToken:
    """Trades a valid, unused code for the device's token; the code is consumed. The site that
    made the code is the device's site."""
    device = session.scalar(
        select(Device)
        .where(Device.enrolment_code_hash == enrolment_hash(enrolment_code))
        .with_for_update()
    )
    now = utcnow()
    if (
        device is None
        or device_state(device, now=now) != "pending"
        or device.enrolment_expires_at is None
    ):
        raise Unauthorized("enrolment_code_invalid")
    token = new_token()
    device.token_hash = device_token_hash(token)
    device.enrolled_at = now
    device.enrolment_code_hash = None
    device.enrolment_expires_at = None
    session.flush()
    _audit(session, device, action="device.enrolled", actor=ActorType.device, actor_id=device.id)
    site = session.get(Site, device.site_id)
    return DeviceToken(
        device_id=device.id,
        name=device.name,
        kind=device.kind,
        token=token,
        site=site.code if site else "",
        site_name=site.name if site else "",
    )


def device_for_token(*, session: Session, token: str) -> Device:
    """The enrolled, unrevoked device a token belongs to; Unauthorized otherwise."""
    device = session.scalar(select(Device).where(Device.token_hash == device_token_hash(token)))
    if device is None or device.revoked_at is not None or device.enrolled_at is None:
        raise Unauthorized("device_not_recognised")
    return device
