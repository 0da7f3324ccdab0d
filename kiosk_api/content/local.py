"""A site's own content on top of the shared topics: local addresses, local counselling services.

`sites/<site>/content/<topic>/<lang>.yml` adds paragraphs to a shared topic (mode `add`) or replaces
its text (mode `replace`) for clients of that site. Dated and sourced like the shared content; a
language without a local file falls back as the shared texts do (en, then de)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, StringConstraints, ValidationError

from kiosk_api import i18n
from kiosk_api.content.schemas import DatedText, Paragraph, ShortText

log = logging.getLogger("lotse.content")
FACT_PLACEHOLDER = re.compile(r"\{[a-z0-9_]+\}")


class LocalContentFile(DatedText):
    """One site's addition to, or replacement of, one shared topic in one language."""

    site: str
    mode: Literal["add", "replace"]
    # replace only: the local title and summary
    title: ShortText | None = None
    summary: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=900)]
        | None
    ) = None
    body: list[Paragraph] = Field(min_length=1)


@dataclass
class LocalContent:
    by_site: dict[str, dict[str, dict[str, LocalContentFile]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def pick(self, site: str | None, topic: str, language: str) -> LocalContentFile | None:
        if site is None:
            return None
        by_language = self.by_site.get(site, {}).get(topic, {})
        return next(
            (by_language[c] for c in i18n.fallback_chain(language) if c in by_language), None
        )


def load_local(sites_dir: Path) -> LocalContent:
    content = LocalContent()
    for path in sorted(sites_dir.glob("*/content/*/*.yml")):
        rel = path.relative_to(sites_dir)
        site, topic, language = path.parts[-4], path.parent.name, path.stem
        try:
            with open(path, encoding="utf-8") as fh:
                item = LocalContentFile.model_validate(yaml.safe_load(fh))
        except (yaml.YAMLError, UnicodeDecodeError, ValidationError) as exc:
            content.problems.append(f"sites/{rel}: {exc}")
            continue
        if (item.site, item.topic, item.language) != (site, topic, language):
            content.problems.append(f"sites/{rel}: says {item.site}/{item.topic}/{item.language}")
            continue
        content.by_site.setdefault(site, {}).setdefault(topic, {})[language] = item
    return content


def check_local(content: LocalContent, *, topics: tuple[str, ...], today: dt.date) -> list[str]:
    """What is wrong with the sites' own content; numbers (addresses, phones) are theirs to state,
    but the shared SGB II facts are not: a local text never cites them."""
    problems = list(content.problems)
    for site, by_topic in sorted(content.by_site.items()):
        for topic, by_language in sorted(by_topic.items()):
            for language, item in sorted(by_language.items()):
                where = f"sites/{site}/content/{topic}/{language}.yml"
                if topic not in topics:
                    problems.append(f"{where}: no shared topic {topic} to add to")
                if i18n.normalize_code(language) != language:
                    problems.append(f"{where}: language {language} is not enabled")
                if item.mode == "replace" and not (item.title and item.summary):
                    problems.append(f"{where}: mode replace needs its own title and summary")
                if item.mode == "add" and (item.title or item.summary):
                    problems.append(f"{where}: mode add keeps the shared title and summary")
                if item.valid_as_of > today:
                    problems.append(f"{where}: valid_as_of {item.valid_as_of} is in the future")
                if item.review_by and item.review_by <= item.valid_as_of:
                    problems.append(f"{where}: review_by is not after valid_as_of")
                for source in item.sources:
                    if source.url.scheme != "https":
                        problems.append(f"{where}: source {source.url} is not https")
                texts = [item.title or "", item.summary or "", *item.body]
                if any(FACT_PLACEHOLDER.search(text) for text in texts):
                    problems.append(f"{where}: cites a shared fact; say it in the shared topic")
    return problems


@lru_cache(maxsize=4)
def _cached(sites_dir: Path) -> LocalContent:
    content = load_local(sites_dir)
    if content.problems:
        log.warning(
            "site content: %d files left out, run make content-check", len(content.problems)
        )
    return content


def get_local() -> LocalContent:
    from kiosk_api.config import get_settings

    return _cached(Path(get_settings().sites_dir).resolve())
