"""Per-site routing rules (configuration, not code) evaluated against an intake record."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api import clock
from kiosk_api.config import get_settings
from kiosk_api.errors import NotFound
from kiosk_api.i18n import translate
from kiosk_api.models import IntakeRecord, Service, Site
from kiosk_api.routing.schemas import RoutingResult, RoutingRule, RoutingRules, RuleConditions


def rules_path(site: Site) -> Path:
    return get_settings().sites_dir / site.code / site.routing_rules


@lru_cache(maxsize=32)
def _load(path: Path, mtime: float) -> RoutingRules:
    with path.open(encoding="utf-8") as handle:
        return RoutingRules.model_validate(yaml.safe_load(handle))


def load_rules(site: Site) -> RoutingRules:
    path = rules_path(site)
    if not path.exists():
        raise NotFound("routing_rules_missing")
    return _load(path, path.stat().st_mtime)


def _months_between(start: date, end: date) -> int:
    return (
        (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    )


def _age(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def matches(conditions: RuleConditions, record: IntakeRecord, today: date) -> bool:
    """All given conditions must hold; a condition on a missing answer does not hold."""
    checks: list[bool] = []
    if conditions.residence_status_in is not None:
        checks.append(record.residence_status in conditions.residence_status_in)
    if conditions.residence_status_missing is not None:
        missing = record.residence_status is None or record.residence_status.value == "unknown"
        checks.append(missing == conditions.residence_status_missing)
    if conditions.integration_course_status_in is not None:
        checks.append(record.integration_course_status in conditions.integration_course_status_in)
    if conditions.sgb2_elsewhere_months_over is not None:
        since = record.sgb2_elsewhere_since
        checks.append(
            since is not None
            and _months_between(since, today) > conditions.sgb2_elsewhere_months_over
        )
    if conditions.sgb2_elsewhere_months_at_most is not None:
        since = record.sgb2_elsewhere_since
        checks.append(
            since is not None
            and _months_between(since, today) <= conditions.sgb2_elsewhere_months_at_most
        )
    if conditions.age_under is not None:
        checks.append(
            record.birth_date is not None and _age(record.birth_date, today) < conditions.age_under
        )
    if conditions.age_at_least is not None:
        checks.append(
            record.birth_date is not None
            and _age(record.birth_date, today) >= conditions.age_at_least
        )
    if conditions.always:
        checks.append(True)
    return bool(checks) and all(checks)


def first_matching_rule(rules: RoutingRules, record: IntakeRecord, today: date) -> RoutingRule:
    for rule in rules.rules:
        if matches(rule.when, record, today):
            return rule
    return rules.rules[-1]


def route(
    *, session: Session, site: Site, record: IntakeRecord, locale: str, today: date | None = None
) -> RoutingResult:
    rules = load_rules(site)
    rule = first_matching_rule(rules, record, today or clock.today())
    service = session.scalar(
        select(Service).where(Service.site_id == site.id, Service.code == rule.service)
    )
    if service is None:
        raise NotFound("service_not_found", details={"service": rule.service})
    return RoutingResult(
        service_code=service.code,
        service_name=service.name,
        rule=rule.id,
        reason_key=rule.reason,
        reason=translate(rule.reason, locale),
        rules_valid_as_of=rules.valid_as_of,
    )
