"""All ORM models, imported in one place so domains never import each other in circles."""

from kiosk_api.models.audit import AuditEvent, IdempotencyKey, StatisticEvent
from kiosk_api.models.base import Base, utcnow
from kiosk_api.models.booking import Booking, QueueTicket, Slot
from kiosk_api.models.handover import Handover, HandoverMessage, Notification
from kiosk_api.models.intake import ConsentRecord, HouseholdMember, IntakeRecord
from kiosk_api.models.site import OpeningHours, Service, ServiceArea, Site
from kiosk_api.models.staff import Device, StaffSession, StaffUser, staff_sites
from kiosk_api.models.translation import TranslationCacheEntry

__all__ = [
    "AuditEvent",
    "Base",
    "Booking",
    "ConsentRecord",
    "Device",
    "Handover",
    "HandoverMessage",
    "HouseholdMember",
    "IdempotencyKey",
    "IntakeRecord",
    "Notification",
    "OpeningHours",
    "QueueTicket",
    "Service",
    "ServiceArea",
    "Site",
    "Slot",
    "StaffSession",
    "StaffUser",
    "StatisticEvent",
    "TranslationCacheEntry",
    "staff_sites",
    "utcnow",
]
