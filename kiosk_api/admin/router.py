from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from kiosk_api.admin import service
from kiosk_api.admin.schemas import (
    OpeningHoursUpdate,
    OpeningWindow,
    ServiceAdmin,
    ServiceCreate,
    ServiceUpdate,
    SiteSettings,
    SiteUpdate,
    SlotAdmin,
    SlotUpdate,
    WeeklyStatistics,
)
from kiosk_api.appointments import service as appointments
from kiosk_api.appointments.schemas import ServiceDay, SlotGenerate
from kiosk_api.deps import AdminSiteDep, AdminStaff, SessionDep
from kiosk_api.errors import responses
from kiosk_api.models import OpeningHours, Service, Site, Slot, StaffUser
from kiosk_api.staff import service as staff_service
from kiosk_api.staff.schemas import StaffCreate, StaffPublic, StaffUpdate

router = APIRouter(prefix="/admin", tags=["admin"])
ADMIN_ERRORS = responses(401, 403, 404, 409, 422)
ServiceCodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _slot_admin(slot: Slot) -> SlotAdmin:
    return SlotAdmin(
        id=slot.id,
        service_code=slot.service.code,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=slot.capacity,
        booked=slot.booked,
        interpreter_language=slot.interpreter_language,
    )


@router.get("/site", response_model=SiteSettings, responses=ADMIN_ERRORS)
def read_site(site: AdminSiteDep, staff: AdminStaff) -> Site:
    return site


@router.patch("/site", response_model=SiteSettings, responses=ADMIN_ERRORS)
def update_site(
    payload: SiteUpdate, session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> Site:
    """Name, number of desks and the retention period for records."""
    return service.update_site(session=session, site=site, payload=payload, actor_id=staff.id)


@router.get("/services", response_model=list[ServiceAdmin], responses=ADMIN_ERRORS)
def list_services(session: SessionDep, site: AdminSiteDep, staff: AdminStaff) -> list[Service]:
    return service.list_services(session=session, site=site)


@router.post(
    "/services",
    response_model=ServiceAdmin,
    status_code=status.HTTP_201_CREATED,
    responses=ADMIN_ERRORS,
)
def create_service(
    payload: ServiceCreate, session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> Service:
    return service.create_service(session=session, site=site, payload=payload, actor_id=staff.id)


@router.patch("/services/{code}", response_model=ServiceAdmin, responses=ADMIN_ERRORS)
def update_service(
    code: ServiceCodePath,
    payload: ServiceUpdate,
    session: SessionDep,
    site: AdminSiteDep,
    staff: AdminStaff,
) -> Service:
    return service.update_service(
        session=session, site=site, code=code, payload=payload, actor_id=staff.id
    )


@router.get("/opening-hours", response_model=list[OpeningWindow], responses=ADMIN_ERRORS)
def read_opening_hours(
    session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> list[OpeningHours]:
    return service.opening_hours(session=session, site=site)


@router.put("/opening-hours", response_model=list[OpeningWindow], responses=ADMIN_ERRORS)
def replace_opening_hours(
    payload: OpeningHoursUpdate, session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> list[OpeningHours]:
    """Replaces the whole week."""
    return service.replace_opening_hours(
        session=session, site=site, windows=payload.windows, actor_id=staff.id
    )


@router.get("/slots", response_model=list[SlotAdmin], responses=ADMIN_ERRORS)
def list_slots(
    session: SessionDep,
    site: AdminSiteDep,
    staff: AdminStaff,
    day: Annotated[ServiceDay, Query()],
) -> list[SlotAdmin]:
    return [_slot_admin(slot) for slot in service.slots_on(session=session, site=site, day=day)]


@router.post(
    "/slots/generate",
    response_model=list[SlotAdmin],
    status_code=status.HTTP_201_CREATED,
    responses=ADMIN_ERRORS,
)
def generate_slots(
    payload: SlotGenerate, session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> list[SlotAdmin]:
    """Creates slots over the opening hours; slots that exist already are kept."""
    return [
        _slot_admin(slot)
        for slot in appointments.generate_slots(session=session, site=site, payload=payload)
    ]


@router.patch("/slots/{slot_id}", response_model=SlotAdmin, responses=ADMIN_ERRORS)
def update_slot(
    slot_id: IdPath, payload: SlotUpdate, session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> SlotAdmin:
    return _slot_admin(
        service.update_slot(
            session=session, site=site, slot_id=slot_id, payload=payload, actor_id=staff.id
        )
    )


@router.get("/staff", response_model=list[StaffPublic], responses=ADMIN_ERRORS)
def list_staff(session: SessionDep, site: AdminSiteDep, staff: AdminStaff) -> list[StaffUser]:
    return staff_service.list_staff(session=session, site=site)


@router.post(
    "/staff",
    response_model=StaffPublic,
    status_code=status.HTTP_201_CREATED,
    responses=ADMIN_ERRORS,
)
def create_staff(
    payload: StaffCreate, session: SessionDep, site: AdminSiteDep, staff: AdminStaff
) -> StaffUser:
    return staff_service.create_staff(
        session=session, site=site, payload=payload, actor_id=staff.id
    )


@router.patch("/staff/{staff_id}", response_model=StaffPublic, responses=ADMIN_ERRORS)
def update_staff(
    staff_id: IdPath,
    payload: StaffUpdate,
    session: SessionDep,
    site: AdminSiteDep,
    staff: AdminStaff,
) -> StaffUser:
    return staff_service.update_staff(
        session=session, site=site, staff_id=staff_id, payload=payload, actor_id=staff.id
    )


@router.get("/stats/weekly", response_model=WeeklyStatistics, responses=ADMIN_ERRORS)
def weekly_statistics(
    session: SessionDep,
    site: AdminSiteDep,
    staff: AdminStaff,
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
) -> WeeklyStatistics:
    """Arrivals, bookings and hand-overs per ISO week, by language, concern and team (anonymous)."""
    return service.weekly_statistics(session=session, site=site, weeks=weeks)
