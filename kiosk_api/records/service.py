"""Staff reads of intake records: every read, export and print is audited."""

from __future__ import annotations

from datetime import date

from babel import Locale
from sqlalchemy.orm import Session

from kiosk_api.appointments.schemas import BookingPublic
from kiosk_api.appointments.service import book, booking_public
from kiosk_api.audit.service import record_event
from kiosk_api.errors import NotFound
from kiosk_api.i18n import format_date, language_name, translate
from kiosk_api.intake.schemas import IntakeExport
from kiosk_api.intake.service import FREE_TEXT_FIELDS, export_record, to_public
from kiosk_api.models import IntakeRecord, Site, StaffUser, utcnow
from kiosk_api.models.enums import ActorType
from kiosk_api.queue.desk_view import DESK_LOCALE
from kiosk_api.records.schemas import IntakeStaffView, LabelledValue, StaffBookingCreate
from kiosk_api.routing.service import route
from kiosk_api.security import format_code
from kiosk_api.translation.service import to_german

_COUNTRIES_DE = Locale("de").territories
# Fields in the order of the paper Anmeldebogen; free-text fields are machine-translated for the
# desk.
SHEET_FIELDS = (
    "family_name",
    "given_name",
    "family_name_own_spelling",
    "given_name_own_spelling",
    "birth_date",
    "nationality",
    "preferred_language",
    "languages_spoken",
    "german_level",
    "interpreter_needed",
    "phone",
    "email",
    "address",
    "registration_certificate",
    "residence_status",
    "residence_status_issued_on",
    "asylblg_since",
    "sgb2_elsewhere_since",
    "sgb2_elsewhere_office",
    "integration_course_status",
    "integration_course_level",
    "schooling",
    "vocational_training",
    "profession",
    "work_experience",
    "foreign_qualifications",
    "recognition_started",
    "concern",
    "concern_text",
)
ENUM_FIELDS = {
    "residence_status": "residence_status",
    "integration_course_status": "course_status",
    "concern": "concern",
}


def staff_record(*, session: Session, site: Site, record_id: int) -> IntakeRecord:
    record = session.get(IntakeRecord, record_id)
    if record is None or record.site_id != site.id:
        raise NotFound("record_not_found")
    return record


def audit_read(*, session: Session, record: IntakeRecord, staff: StaffUser, action: str) -> None:
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff.id,
        action=action,
        subject_type="intake",
        subject_id=record.id,
        site_id=record.site_id,
    )


def _display(field: str, value: object) -> str | None:
    if value is None or value == []:
        return None
    if isinstance(value, bool):
        return translate("common.yes" if value else "common.no", DESK_LOCALE)
    if isinstance(value, date):
        return format_date(value, DESK_LOCALE, format="medium")
    if field in ENUM_FIELDS:
        return translate(f"{ENUM_FIELDS[field]}.{getattr(value, 'value', value)}", DESK_LOCALE)
    if field == "nationality":
        return _COUNTRIES_DE.get(str(value), str(value))
    if field == "preferred_language":
        return language_name(str(value), DESK_LOCALE)
    if field == "languages_spoken":
        return ", ".join(language_name(code, DESK_LOCALE) for code in value)  # type: ignore[union-attr]
    return str(getattr(value, "value", value))


def labelled_fields(session: Session, record: IntakeRecord) -> list[LabelledValue]:
    lines = []
    for field in SHEET_FIELDS:
        raw = getattr(record, field)
        translation = (
            to_german(session=session, text=raw, source_language=record.preferred_language)
            if field in FREE_TEXT_FIELDS and raw
            else None
        )
        lines.append(
            LabelledValue(
                field=field,
                label=translate(f"field.{field}", DESK_LOCALE),
                value=_display(field, raw),
                translation=translation,
            )
        )
    for index, member in enumerate(record.household, start=1):
        parts = [
            translate(f"household_relation.{member.relation.value}", DESK_LOCALE),
            member.given_name or "",
            format_date(member.birth_date, DESK_LOCALE, format="medium")
            if member.birth_date
            else "",
        ]
        lines.append(
            LabelledValue(
                field=f"household.{index}",
                label=translate("field.household_member", DESK_LOCALE),
                value=" · ".join(p for p in parts if p),
            )
        )
    return lines


def staff_view(
    *, session: Session, site: Site, record: IntakeRecord, staff: StaffUser
) -> IntakeStaffView:
    audit_read(session=session, record=record, staff=staff, action="intake.read")
    return IntakeStaffView(
        record_id=record.id,
        reference_code=format_code(record.reference_code),
        language_name=language_name(record.preferred_language, DESK_LOCALE),
        fields=labelled_fields(session, record),
        routing=route(session=session, site=site, record=record, locale=DESK_LOCALE),
        record=to_public(record),
        read_at=utcnow(),
    )


# --- what the routes answer: one function per route ----------------------------------------------


def read_for_staff(
    *, session: Session, site: Site, record_id: int, staff: StaffUser
) -> IntakeStaffView:
    return staff_view(
        session=session,
        site=site,
        record=staff_record(session=session, site=site, record_id=record_id),
        staff=staff,
    )


def export_for_staff(
    *, session: Session, site: Site, record_id: int, staff: StaffUser
) -> IntakeExport:
    record = staff_record(session=session, site=site, record_id=record_id)
    audit_read(session=session, record=record, staff=staff, action="intake.exported_json")
    return export_record(session=session, record=record)


def sheet_for_staff(
    *, session: Session, site: Site, record_id: int, staff: StaffUser
) -> IntakeStaffView:
    """The view the printed sheet shows; audited as read and as printed."""
    record = staff_record(session=session, site=site, record_id=record_id)
    view = staff_view(session=session, site=site, record=record, staff=staff)
    audit_read(session=session, record=record, staff=staff, action="intake.printed")
    return view


def book_for_client(
    *, session: Session, site: Site, payload: StaffBookingCreate, staff_id: int
) -> BookingPublic:
    """The desk books for a client with a record, or anonymously (the answer then holds the PIN
    once)."""
    record = (
        staff_record(session=session, site=site, record_id=payload.intake_id)
        if payload.intake_id
        else None
    )
    booking, pin = book(
        session=session,
        site=site,
        slot_id=payload.slot_id,
        language=payload.language,
        record=record,
        actor=ActorType.staff,
        actor_id=staff_id,
    )
    return booking_public(booking, pin=pin)
