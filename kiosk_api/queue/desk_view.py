"""The desk's German view of tickets and records; free text machine-translated with the original kept."""
from __future__ import annotations

import math

from babel import Locale
from sqlalchemy.orm import Session

from kiosk_api.i18n import language_name, translate
from kiosk_api.models import IntakeRecord, QueueTicket, utcnow
from kiosk_api.queue.schemas import IntakeSummary, QueueEntry
from kiosk_api.queue.service import display_number
from kiosk_api.translation.service import to_german

DESK_LOCALE = "de"
_COUNTRIES_DE = Locale("de").territories


def intake_summary(record: IntakeRecord) -> IntakeSummary:
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
        residence_status_label=translate(f"residence_status.{record.residence_status.value}", DESK_LOCALE) if record.residence_status else None,
        german_level=record.german_level.value if record.german_level else None,
        assisted=record.assisted,
    )


def queue_entry(session: Session, ticket: QueueTicket) -> QueueEntry:
    service = ticket.service
    handed = ticket.handed_to_service
    waited_until = ticket.called_at or utcnow()
    return QueueEntry(
        id=ticket.id,
        number=ticket.number,
        display_number=display_number(ticket.number),
        status=ticket.status,
        status_label=translate(f"ticket_status.{ticket.status.value}", DESK_LOCALE),
        arrived_at=ticket.arrived_at,
        waiting_minutes=max(0, math.floor((waited_until - ticket.arrived_at).total_seconds() / 60)),
        language=ticket.language,
        language_name=language_name(ticket.language, DESK_LOCALE),
        interpreter_needed=ticket.interpreter_needed,
        concern=ticket.concern,
        concern_label=translate(f"concern.{ticket.concern.value}", DESK_LOCALE),
        concern_text=to_german(session=session, text=ticket.concern_text, source_language=ticket.language),
        service_code=service.code,
        service_name=service.name,
        routing_rule=ticket.routing_rule,
        routing_reason=translate(ticket.routing_reason_key, DESK_LOCALE) if ticket.routing_reason_key else None,
        handed_to_service_code=handed.code if handed else None,
        desk=ticket.desk,
        called_at=ticket.called_at,
        appointment_at=ticket.booking.slot.starts_at if ticket.booking else None,
        intake=intake_summary(ticket.intake) if ticket.intake else None,
    )
