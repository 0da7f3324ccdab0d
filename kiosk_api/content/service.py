"""SGB II content: loaded once from content/ files into memory, served by topic and language, checked."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kiosk_api import i18n
from kiosk_api.content.schemas import (
    ContentFile,
    ContentPublic,
    ContentReviewItem,
    ContentReviewList,
    SourcePublic,
    TopicList,
    TopicSummary,
)
from kiosk_api.errors import InvalidInput, NotFound

log = logging.getLogger("lotse.content")
DEFAULT_MAX_AGE_DAYS = 183


@dataclass(frozen=True)
class ContentConfig:
    topics: tuple[str, ...]
    source_languages: tuple[str, ...]
    allowed_source_hosts: tuple[str, ...]
    max_age_days: int
    required_topic_fields: dict[str, tuple[str, ...]]


@dataclass
class ContentStore:
    """All content files of one content/ directory, by topic then language."""

    root: Path
    config: ContentConfig
    items: dict[str, dict[str, ContentFile]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def expiry(self, item: ContentFile) -> dt.date:
        return item.review_by or item.valid_as_of + dt.timedelta(days=self.config.max_age_days)

    def source_of(self, item: ContentFile) -> ContentFile | None:
        if item.translation_of is None:
            return None
        return self.items.get(item.topic, {}).get(item.translation_of.language)

    def is_outdated_translation(self, item: ContentFile) -> bool:
        source = self.source_of(item)
        return bool(item.translation_of and source and source.version > item.translation_of.version)


def read_config(root: Path) -> ContentConfig:
    with open(root / "config.yml", encoding="utf-8") as fh:
        raw: dict[str, Any] = yaml.safe_load(fh)
    return ContentConfig(
        topics=tuple(raw["topics"]),
        source_languages=tuple(raw.get("source_languages") or ("de", "en")),
        allowed_source_hosts=tuple(raw.get("allowed_source_hosts") or ()),
        max_age_days=int(raw.get("max_age_days") or DEFAULT_MAX_AGE_DAYS),
        required_topic_fields={k: tuple(v) for k, v in (raw.get("required_topic_fields") or {}).items()},
    )


def _pydantic_problems(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors()]


def load_store(root: Path) -> ContentStore:
    """Read every content file; files that do not parse or validate are left out and listed in `problems`."""
    store = ContentStore(root=root, config=read_config(root))
    for path in sorted((root / "topics").glob("*/*.yml")):
        rel = path.relative_to(root)
        try:
            with open(path, encoding="utf-8") as fh:
                raw = yaml.safe_load(fh)
            item = ContentFile.model_validate(raw)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            store.problems.append(f"{rel}: not valid YAML/UTF-8: {exc}")
            continue
        except ValidationError as exc:
            store.problems.extend(f"{rel}: schema: {p}" for p in _pydantic_problems(exc))
            continue
        if item.topic != path.parent.name or item.language != path.stem:
            store.problems.append(f"{rel}: says topic {item.topic!r}, language {item.language!r}; the path says otherwise")
            continue
        store.items.setdefault(item.topic, {})[item.language] = item
    return store


def check_store(store: ContentStore, *, today: dt.date, languages: list[str]) -> list[str]:
    """Everything wrong with the content: schema, missing topics or languages, sources, age, translations."""
    problems = list(store.problems)
    config = store.config
    for topic in sorted(set(store.items) - set(config.topics)):
        problems.append(f"topics/{topic}: not listed in content/config.yml")
    for topic in config.topics:
        by_language = store.items.get(topic, {})
        for language in languages:
            if language not in by_language:
                problems.append(f"topics/{topic}/{language}.yml: missing")
        for language in sorted(set(by_language) - set(languages)):
            problems.append(f"topics/{topic}/{language}.yml: language not enabled in locales/languages.yml")
        versions = {by_language[lang].version for lang in config.source_languages if lang in by_language}
        if len(versions) > 1:
            problems.append(f"topics/{topic}: source languages {', '.join(config.source_languages)} differ in version")
        for language, item in sorted(by_language.items()):
            where = f"topics/{topic}/{language}.yml"
            for source in item.sources:
                host = (source.url.host or "").lower()
                if source.url.scheme != "https" or not any(host == h or host.endswith("." + h) for h in config.allowed_source_hosts):
                    problems.append(f"{where}: source {source.url} is not an https URL of an official site in config.yml")
            if item.valid_as_of > today:
                problems.append(f"{where}: valid_as_of {item.valid_as_of} is in the future")
            expiry = store.expiry(item)
            if expiry < today:
                problems.append(f"{where}: outdated since {expiry} (valid_as_of {item.valid_as_of}); re-check the sources")
            if item.review_by and item.review_by <= item.valid_as_of:
                problems.append(f"{where}: review_by is not after valid_as_of")
            for name in config.required_topic_fields.get(topic, ()):
                if not getattr(item, name, None):
                    problems.append(f"{where}: topic {topic} needs `{name}`")
            if language in config.source_languages:
                if item.translation_of is not None or item.machine_translated:
                    problems.append(f"{where}: a source language text cannot be a translation")
                continue
            if item.translation_of is None:
                problems.append(f"{where}: says nothing about what it was translated from (translation_of)")
                continue
            source = store.source_of(item)
            if source is None:
                problems.append(f"{where}: translation_of {item.translation_of.language} has no such file")
            elif source.version != item.translation_of.version:
                problems.append(f"{where}: translated from version {item.translation_of.version}, "
                                f"the {source.language} text is version {source.version}")
            elif item.version != source.version:
                problems.append(f"{where}: version {item.version} differs from its source's version {source.version}")
            if item.unreviewed_translation != (item.reviewed is None):
                problems.append(f"{where}: unreviewed_translation must be true exactly when reviewed is null")
    return problems


@lru_cache(maxsize=4)
def _cached_store(root: Path) -> ContentStore:
    store = load_store(root)
    if store.problems:  # served without the broken files; `make content-check` names them
        log.warning("content: %d files left out, run python -m kiosk_api.content.check", len(store.problems))
    return store


def get_store() -> ContentStore:
    """The content of the configured content directory, loaded on first use and kept in memory."""
    from kiosk_api.config import get_settings

    return _cached_store(Path(get_settings().content_dir).resolve())


def reload_store() -> None:
    _cached_store.cache_clear()


# --- queries -------------------------------------------------------------------------------------


def _language(code: str) -> str:
    language = i18n.normalize_code(code)
    if language is None:
        raise InvalidInput("unknown_language", details={"language": code, "supported": i18n.language_codes()})
    return language


def _pick(store: ContentStore, topic: str, language: str) -> ContentFile | None:
    by_language = store.items.get(topic, {})
    for candidate in i18n.fallback_chain(language):
        if candidate in by_language:
            return by_language[candidate]
    return None


def _fallback(item: ContentFile, requested: str) -> str | None:
    return None if item.language == requested else item.language


def list_topics(*, store: ContentStore, language: str) -> TopicList:
    """Every configured topic in `language`, or its en/de text where that language lacks one."""
    requested = _language(language)
    summaries = []
    for topic in store.config.topics:
        item = _pick(store, topic, requested)
        if item is None:
            continue
        summaries.append(TopicSummary(topic=topic, title=item.title, summary=item.summary, language=item.language,
                                      fallback_language=_fallback(item, requested), version=item.version,
                                      valid_as_of=item.valid_as_of))
    return TopicList(language=requested, direction=i18n.direction(requested), topics=summaries)  # type: ignore[arg-type]


def get_topic(*, store: ContentStore, topic: str, language: str) -> ContentPublic:
    """One topic in `language`, else en, else de; 404 content_not_found for an unknown topic."""
    requested = _language(language)
    item = _pick(store, topic, requested) if topic in store.config.topics else None
    if item is None:
        raise NotFound("content_not_found", details={"topic": topic})
    return ContentPublic(
        topic=item.topic,
        requested_language=requested,
        language=item.language,
        fallback_language=_fallback(item, requested),
        direction=i18n.direction(item.language),  # type: ignore[arg-type]
        version=item.version,
        valid_as_of=item.valid_as_of,
        review_by=store.expiry(item),
        title=item.title,
        summary=item.summary,
        body=list(item.body),
        sources=[SourcePublic(title=s.title, url=str(s.url)) for s in item.sources],
        machine_translated=item.machine_translated,
        reviewed=item.reviewed is not None,
        reviewed_on=item.reviewed.on if item.reviewed else None,
        scopes=item.scopes,
    )


def list_unreviewed(*, store: ContentStore, today: dt.date | None = None) -> ContentReviewList:
    """Items an admin should have checked: not reviewed, machine-translated, behind their source, or expired."""
    today = today or dt.date.today()
    items = []
    for topic in store.config.topics:
        for language, item in sorted(store.items.get(topic, {}).items()):
            outdated = store.is_outdated_translation(item)
            expired = store.expiry(item) < today
            if item.reviewed is None or item.machine_translated or outdated or expired:
                items.append(ContentReviewItem(
                    topic=topic, language=language, version=item.version, valid_as_of=item.valid_as_of,
                    review_by=store.expiry(item), machine_translated=item.machine_translated,
                    reviewed=item.reviewed is not None, unreviewed_translation=item.unreviewed_translation,
                    translation_of=item.translation_of, outdated_translation=outdated, expired=expired,
                ))
    return ContentReviewList(total=len(items), items=items)
