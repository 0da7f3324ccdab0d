"""Closed vocabularies shared by models, schemas and the routing rules."""

from __future__ import annotations

from enum import StrEnum

from lotse_shared.residence import RESIDENCE_STATUSES


class StaffRole(StrEnum):
    desk = "desk"
    caseworker = "caseworker"
    admin = "admin"
    # manages the sites of a deployment; sees statistics across them, no personal data
    deployment_admin = "deployment_admin"


ROLE_RANK = {
    StaffRole.desk: 1,
    StaffRole.caseworker: 2,
    StaffRole.admin: 3,
    StaffRole.deployment_admin: 4,
}


class Channel(StrEnum):
    kiosk = "kiosk"
    web_chat = "web_chat"
    messenger = "messenger"
    volunteer = "volunteer"
    desk = "desk"


class IntakeStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    checked_in = "checked_in"
    handed_over = "handed_over"
    closed = "closed"


class GermanLevel(StrEnum):
    none = "none"
    a1 = "A1"
    a2 = "A2"
    b1 = "B1"
    b2 = "B2"
    c1 = "C1"


# From lotse_shared/residence.py (permit_25_1 ... duldung, other, unknown), the list the bot accepts
# too.
ResidenceStatus = StrEnum(
    "ResidenceStatus",
    [(status, status) for status in RESIDENCE_STATUSES],
    module=__name__,
    qualname="ResidenceStatus",
)


class CourseStatus(StrEnum):
    none = "none"
    waiting = "waiting"
    attending = "attending"
    completed = "completed"
    interrupted = "interrupted"


class HouseholdRelation(StrEnum):
    partner = "partner"
    child = "child"
    other = "other"


class Concern(StrEnum):
    first_registration = "first_registration"
    benefits_application = "benefits_application"
    documents = "documents"
    appointment = "appointment"
    work_and_training = "work_and_training"
    language_course = "language_course"
    change_of_circumstances = "change_of_circumstances"
    other = "other"


class BookingStatus(StrEnum):
    booked = "booked"
    cancelled = "cancelled"
    attended = "attended"


class TicketStatus(StrEnum):
    waiting = "waiting"
    called = "called"
    handed_over = "handed_over"
    no_show = "no_show"
    done = "done"


OPEN_TICKET_STATUSES = (TicketStatus.waiting, TicketStatus.called, TicketStatus.handed_over)


class ActorType(StrEnum):
    client = "client"
    bot = "bot"
    # An enrolled kiosk (devices table); stored as a plain string, so no migration.
    device = "device"
    staff = "staff"
    system = "system"


class HandoverStatus(StrEnum):
    open = "open"
    closed = "closed"


class DeliveryStatus(StrEnum):
    """How far a messenger got the latest message of a handed-over chat to the client's phone."""

    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"
    # Not sent: the messenger's reply window had closed and no template could carry it.
    held = "held"
