"""Arrivals in the lobby: check-in, queue tickets, and what the desk does with them."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from kiosk_api import clock
from kiosk_api.appointments.service import day_bounds, open_booking
from kiosk_api.audit.service import count_statistic, record_event, record_read
from kiosk_api.consent.service import record_consent
from kiosk_api.errors import Conflict, Forbidden, InvalidInput, NotFound
from kiosk_api.intake.service import Proof, find_record, open_record
from kiosk_api.models import Booking, IntakeRecord, QueueTicket, Service, Site, Slot, utcnow
from kiosk_api.models.enums import (
    OPEN_TICKET_STATUSES,
    ActorType,
    BookingStatus,
    Concern,
    IntakeStatus,
    TicketStatus,
)
from kiosk_api.notifications.service import enqueue
from kiosk_api.queue.schemas import CheckinCreate, TicketPublic
from kiosk_api.routing.service import decide, load_rules
from kiosk_api.security import new_code, normalize_code

TICKET_PREFIX = "TK"
# A chat client is told once that their turn is near when fewer than this many wait before them.
NEAR_POSITION = 3


def site_today(site: Site, now: datetime | None = None) -> date:
    """The site's local date at `now` (an aware datetime; default: the clock)."""
    zone = ZoneInfo(site.timezone)
    return (now or clock.utcnow()).astimezone(zone).date()


def display_number(number: int) -> str:
    return f"{number:03d}"


def _service(session: Session, site: Site, code: str) -> Service:
    service = session.scalar(
        select(Service).where(Service.site_id == site.id, Service.code == code)
    )
    if service is None:
        raise NotFound("service_not_found", details={"service": code})
    return service


def effective_service_id(ticket: QueueTicket) -> int:
    return ticket.handed_to_service_id or ticket.service_id


def position_of(session: Session, ticket: QueueTicket) -> int | None:
    if ticket.status is not TicketStatus.waiting:
        return None
    service_id = effective_service_id(ticket)
    return (
        session.scalar(
            select(func.count(QueueTicket.id)).where(
                QueueTicket.site_id == ticket.site_id,
                QueueTicket.service_day == ticket.service_day,
                QueueTicket.status == TicketStatus.waiting,
                func.coalesce(QueueTicket.handed_to_service_id, QueueTicket.service_id)
                == service_id,
                QueueTicket.number < ticket.number,
            )
        )
        or 0
    )


def remind_turns(*, session: Session, site_id: int, called: QueueTicket | None = None) -> None:
    """After a queue change: tell chat clients whose turn is near (once) and the one just called."""
    if called is not None and called.conversation_id and called.status is TicketStatus.called:
        enqueue(
            session=session,
            conversation_id=called.conversation_id,
            output_channel=called.output_channel or "latest",
            intent="EXTERNAL_ticket_called",
            entities={"ticket_number": f"{called.number:03d}", "desk": called.desk or ""},
        )
    waiting = session.scalars(
        select(QueueTicket).where(
            QueueTicket.site_id == site_id,
            QueueTicket.status == TicketStatus.waiting,
            QueueTicket.conversation_id.is_not(None),
            QueueTicket.near_reminded.is_(False),
        )
    )
    for ticket in waiting:
        position = position_of(session, ticket)
        if position is not None and position < NEAR_POSITION:
            ticket.near_reminded = True
            enqueue(
                session=session,
                conversation_id=ticket.conversation_id or "",
                output_channel=ticket.output_channel or "latest",
                intent="EXTERNAL_ticket_near",
                entities={"ticket_number": f"{ticket.number:03d}", "position": position + 1},
            )
    session.flush()


def ticket_public(session: Session, ticket: QueueTicket, receipt=None) -> TicketPublic:  # type: ignore[no-untyped-def]
    service = ticket.handed_to_service or ticket.service
    position = position_of(session, ticket)
    return TicketPublic(
        ticket_code=ticket.ticket_code,
        number=ticket.number,
        display_number=display_number(ticket.number),
        service_day=ticket.service_day,
        status=ticket.status,
        position=position,
        estimated_wait_minutes=None
        if position is None
        else math.ceil(position * service.minutes_per_client),
        service_code=service.code,
        service_name=service.name,
        desk=ticket.desk,
        language=ticket.language,
        arrived_at=ticket.arrived_at,
        called_at=ticket.called_at,
        receipt=receipt,
    )


def _next_number(session: Session, site: Site, day: date) -> int:
    # Serialises numbering per site: FOR UPDATE on PostgreSQL; SQLite already holds the write lock.
    session.execute(select(Site.id).where(Site.id == site.id).with_for_update())
    current = session.scalar(
        select(func.max(QueueTicket.number)).where(
            QueueTicket.site_id == site.id, QueueTicket.service_day == day
        )
    )
    return (current or 0) + 1


def _open_ticket_today(session: Session, record: IntakeRecord, day: date) -> QueueTicket | None:
    return session.scalar(
        select(QueueTicket).where(
            QueueTicket.intake_id == record.id,
            QueueTicket.service_day == day,
            QueueTicket.status.in_(OPEN_TICKET_STATUSES),
        )
    )


def _booking_today(session: Session, site: Site, record: IntakeRecord, day: date) -> Booking | None:
    start, end = day_bounds(site, day)
    return session.scalar(
        select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(
            Booking.intake_id == record.id,
            Booking.status == BookingStatus.booked,
            Slot.starts_at >= start,
            Slot.starts_at < end,
        )
        .order_by(Slot.starts_at)
    )


def _issue(
    session: Session,
    site: Site,
    *,
    service: Service,
    language: str,
    concern: Concern,
    interpreter_needed: bool,
    record: IntakeRecord | None,
    booking: Booking | None,
    rule: str | None,
    reason_key: str | None,
    actor: ActorType,
) -> QueueTicket:
    day = site_today(site)
    ticket = QueueTicket(
        site_id=site.id,
        service_day=day,
        number=_next_number(session, site, day),
        ticket_code=new_code(TICKET_PREFIX, 12),
        service_id=service.id,
        intake_id=record.id if record else None,
        booking_id=booking.id if booking else None,
        language=language,
        interpreter_needed=interpreter_needed,
        concern=concern,
        concern_text=record.concern_text if record else None,
        routing_rule=rule,
        routing_reason_key=reason_key,
        arrived_at=utcnow(),
    )
    session.add(ticket)
    session.flush()
    session.refresh(ticket)
    record_event(
        session=session,
        actor_type=actor,
        action="ticket.issued",
        subject_type="ticket",
        subject_id=ticket.id,
        site_id=site.id,
        details={"number": ticket.number, "service": service.code},
    )
    count_statistic(
        session=session,
        site_id=site.id,
        kind="arrival",
        day=day,
        language=language,
        concern=concern.value,
        service_code=service.code,
    )
    return ticket


def _routed_service(session: Session, site: Site, record: IntakeRecord) -> tuple[Service, str, str]:
    decision = decide(load_rules(site), record, site_today(site))
    return _service(session, site, decision.service), decision.rule.id, decision.rule.reason


def check_in(
    *, session: Session, site: Site, payload: CheckinCreate, proof: Proof, actor: ActorType
) -> TicketPublic:
    if payload.conversation_id is not None and actor is not ActorType.bot:
        raise Forbidden("bot_only")
    ticket = _check_in(session=session, site=site, payload=payload, proof=proof, actor=actor)
    if payload.conversation_id is not None:
        issued = find_ticket(session=session, ticket_code=ticket.ticket_code)
        issued.conversation_id = payload.conversation_id
        issued.output_channel = payload.output_channel or "latest"
        remind_turns(session=session, site_id=site.id)
    return ticket


def verify_checkin_proof(*, session: Session, payload: CheckinCreate, proof: Proof) -> None:
    """The proof a check-in with a code needs, checked again before a retry gets its ticket."""
    if payload.reference_code is not None:
        open_record(
            session=session,
            reference_code=payload.reference_code,
            proof=proof,
            allow_birth_date=True,
        )
    elif payload.booking_code is not None:
        open_booking(
            session=session, booking_code=payload.booking_code, proof=proof, allow_birth_date=True
        )


def ensure_here(site: Site, owner: Site) -> None:
    """A record or booking of another office is not checked in here: the client is told where."""
    if owner.id != site.id:
        raise Conflict(
            "record_of_other_site",
            details={"site": owner.code, "site_name": owner.name, "city": owner.city or ""},
        )


def _check_in(
    *, session: Session, site: Site, payload: CheckinCreate, proof: Proof, actor: ActorType
) -> TicketPublic:
    day = site_today(site)
    if payload.reference_code is not None:
        record = open_record(
            session=session,
            reference_code=payload.reference_code,
            proof=proof,
            allow_birth_date=True,
        )
        ensure_here(site, record.site)
        existing = _open_ticket_today(session, record, day)
        if existing is not None:
            return ticket_public(session, existing)
        booking = _booking_today(session, site, record, day)
        if booking is not None:
            service, rule, reason = (
                booking.slot.service,
                "booked_appointment",
                "routing.reason.booked_appointment",
            )
        else:
            service, rule, reason = _routed_service(session, site, record)
        record.status = IntakeStatus.checked_in
        record.checked_in_at = utcnow()
        ticket = _issue(
            session,
            site,
            service=service,
            language=record.preferred_language,
            concern=payload.concern or record.concern or Concern.other,
            interpreter_needed=bool(record.interpreter_needed),
            record=record,
            booking=booking,
            rule=rule,
            reason_key=reason,
            actor=actor,
        )
        return ticket_public(session, ticket)
    if payload.booking_code is not None:
        booking = open_booking(
            session=session, booking_code=payload.booking_code, proof=proof, allow_birth_date=True
        )
        if booking.intake is not None:
            raise InvalidInput("use_reference_code")
        ensure_here(site, booking.slot.site)
        if booking.status is not BookingStatus.booked:
            raise Conflict("booking_not_active")
        start, end = day_bounds(site, day)
        if not (start <= booking.slot.starts_at < end):
            raise Conflict(
                "booking_not_today", details={"starts_at": booking.slot.starts_at.isoformat()}
            )
        existing = session.scalar(
            select(QueueTicket).where(
                QueueTicket.booking_id == booking.id, QueueTicket.status.in_(OPEN_TICKET_STATUSES)
            )
        )
        if existing is not None:
            return ticket_public(session, existing)
        ticket = _issue(
            session,
            site,
            service=booking.slot.service,
            language=booking.language,
            concern=payload.concern or Concern.appointment,
            interpreter_needed=booking.slot.interpreter_language is not None,
            record=None,
            booking=booking,
            rule="booked_appointment",
            reason_key="routing.reason.booked_appointment",
            actor=actor,
        )
        return ticket_public(session, ticket)
    if payload.quick_intake is not None:
        quick = payload.quick_intake
        receipt = record_consent(session=session, site=site, payload=quick.consent, actor=actor)
        record = find_record(session=session, reference_code=receipt.reference_code)
        record.given_name = quick.given_name
        record.family_name = quick.family_name
        record.concern = quick.concern
        record.concern_text = quick.concern_text
        record.interpreter_needed = quick.interpreter_needed
        record.status = IntakeStatus.checked_in
        record.checked_in_at = utcnow()
        service, rule, reason = _routed_service(session, site, record)
        ticket = _issue(
            session,
            site,
            service=service,
            language=record.preferred_language,
            concern=quick.concern,
            interpreter_needed=bool(quick.interpreter_needed),
            record=record,
            booking=None,
            rule=rule,
            reason_key=reason,
            actor=actor,
        )
        return ticket_public(session, ticket, receipt=receipt)
    assert payload.walk_in is not None
    walk_in = payload.walk_in
    service, rule, reason = _routed_service(session, site, IntakeRecord())
    ticket = _issue(
        session,
        site,
        service=service,
        language=walk_in.language,
        concern=walk_in.concern,
        interpreter_needed=walk_in.interpreter_needed,
        record=None,
        booking=None,
        rule=rule,
        reason_key=reason,
        actor=actor,
    )
    return ticket_public(session, ticket)


def find_ticket(*, session: Session, ticket_code: str) -> QueueTicket:
    ticket = session.scalar(
        select(QueueTicket).where(QueueTicket.ticket_code == normalize_code(ticket_code))
    )
    if ticket is None:
        raise NotFound("ticket_not_found")
    return ticket


def ticket_version(
    ticket_id: int,
    status: TicketStatus,
    desk: str | None,
    handed_to_service_id: int | None,
    called_at: datetime | None,
) -> str:
    """Changes whenever the ticket is called, handed over or finished (what the desk's live
    stream follows)."""
    called = called_at.astimezone(UTC).isoformat() if called_at else ""
    text = f"{ticket_id}|{status.value}|{desk or ''}|{handed_to_service_id or ''}|{called}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# What the desk view shows of a ticket, in one query: the ticket, its services, its record's
# summary and its appointment, only the columns the view needs (no ORM objects to build).
_handed_service = aliased(Service)
DESK_COLUMNS = (
    QueueTicket.id,
    QueueTicket.number,
    QueueTicket.status,
    QueueTicket.arrived_at,
    QueueTicket.called_at,
    QueueTicket.language,
    QueueTicket.interpreter_needed,
    QueueTicket.concern,
    QueueTicket.concern_text,
    QueueTicket.routing_rule,
    QueueTicket.routing_reason_key,
    QueueTicket.desk,
    QueueTicket.handed_to_service_id,
    Service.code.label("service_code"),
    Service.name.label("service_name"),
    _handed_service.code.label("handed_to_service_code"),
    Slot.starts_at.label("appointment_at"),
    IntakeRecord.id.label("intake_id"),
    IntakeRecord.reference_code,
    IntakeRecord.given_name,
    IntakeRecord.family_name,
    IntakeRecord.given_name_own_spelling,
    IntakeRecord.family_name_own_spelling,
    IntakeRecord.birth_date,
    IntakeRecord.nationality,
    IntakeRecord.residence_status,
    IntakeRecord.german_level,
    IntakeRecord.assisted,
)


def _desk_select() -> Select[Any]:
    return (
        select(*DESK_COLUMNS)
        .join(Service, Service.id == QueueTicket.service_id)
        .outerjoin(_handed_service, _handed_service.id == QueueTicket.handed_to_service_id)
        .outerjoin(Booking, Booking.id == QueueTicket.booking_id)
        .outerjoin(Slot, Slot.id == Booking.slot_id)
        .outerjoin(IntakeRecord, IntakeRecord.id == QueueTicket.intake_id)
    )


@cache
def _todays_desk_select(*, include_finished: bool, by_ids: bool) -> Select[Any]:
    """Built once per variant: building the statement costs as much as running it."""
    query = _desk_select().where(
        QueueTicket.site_id == bindparam("site_id"), QueueTicket.service_day == bindparam("day")
    )
    if not include_finished:
        query = query.where(QueueTicket.status.in_(OPEN_TICKET_STATUSES))
    if by_ids:
        query = query.where(QueueTicket.id.in_(bindparam("ids", expanding=True)))
    return query.order_by(QueueTicket.number)


def todays_desk_rows(
    *, session: Session, site: Site, include_finished: bool, ids: Collection[int] | None = None
) -> list[Row[Any]]:
    """Today's tickets of the site as the desk sees them (DESK_COLUMNS), oldest number first;
    only those of `ids` when given."""
    query = _todays_desk_select(include_finished=include_finished, by_ids=ids is not None)
    params: dict[str, Any] = {"site_id": site.id, "day": site_today(site)}
    if ids is not None:
        params["ids"] = list(ids)
    return list(session.execute(query, params))


def desk_row(*, session: Session, ticket: QueueTicket) -> Row[Any]:
    """One ticket as the desk sees it (DESK_COLUMNS), with the changes made so far."""
    session.flush()
    return session.execute(_desk_select().where(QueueTicket.id == ticket.id)).one()


def audit_queue_read(*, session: Session, site: Site, intake_ids: list[int], staff_id: int) -> None:
    """The desk read these tickets' records: which ones goes into the audit trail."""
    record_read(
        session=session,
        actor_id=staff_id,
        action="queue.viewed",
        subject_type="queue",
        site_id=site.id,
        details={"intake_ids": intake_ids},
    )


def staff_ticket(*, session: Session, site: Site, ticket_id: int) -> QueueTicket:
    ticket = session.get(QueueTicket, ticket_id)
    if ticket is None or ticket.site_id != site.id:
        raise NotFound("ticket_not_found")
    return ticket


def call(*, session: Session, ticket: QueueTicket, desk: str, staff_id: int) -> QueueTicket:
    if ticket.status not in (TicketStatus.waiting, TicketStatus.called, TicketStatus.handed_over):
        raise Conflict("ticket_closed")
    ticket.status = TicketStatus.called
    ticket.desk = desk
    ticket.called_at = utcnow()
    session.flush()
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff_id,
        action="ticket.called",
        subject_type="ticket",
        subject_id=ticket.id,
        site_id=ticket.site_id,
        details={"desk": desk},
    )
    remind_turns(session=session, site_id=ticket.site_id, called=ticket)
    return ticket


def call_next(
    *, session: Session, site: Site, desk: str, service_code: str | None, staff_id: int
) -> QueueTicket:
    query = select(QueueTicket).where(
        QueueTicket.site_id == site.id,
        QueueTicket.service_day == site_today(site),
        QueueTicket.status == TicketStatus.waiting,
    )
    if service_code is not None:
        service = _service(session, site, service_code)
        query = query.where(
            func.coalesce(QueueTicket.handed_to_service_id, QueueTicket.service_id) == service.id
        )
    ticket = session.scalar(
        query.order_by(QueueTicket.number).limit(1).with_for_update(skip_locked=True)
    )
    if ticket is None:
        raise NotFound("queue_empty")
    return call(session=session, ticket=ticket, desk=desk, staff_id=staff_id)


def hand_over(
    *,
    session: Session,
    site: Site,
    ticket: QueueTicket,
    service_code: str,
    desk: str | None,
    staff_id: int,
) -> QueueTicket:
    """Warm hand-over: the client waits for the next team, keeping their place in the day's
    order."""
    if ticket.status in (TicketStatus.done, TicketStatus.no_show):
        raise Conflict("ticket_closed")
    service = _service(session, site, service_code)
    ticket.handed_to_service_id = service.id
    ticket.status = TicketStatus.handed_over if desk else TicketStatus.waiting
    ticket.desk = desk
    if ticket.intake is not None:
        ticket.intake.status = IntakeStatus.handed_over
        ticket.intake.handed_over_at = utcnow()
    session.flush()
    session.refresh(ticket)
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff_id,
        action="ticket.handed_over",
        subject_type="ticket",
        subject_id=ticket.id,
        site_id=site.id,
        details={"service": service.code},
    )
    count_statistic(
        session=session,
        site_id=site.id,
        kind="handover",
        day=ticket.service_day,
        language=ticket.language,
        concern=ticket.concern.value,
        service_code=service.code,
    )
    remind_turns(session=session, site_id=site.id)
    return ticket


def finish(
    *, session: Session, ticket: QueueTicket, status: TicketStatus, staff_id: int
) -> QueueTicket:
    if ticket.status in (TicketStatus.done, TicketStatus.no_show):
        raise Conflict("ticket_closed")
    ticket.status = status
    ticket.finished_at = utcnow()
    if ticket.booking is not None and status is TicketStatus.done:
        ticket.booking.status = BookingStatus.attended
    session.flush()
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff_id,
        action=f"ticket.{status.value}",
        subject_type="ticket",
        subject_id=ticket.id,
        site_id=ticket.site_id,
    )
    remind_turns(session=session, site_id=ticket.site_id)
    return ticket


def recent_calls(*, session: Session, site: Site, limit: int = 8) -> list[QueueTicket]:
    return list(
        session.scalars(
            select(QueueTicket)
            .where(
                QueueTicket.site_id == site.id,
                QueueTicket.service_day == site_today(site),
                QueueTicket.called_at.is_not(None),
                QueueTicket.status.in_([TicketStatus.called, TicketStatus.handed_over]),
            )
            .order_by(QueueTicket.called_at.desc())
            .limit(limit)
        )
    )
