"""The client's own checklist of documents and next steps, chosen by per-site rules from the
record."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from kiosk_api import clock
from kiosk_api.checklist.schemas import (
    Checklist,
    ChecklistConditions,
    ChecklistItem,
    ChecklistRules,
)
from kiosk_api.config import get_settings
from kiosk_api.errors import NotFound
from kiosk_api.i18n import direction, translate_text
from kiosk_api.models import IntakeRecord, Site
from kiosk_api.models.enums import HouseholdRelation
from kiosk_api.pdf import HeaderLine, header_with_qr, new_document, set_main_font
from kiosk_api.routing.service import matches as routing_matches
from kiosk_api.security import format_code

DESK_LOCALE = "de"


@lru_cache(maxsize=16)
def _load(path: Path, mtime: float) -> ChecklistRules:
    with path.open(encoding="utf-8") as handle:
        return ChecklistRules.model_validate(yaml.safe_load(handle))


def load_rules(site: Site) -> ChecklistRules:
    path = get_settings().sites_dir / site.code / "checklist.yml"
    if not path.exists():
        raise NotFound("checklist_rules_missing")
    return _load(path, path.stat().st_mtime)


def _facts(record: IntakeRecord) -> dict[str, bool | None]:
    relations = {member.relation for member in record.household}
    return {
        "has_children": HouseholdRelation.child in relations,
        "has_partner": HouseholdRelation.partner in relations,
        "registration_certificate": record.registration_certificate,
        "asylblg": record.asylblg_since is not None,
        "sgb2_elsewhere": record.sgb2_elsewhere_since is not None,
        "foreign_qualifications": bool(record.foreign_qualifications),
        "recognition_started": bool(record.recognition_started),
        "has_address": bool(record.address),
    }


def applies(conditions: ChecklistConditions, record: IntakeRecord, today: date) -> bool:
    """All given conditions hold; an unanswered yes/no question does not hold either way."""
    facts = _facts(record)
    for name, facts_value in facts.items():
        wanted = getattr(conditions, name)
        if wanted is not None and facts_value != wanted:
            return False
    routing_part = conditions.model_dump(
        include=set(type(conditions).model_fields) - set(facts), exclude_none=True
    )
    if not routing_part:
        return True
    from kiosk_api.routing.schemas import RuleConditions

    return routing_matches(RuleConditions.model_validate(routing_part), record, today)


def _item(kind: str, entry_id: str, language: str) -> ChecklistItem:
    key = f"checklist.{kind}.{entry_id}"
    text = translate_text(key, language)
    return ChecklistItem(
        id=entry_id,
        kind=kind,
        text=text.text,
        text_language=text.language,
        german=translate_text(key, DESK_LOCALE).text,
    )  # type: ignore[arg-type]


def build(
    *, site: Site, record: IntakeRecord, language: str, today: date | None = None
) -> Checklist:
    rules = load_rules(site)
    today = today or clock.today()
    return Checklist(
        reference_code=format_code(record.reference_code),
        language=language,
        direction=direction(language),
        title=translate_text("checklist.title", language).text,
        intro=translate_text("checklist.intro", language).text,
        documents_heading=translate_text("checklist.documents_heading", language).text,
        steps_heading=translate_text("checklist.steps_heading", language).text,
        documents=[
            _item("document", e.id, language)
            for e in rules.documents
            if applies(e.when, record, today)
        ],
        steps=[
            _item("step", e.id, language) for e in rules.steps if applies(e.when, record, today)
        ],
        valid_as_of=rules.valid_as_of,
    )


def checklist_pdf(checklist: Checklist) -> bytes:
    """A printable page: each item in the client's language with the German term beside it, and
    the code as QR."""
    pdf = new_document(checklist.title, checklist.language)
    rtl = checklist.direction == "rtl"
    align = "R" if rtl else "L"
    header_with_qr(
        pdf,
        [HeaderLine(checklist.title, 16, 9), HeaderLine(checklist.reference_code, 11, 6)],
        checklist.reference_code.replace("-", ""),
        rtl=rtl,
    )
    set_main_font(pdf, 11)
    pdf.multi_cell(0, 6, checklist.intro, align=align, new_x="LMARGIN", new_y="NEXT")
    for heading, items in (
        (checklist.documents_heading, checklist.documents),
        (checklist.steps_heading, checklist.steps),
    ):
        pdf.ln(3)
        set_main_font(pdf, 13)
        pdf.multi_cell(0, 8, heading, align=align, new_x="LMARGIN", new_y="NEXT")
        for item in items:
            set_main_font(pdf, 11)
            pdf.multi_cell(0, 6, f"☐ {item.text}", align=align, new_x="LMARGIN", new_y="NEXT")
            if item.text != item.german:
                set_main_font(pdf, 9)
                pdf.set_text_color(80, 80, 80)
                pdf.multi_cell(0, 5, f"({item.german})", align=align, new_x="LMARGIN", new_y="NEXT")
                pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())
