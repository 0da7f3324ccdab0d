"""Residence statuses a client can state: the kiosk API's ResidenceStatus enum is built from this
list, and the bot accepts exactly these values in its registration form."""

from __future__ import annotations

RESIDENCE_STATUSES: tuple[str, ...] = (
    "permit_25_1",
    "permit_25_2",
    "permit_25_3",
    "permit_25_5",
    "permit_23_4",
    "permit_24",
    "fiktionsbescheinigung",
    "aufenthaltsgestattung",
    "duldung",
    "other",
    "unknown",
)
