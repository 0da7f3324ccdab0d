from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse

from kiosk_api.appointments import service
from kiosk_api.appointments.schemas import (
    BookingCreate,
    BookingMove,
    BookingPublic,
    ServiceDay,
    ServicePublic,
    SlotPublic,
)
from kiosk_api.deps import CallerDep, ProofDep, ReferenceCode, SessionDep, SiteDep
from kiosk_api.errors import responses
from kiosk_api.idempotency import IdempotencyDep
from kiosk_api.intake.service import open_record
from kiosk_api.models import Service
from kiosk_api.validation import LanguageCode

router = APIRouter(tags=["appointments"])

BookingCode = Annotated[
    str, Path(min_length=3, max_length=32, description="Booking code, e.g. TB-4F7K-2M9Q")
]
ServiceCode = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]


@router.get("/services", response_model=list[ServicePublic], responses=responses(401, 404, 429))
def list_services(session: SessionDep, site: SiteDep, caller: CallerDep) -> list[Service]:
    """The site's teams."""
    return service.active_services(session=session, site=site)


@router.get("/slots", response_model=list[SlotPublic], responses=responses(401, 404, 422, 429))
def list_free_slots(
    session: SessionDep,
    site: SiteDep,
    caller: CallerDep,
    service_code: Annotated[ServiceCode | None, Query(alias="service")] = None,
    language: Annotated[
        LanguageCode | None, Query(description="Only slots with an interpreter for this language")
    ] = None,
    date_from: Annotated[ServiceDay | None, Query()] = None,
    date_to: Annotated[ServiceDay | None, Query()] = None,
) -> list[SlotPublic]:
    """Free slots, earliest first (at most 200)."""
    slots = service.free_slots(
        session=session,
        site=site,
        service_code=service_code,
        language=language,
        date_from=date_from,
        date_to=date_to,
    )
    return [service.slot_public(slot) for slot in slots]


@router.post(
    "/bookings",
    response_model=BookingPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 404, 409, 422, 429),
)
def create_booking(
    payload: BookingCreate,
    proof: ProofDep,
    session: SessionDep,
    site: SiteDep,
    caller: CallerDep,
    idempotency: IdempotencyDep,
) -> BookingPublic | JSONResponse:
    """Books a place; send an Idempotency-Key so a retry never books twice."""
    return idempotency.run(
        operation="booking",
        payload=payload,
        verify=lambda: service.record_for_booking(
            session=session, reference_code=payload.reference_code, proof=proof
        ),
        work=lambda: service.create_booking(
            session=session,
            site=site,
            payload=payload,
            proof=proof,
            actor=caller.actor_type,
            source=caller.booking_source,
        ),
    )


@router.get(
    "/bookings/{booking_code}", response_model=BookingPublic, responses=responses(401, 404, 429)
)
def read_booking(
    booking_code: BookingCode, proof: ProofDep, session: SessionDep, caller: CallerDep
) -> BookingPublic:
    return service.booking_public(
        service.open_booking(session=session, booking_code=booking_code, proof=proof)
    )


@router.post(
    "/bookings/{booking_code}/move",
    response_model=BookingPublic,
    responses=responses(401, 404, 409, 422, 429),
)
def move_booking(
    booking_code: BookingCode,
    payload: BookingMove,
    proof: ProofDep,
    session: SessionDep,
    caller: CallerDep,
) -> BookingPublic:
    """Moves the booking to another slot; the old place is freed only once the new one is taken."""
    booking = service.open_booking(session=session, booking_code=booking_code, proof=proof)
    return service.booking_public(
        service.move(
            session=session,
            site=booking.slot.site,
            booking=booking,
            slot_id=payload.slot_id,
            actor=caller.actor_type,
        )
    )


@router.post(
    "/bookings/{booking_code}/cancel",
    response_model=BookingPublic,
    responses=responses(401, 404, 409, 429),
)
def cancel_booking(
    booking_code: BookingCode,
    proof: ProofDep,
    session: SessionDep,
    caller: CallerDep,
) -> BookingPublic:
    booking = service.open_booking(session=session, booking_code=booking_code, proof=proof)
    return service.booking_public(
        service.cancel(
            session=session, site=booking.slot.site, booking=booking, actor=caller.actor_type
        )
    )


@router.get(
    "/intakes/{reference_code}/bookings",
    response_model=list[BookingPublic],
    responses=responses(401, 404, 429),
)
def my_bookings(
    reference_code: ReferenceCode, proof: ProofDep, session: SessionDep, caller: CallerDep
) -> list[BookingPublic]:
    """Upcoming appointments of the record ("when is my appointment?")."""
    record = open_record(session=session, reference_code=reference_code, proof=proof)
    return [service.booking_public(b) for b in service.bookings_of(session=session, record=record)]
