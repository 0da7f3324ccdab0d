from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from kiosk_api.deps import AdminSiteDep, AdminStaff, CallerDep, SessionDep
from kiosk_api.devices import service
from kiosk_api.devices.schemas import (
    DeviceCreate,
    DeviceEnrol,
    DeviceEnrolmentCode,
    DevicePublic,
    DeviceToken,
)
from kiosk_api.errors import responses

router = APIRouter(tags=["devices"])
ADMIN_ERRORS = responses(401, 403, 404, 409, 422)
DeviceId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "/admin/devices",
    response_model=DeviceEnrolmentCode,
    status_code=status.HTTP_201_CREATED,
    responses=ADMIN_ERRORS,
)
def create_device(
    payload: DeviceCreate, session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> DeviceEnrolmentCode:
    """A kiosk or display to enrol; the answer holds its one-time enrolment code (shown once)."""
    return service.create_device(session=session, site=site, payload=payload, actor_id=staff.id)


@router.get("/admin/devices", response_model=list[DevicePublic], responses=ADMIN_ERRORS)
def list_devices(session: SessionDep, site: AdminSiteDep, staff: AdminStaff) -> list[DevicePublic]:
    return service.list_devices(session=session, site=site)


@router.post(
    "/admin/devices/{device_id}/revoke", response_model=DevicePublic, responses=ADMIN_ERRORS
)
def revoke_device(
    device_id: DeviceId, session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> DevicePublic:
    """Its token and any unused enrolment code stop working at once."""
    return service.revoke_device(session=session, site=site, device_id=device_id, actor_id=staff.id)


@router.post(
    "/devices/enrol",
    response_model=DeviceToken,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 404, 422, 429),
)
def enrol_device(payload: DeviceEnrol, session: SessionDep, caller: CallerDep) -> DeviceToken:
    """Trades the one-time enrolment code for the device's token (shown once, sent as
    X-Lotse-Device); the code names the site the device then works for."""
    return service.enrol(session=session, enrolment_code=payload.enrolment_code)
