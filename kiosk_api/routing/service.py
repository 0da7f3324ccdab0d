"""Per-site routing rules (configuration, not code) evaluated against an intake record."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api import clock
from kiosk_api.config import get_settings
from kiosk_api.errors import NotFound
from kiosk_api.i18n import translate
from kiosk_api.models import IntakeRecord, Service, Site
from kiosk_api.models.enums import Concern
from kiosk_api.routing.schemas import (
    Referral,
    RoutingResult,
    RoutingRule,
    RoutingRules,
    RuleConditions,
)

# Concerns of a first application for SGB II benefits, and of someone who already has a case.
FIRST_APPLICATION_CONCERNS = frozenset({Concern.first_registration, Concern.benefits_application})
EXISTING_CLIENT_CONCERNS = frozenset(
    {
        Concern.documents,
        Concern.appointment,
        Concern.work_and_training,
        Concern.language_course,
        Concern.change_of_circumstances,
    }
)


def rules_path(site: Site) -> Path:
    """The site's rules file, relative to its folder; sites may share one ("../other/routing.yml")
    but never reach outside the sites folder."""
    sites_dir = get_settings().sites_dir
    path = Path(os.path.normpath(sites_dir / site.code / site.routing_rules))
    if not path.is_relative_to(os.path.normpath(sites_dir)):
        raise NotFound("routing_rules_missing")
    return path


class RulesFileInvalid(ValueError):
    """A routing rules file that does not parse or validate; the message names the file, and each
    problem with where it is (the rule by position and id)."""


def _where(location: tuple[int | str, ...], data: Any) -> str:
    parts: list[str] = []
    for index, part in enumerate(location):
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
            if index == 1 and location[0] == "rules":
                rule = data["rules"][part]
                if isinstance(rule, dict) and "id" in rule:
                    parts[-1] += f" (id {rule['id']})"
        else:
            parts.append(part)
    return ".".join(parts) or "file"


def read_rules_file(path: Path) -> RoutingRules:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise RulesFileInvalid(f"{path}: not valid YAML: {error}") from error
    try:
        return RoutingRules.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{_where(problem['loc'], data)}: {problem['msg']}" for problem in error.errors()
        )
        raise RulesFileInvalid(f"{path}: {problems}") from error


@lru_cache(maxsize=32)
def _load(path: Path, mtime: float) -> RoutingRules:
    return read_rules_file(path)


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


def first_application(record: IntakeRecord) -> bool | None:
    """True: a first application (concern first_registration or benefits_application, and no SGB
    II received elsewhere). False: an existing or former SGB II client (SGB II received elsewhere,
    or a concern about an existing case). None: the record does not tell (no concern, or other)."""
    if record.sgb2_elsewhere_since is not None:
        return False
    if record.concern in FIRST_APPLICATION_CONCERNS:
        return True
    if record.concern in EXISTING_CLIENT_CONCERNS:
        return False
    return None


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
    if conditions.first_application is not None:
        checks.append(first_application(record) is conditions.first_application)
    if conditions.preferred_language_in is not None:
        checks.append(record.preferred_language in conditions.preferred_language_in)
    if conditions.interpreter_needed is not None:
        checks.append(record.interpreter_needed is conditions.interpreter_needed)
    if conditions.always:
        checks.append(True)
    return bool(checks) and all(checks)


def first_matching_rule(rules: RoutingRules, record: IntakeRecord, today: date) -> RoutingRule:
    for rule in rules.rules:
        if matches(rule.when, record, today):
            return rule
    return rules.rules[-1]


@dataclass(frozen=True)
class Decision:
    """The first matching rule (its reason is given), the team at this site, and the office the
    client is referred to, if any."""

    rule: RoutingRule
    service: str
    referral: Referral | None


def decide(rules: RoutingRules, record: IntakeRecord, today: date) -> Decision:
    """A referral rule names no team here: the team is then the next matching rule's (the last
    rule always names one), for a client who comes to this site anyway."""
    rule = first_matching_rule(rules, record, today)
    if rule.service is not None:
        return Decision(rule=rule, service=rule.service, referral=None)
    after = rules.rules[rules.rules.index(rule) + 1 :]
    team = next(
        (r for r in after if r.service is not None and matches(r.when, record, today)),
        rules.rules[-1],
    )
    assert team.service is not None  # the last rule names a service (RoutingRules)
    return Decision(rule=rule, service=team.service, referral=rule.refer_to)


def route(
    *, session: Session, site: Site, record: IntakeRecord, locale: str, today: date | None = None
) -> RoutingResult:
    rules = load_rules(site)
    decision = decide(rules, record, today or clock.today())
    service = session.scalar(
        select(Service).where(Service.site_id == site.id, Service.code == decision.service)
    )
    if service is None:
        raise NotFound("service_not_found", details={"service": decision.service})
    return RoutingResult(
        service_code=service.code,
        service_name=service.name,
        rule=decision.rule.id,
        reason_key=decision.rule.reason,
        reason=translate(decision.rule.reason, locale),
        rules_valid_as_of=rules.valid_as_of,
        referral=decision.referral,
    )
