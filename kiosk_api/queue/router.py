from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, status
from fastapi.responses import JSONResponse

from kiosk_api import idempotency
from kiosk_api.audit.service import record_event
from kiosk_api.deps import CallerDep, DeskStaff, SessionDep, SiteDep
from kiosk_api.errors import responses
from kiosk_api.intake.router import ProofDep
from kiosk_api.models.enums import ActorType, TicketStatus
from kiosk_api.queue import service
from kiosk_api.queue.desk_view import queue_entry
from kiosk_api.queue.schemas import CallNext, CallTicket, CheckinCreate, DisplayCall, Handover, QueueEntry, TicketPublic

public_router = APIRouter(tags=["check-in"])
staff_router = APIRouter(prefix="/staff", tags=["desk"])

TicketCode = Annotated[str, Path(min_length=3, max_length=32)]
TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@public_router.post("/checkins", response_model=TicketPublic, status_code=status.HTTP_201_CREATED, responses=responses(401, 403, 404, 409, 422, 429))
def check_in(
    payload: CheckinCreate,
    proof: ProofDep,
    session: SessionDep,
    site: SiteDep,
    caller: CallerDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> TicketPublic | JSONResponse:
    """Arrival at the lobby: returns a queue ticket. A kiosk retrying with the same Idempotency-Key gets the same ticket."""
    replay = idempotency.begin(session=session, scope=idempotency.scope_for("checkin", caller.key), key=idempotency_key, payload=payload.model_dump(mode="json"))
    if replay is not None:
        return replay
    ticket = service.check_in(session=session, site=site, payload=payload, proof=proof, actor=caller.actor_type)
    idempotency.complete(session=session, scope=idempotency.scope_for("checkin", caller.key), key=idempotency_key, status_code=201, body=ticket.model_dump(mode="json"))
    return ticket


@public_router.get("/tickets/{ticket_code}", response_model=TicketPublic, responses=responses(401, 404, 429))
def ticket_status(ticket_code: TicketCode, session: SessionDep, caller: CallerDep) -> TicketPublic:
    """Live position, estimated wait and, once called, the desk (for the ticket's QR code page)."""
    return service.ticket_public(session, service.find_ticket(session=session, ticket_code=ticket_code))


@public_router.get("/display/calls", response_model=list[DisplayCall], responses=responses(401, 404, 429))
def display_calls(session: SessionDep, site: SiteDep, caller: CallerDep) -> list[DisplayCall]:
    """The lobby call display: the latest called numbers and their desks, without names."""
    return [
        DisplayCall(display_number=service.display_number(t.number), desk=t.desk, language=t.language, called_at=t.called_at)
        for t in service.recent_calls(session=session, site=site)
    ]


@staff_router.get("/queue", response_model=list[QueueEntry], responses=responses(401, 403))
def live_queue(
    session: SessionDep,
    site: SiteDep,
    staff: DeskStaff,
    include_finished: Annotated[bool, Query()] = False,
) -> list[QueueEntry]:
    """Today's arrivals with the captured data in German; the read is audited."""
    tickets = service.todays_tickets(session=session, site=site, include_finished=include_finished)
    entries = [queue_entry(session, ticket) for ticket in tickets]
    record_event(
        session=session, actor_type=ActorType.staff, actor_id=staff.id, action="queue.viewed", subject_type="queue",
        subject_id=None, site_id=site.id, details={"intake_ids": [t.intake_id for t in tickets if t.intake_id]},
    )
    return entries


@staff_router.post("/queue/call-next", response_model=QueueEntry, responses=responses(401, 403, 404, 422))
def call_next(payload: CallNext, session: SessionDep, site: SiteDep, staff: DeskStaff) -> QueueEntry:
    ticket = service.call_next(session=session, site=site, desk=payload.desk, service_code=payload.service_code, staff_id=staff.id)
    return queue_entry(session, ticket)


@staff_router.post("/tickets/{ticket_id}/call", response_model=QueueEntry, responses=responses(401, 403, 404, 409, 422))
def call_ticket(ticket_id: TicketId, payload: CallTicket, session: SessionDep, site: SiteDep, staff: DeskStaff) -> QueueEntry:
    ticket = service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    return queue_entry(session, service.call(session=session, ticket=ticket, desk=payload.desk, staff_id=staff.id))


@staff_router.post("/tickets/{ticket_id}/handover", response_model=QueueEntry, responses=responses(401, 403, 404, 409, 422))
def hand_over(ticket_id: TicketId, payload: Handover, session: SessionDep, site: SiteDep, staff: DeskStaff) -> QueueEntry:
    """Warm hand-over to another team."""
    ticket = service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    ticket = service.hand_over(session=session, site=site, ticket=ticket, service_code=payload.service_code, desk=payload.desk, staff_id=staff.id)
    return queue_entry(session, ticket)


@staff_router.post("/tickets/{ticket_id}/no-show", response_model=QueueEntry, responses=responses(401, 403, 404, 409))
def no_show(ticket_id: TicketId, session: SessionDep, site: SiteDep, staff: DeskStaff) -> QueueEntry:
    ticket = service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    return queue_entry(session, service.finish(session=session, ticket=ticket, status=TicketStatus.no_show, staff_id=staff.id))


@staff_router.post("/tickets/{ticket_id}/done", response_model=QueueEntry, responses=responses(401, 403, 404, 409))
def done(ticket_id: TicketId, session: SessionDep, site: SiteDep, staff: DeskStaff) -> QueueEntry:
    ticket = service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    return queue_entry(session, service.finish(session=session, ticket=ticket, status=TicketStatus.done, staff_id=staff.id))
