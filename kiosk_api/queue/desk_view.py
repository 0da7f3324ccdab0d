"""The desk's German view of tickets and records, free text machine-translated with the original
kept; and the desk's operations on tickets, each answering with that view."""

from __future__ import annotations

import math
from collections.abc import Collection

from babel import Locale
from sqlalchemy.orm import Session

from kiosk_api.i18n import language_name, translate
from kiosk_api.models import IntakeRecord, QueueTicket, Site, utcnow
from kiosk_api.models.enums import TicketStatus
from kiosk_api.queue import service as queue_service
from kiosk_api.queue.schemas import IntakeSummary, QueueEntry
from kiosk_api.translation.service import to_german

DESK_LOCALE = "de"
_COUNTRIES_DE = Locale("de").territories


class GermanLabels(dict[str, str]):
    """The desk's German labels, each looked up once per view: a queue of 60 tickets repeats the
    same few."""

    def __init__(self) -> None:
        super().__init__()
        self.notices: dict[tuple[str, str, str], str] = {}

    def __missing__(self, key: str) -> str:
        self[key] = translate(key, DESK_LOCALE)
        return self[key]

    def language(self, code: str) -> str:
        key = f"language_name:{code}"
        if key not in self:
            self[key] = language_name(code, DESK_LOCALE)
        return self[key]


def intake_summary(record: IntakeRecord, labels: GermanLabels | None = None) -> IntakeSummary:
    labels = GermanLabels() if labels is None else labels
    return IntakeSummary(
        id=record.id,
        reference_code=record.reference_code,
        given_name=record.given_name,
        family_name=record.family_name,
        given_name_own_spelling=record.given_name_own_spelling,
        family_name_own_spelling=record.family_name_own_spelling,
        birth_date=record.birth_date,
        nationality=record.nationality,
        nationality_name=_COUNTRIES_DE.get(record.nationality) if record.nationality else None,
        residence_status=record.residence_status.value if record.residence_status else None,
        residence_status_label=labels[f"residence_status.{record.residence_status.value}"]
        if record.residence_status
        else None,
        german_level=record.german_level.value if record.german_level else None,
        assisted=record.assisted,
    )


def queue_entry(
    session: Session, ticket: QueueTicket, labels: GermanLabels | None = None
) -> QueueEntry:
    labels = GermanLabels() if labels is None else labels
    service = ticket.service
    handed = ticket.handed_to_service
    waited_until = ticket.called_at or utcnow()
    return QueueEntry(
        id=ticket.id,
        number=ticket.number,
        display_number=queue_service.display_number(ticket.number),
        status=ticket.status,
        status_label=labels[f"ticket_status.{ticket.status.value}"],
        arrived_at=ticket.arrived_at,
        waiting_minutes=max(0, math.floor((waited_until - ticket.arrived_at).total_seconds() / 60)),
        language=ticket.language,
        language_name=labels.language(ticket.language),
        interpreter_needed=ticket.interpreter_needed,
        concern=ticket.concern,
        concern_label=labels[f"concern.{ticket.concern.value}"],
        concern_text=to_german(
            session=session,
            text=ticket.concern_text,
            source_language=ticket.language,
            notices=labels.notices,
        ),
        service_code=service.code,
        service_name=service.name,
        routing_rule=ticket.routing_rule,
        routing_reason=labels[ticket.routing_reason_key] if ticket.routing_reason_key else None,
        handed_to_service_code=handed.code if handed else None,
        desk=ticket.desk,
        called_at=ticket.called_at,
        appointment_at=ticket.booking.slot.starts_at if ticket.booking else None,
        intake=intake_summary(ticket.intake, labels) if ticket.intake else None,
        version=queue_service.ticket_version(
            ticket.id, ticket.status, ticket.desk, ticket.handed_to_service_id, ticket.called_at
        ),
    )


def live_queue(
    *,
    session: Session,
    site: Site,
    staff_id: int,
    include_finished: bool,
    ids: Collection[int] | None = None,
) -> list[QueueEntry]:
    """Today's arrivals (only `ids` when given) with the captured data in German; which records
    the desk saw goes into the audit trail."""
    arrivals = queue_service.todays_tickets(
        session=session, site=site, include_finished=include_finished, ids=ids
    )
    labels = GermanLabels()
    entries = [queue_entry(session, ticket, labels) for ticket in arrivals]
    queue_service.audit_queue_read(session=session, site=site, tickets=arrivals, staff_id=staff_id)
    return entries


def call_next(
    *, session: Session, site: Site, desk: str, service_code: str | None, staff_id: int
) -> QueueEntry:
    ticket = queue_service.call_next(
        session=session, site=site, desk=desk, service_code=service_code, staff_id=staff_id
    )
    return queue_entry(session, ticket)


def call(*, session: Session, site: Site, ticket_id: int, desk: str, staff_id: int) -> QueueEntry:
    ticket = queue_service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    return queue_entry(
        session, queue_service.call(session=session, ticket=ticket, desk=desk, staff_id=staff_id)
    )


def hand_over(
    *,
    session: Session,
    site: Site,
    ticket_id: int,
    service_code: str,
    desk: str | None,
    staff_id: int,
) -> QueueEntry:
    ticket = queue_service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    ticket = queue_service.hand_over(
        session=session,
        site=site,
        ticket=ticket,
        service_code=service_code,
        desk=desk,
        staff_id=staff_id,
    )
    return queue_entry(session, ticket)


def finish(
    *, session: Session, site: Site, ticket_id: int, status: TicketStatus, staff_id: int
) -> QueueEntry:
    ticket = queue_service.staff_ticket(session=session, site=site, ticket_id=ticket_id)
    return queue_entry(
        session,
        queue_service.finish(session=session, ticket=ticket, status=status, staff_id=staff_id),
    )
