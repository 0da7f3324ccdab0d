"""Which site a request is for, and which site is responsible for a client's place."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api.errors import LotseError, NotFound
from kiosk_api.models import ServiceArea, Site


class SiteRequired(LotseError):
    """A request that could be for several sites and names none."""

    status_code = 400
    code = "site_required"


def site_by_code(session: Session, code: str, *, active_only: bool) -> Site:
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None or (active_only and not site.active):
        raise NotFound("site_unknown")
    return site


def default_site(session: Session, configured: str | None) -> Site:
    """The deployment's default site for requests that name none, or its only active site."""
    if configured:
        return site_by_code(session, configured, active_only=False)
    only = session.scalars(select(Site).where(Site.active.is_(True)).limit(2)).all()
    if len(only) == 1:
        return only[0]
    raise SiteRequired()


def active_sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).where(Site.active.is_(True)).order_by(Site.name)))


POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
# German spellings clients type without umlauts: Düsseldorf, Duesseldorf and Dusseldorf are one town
FOLDS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold_municipality(name: str) -> str:
    """Lower case, umlauts spelt out, other accents dropped, no spaces, hyphens or dots."""
    text = unicodedata.normalize("NFC", name).casefold().translate(FOLDS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[\s\-‐‑.,'’]+", "", text)


def responsible_site(session: Session, place: str) -> Site:
    """The active site the area table names for a postcode or municipality in `place`."""
    match = POSTCODE.search(place)
    if match:
        postcode = match.group(1)
        site = session.scalar(
            select(Site)
            .join(ServiceArea, ServiceArea.site_id == Site.id)
            .where(
                Site.active.is_(True),
                ServiceArea.postcode_from <= postcode,
                ServiceArea.postcode_to >= postcode,
            )
            # the narrowest range wins: a district's own codes inside a city's
            .order_by(ServiceArea.postcode_from.desc(), ServiceArea.postcode_to)
            .limit(1)
        )
        if site is not None:
            return site
    words = POSTCODE.sub(" ", place).strip()
    if words:
        folded = fold_municipality(words)
        candidates = {folded}
        # "Solingen-Ohligs", "Dortmund Hörde": the town before its district
        first = re.split(r"[\s\-‐‑,]+", words.strip())[0]
        candidates.add(fold_municipality(first))
        site = session.scalar(
            select(Site)
            .join(ServiceArea, ServiceArea.site_id == Site.id)
            .where(Site.active.is_(True), ServiceArea.municipality.in_(candidates))
            .order_by(ServiceArea.id)
            .limit(1)
        )
        if site is not None:
            return site
    raise NotFound("place_unknown")
