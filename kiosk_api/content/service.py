"""SGB II content: loaded once from content/ files into memory, served by topic and language,
checked."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kiosk_api import clock, i18n
from kiosk_api.content import facts
from kiosk_api.content.local import LocalContentFile
from kiosk_api.content.schemas import (
    ContentFile,
    ContentPublic,
    ContentReviewItem,
    ContentReviewList,
    Fact,
    FactPublic,
    FactsFile,
    SourcePublic,
    TopicList,
    TopicMatch,
    TopicSearchResult,
    TopicSummary,
)
from kiosk_api.errors import InvalidInput, NotFound

log = logging.getLogger("lotse.content")
DEFAULT_MAX_AGE_DAYS = 183
FACTS_FILE = "facts"


@dataclass(frozen=True)
class ContentConfig:
    themes: dict[str, tuple[str, ...]]
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
    facts: dict[str, FactsFile] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def theme_of(self, topic: str) -> str:
        return next(theme for theme, topics in self.config.themes.items() if topic in topics)

    def facts_of(self, topic: str) -> dict[str, Fact]:
        facts_file = self.facts.get(topic)
        return {fact.id: fact for fact in facts_file.facts} if facts_file else {}

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
        themes={theme: tuple(topics) for theme, topics in raw["themes"].items()},
        topics=tuple(topic for topics in raw["themes"].values() for topic in topics),
        source_languages=tuple(raw.get("source_languages") or ("de", "en")),
        allowed_source_hosts=tuple(raw.get("allowed_source_hosts") or ()),
        max_age_days=int(raw.get("max_age_days") or DEFAULT_MAX_AGE_DAYS),
        required_topic_fields={
            k: tuple(v) for k, v in (raw.get("required_topic_fields") or {}).items()
        },
    )


def _pydantic_problems(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors()]


def load_store(root: Path) -> ContentStore:
    """Read every content file; files that do not parse or validate are left out and listed in
    `problems`."""
    store = ContentStore(root=root, config=read_config(root))
    for path in sorted((root / "topics").glob("*/*.yml")):
        rel = path.relative_to(root)
        try:
            with open(path, encoding="utf-8") as fh:
                raw = yaml.safe_load(fh)
            if path.stem == FACTS_FILE:
                facts_file = FactsFile.model_validate(raw)
                if facts_file.topic != path.parent.name:
                    store.problems.append(
                        f"{rel}: says topic {facts_file.topic!r}; the path says otherwise"
                    )
                else:
                    store.facts[facts_file.topic] = facts_file
                continue
            item = ContentFile.model_validate(raw)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            store.problems.append(f"{rel}: not valid YAML/UTF-8: {exc}")
            continue
        except ValidationError as exc:
            store.problems.extend(f"{rel}: schema: {p}" for p in _pydantic_problems(exc))
            continue
        if item.topic != path.parent.name or item.language != path.stem:
            store.problems.append(
                f"{rel}: says topic {item.topic!r}, language {item.language!r}; the path says "
                "otherwise"
            )
            continue
        store.items.setdefault(item.topic, {})[item.language] = item
    return store


def check_store(store: ContentStore, *, today: dt.date, languages: list[str]) -> list[str]:
    """Everything wrong with the content: schema, missing topics or languages, sources, age,
    translations."""
    problems = list(store.problems)
    config = store.config
    for topic in sorted(set(store.items) - set(config.topics)):
        problems.append(f"topics/{topic}: not listed in content/config.yml")
    for topic in config.topics:
        by_language = store.items.get(topic, {})
        problems.extend(_fact_problems(store, topic))
        for language in languages:
            if language not in by_language:
                problems.append(f"topics/{topic}/{language}.yml: missing")
        for language in sorted(set(by_language) - set(languages)):
            problems.append(
                f"topics/{topic}/{language}.yml: language not enabled in locales/languages.yml"
            )
        versions = {
            by_language[lang].version for lang in config.source_languages if lang in by_language
        }
        if len(versions) > 1:
            problems.append(
                f"topics/{topic}: source languages {', '.join(config.source_languages)} differ in "
                "version"
            )
        for language, item in sorted(by_language.items()):
            where = f"topics/{topic}/{language}.yml"
            for source in item.sources:
                host = (source.url.host or "").lower()
                if source.url.scheme != "https" or not any(
                    host == h or host.endswith("." + h) for h in config.allowed_source_hosts
                ):
                    problems.append(
                        f"{where}: source {source.url} is not an https URL of an official site in "
                        "config.yml"
                    )
            if item.valid_as_of > today:
                problems.append(f"{where}: valid_as_of {item.valid_as_of} is in the future")
            if item.review_by and item.review_by <= item.valid_as_of:
                problems.append(f"{where}: review_by is not after valid_as_of")
            for name in config.required_topic_fields.get(topic, ()):
                if not getattr(item, name, None):
                    problems.append(f"{where}: topic {topic} needs `{name}`")
            problems.extend(f"{where}: {problem}" for problem in _text_fact_problems(store, item))
            if language in config.source_languages:
                if item.translation_of is not None or item.machine_translated:
                    problems.append(f"{where}: a source language text cannot be a translation")
                continue
            if item.translation_of is None:
                problems.append(
                    f"{where}: says nothing about what it was translated from (translation_of)"
                )
                continue
            source = store.source_of(item)
            if source is None:
                problems.append(
                    f"{where}: translation_of {item.translation_of.language} has no such file"
                )
            elif source.version != item.translation_of.version:
                problems.append(
                    f"{where}: translated from version {item.translation_of.version}, "
                    f"the {source.language} text is version {source.version}"
                )
            elif item.version != source.version:
                problems.append(
                    f"{where}: version {item.version} differs from its source's version "
                    f"{source.version}"
                )
            if source is not None and _texts_placeholders(item) != _texts_placeholders(source):
                problems.append(
                    f"{where}: uses the facts {sorted(_texts_placeholders(item))}, its source "
                    f"{source.language} uses {sorted(_texts_placeholders(source))}"
                )
            if item.unreviewed_translation != (item.reviewed is None):
                problems.append(
                    f"{where}: unreviewed_translation must be true exactly when reviewed is null"
                )
    return problems


def content_warnings(store: ContentStore, *, today: dt.date) -> list[str]:
    """What is due for a re-check: an operational alert for the admins, never a failed build."""
    warnings = []
    for topic in store.config.topics:
        for language, item in sorted(store.items.get(topic, {}).items()):
            expiry = store.expiry(item)
            if expiry < today:
                warnings.append(
                    f"topics/{topic}/{language}.yml: due for a re-check since {expiry} "
                    f"(valid_as_of {item.valid_as_of})"
                )
        for fact in store.facts_of(topic).values():
            if fact.valid_until and fact.valid_until < today:
                warnings.append(
                    f"topics/{topic}/facts.yml: {fact.id} was valid until {fact.valid_until}"
                )
    return warnings


def _texts(item: ContentFile) -> list[str]:
    return [
        item.title,
        item.summary,
        *item.body,
        *(part for scope in item.scopes or () for part in (scope.title, scope.text)),
    ]


def _texts_placeholders(item: ContentFile) -> set[str]:
    return set().union(*(facts.placeholders(text) for text in _texts(item)))


def _fact_problems(store: ContentStore, topic: str) -> list[str]:
    where = f"topics/{topic}/facts.yml"
    facts_file = store.facts.get(topic)
    if facts_file is None or not facts_file.facts:
        return [f"{where}: missing; every topic lists its key facts with their sources"]
    problems = []
    seen: set[str] = set()
    for fact in facts_file.facts:
        if fact.id in seen:
            problems.append(f"{where}: fact {fact.id} twice")
        seen.add(fact.id)
        host = (fact.source.url.host or "").lower()
        if fact.source.url.scheme != "https" or not any(
            host == h or host.endswith("." + h) for h in store.config.allowed_source_hosts
        ):
            problems.append(
                f"{where}: {fact.id}: source {fact.source.url} is not an https URL of an official "
                "site in config.yml"
            )
        if fact.valid_from and fact.valid_until and fact.valid_until < fact.valid_from:
            problems.append(f"{where}: {fact.id}: valid_until before valid_from")
    return problems


def _text_fact_problems(store: ContentStore, item: ContentFile) -> list[str]:
    known = store.facts_of(item.topic)
    cited = facts.cited_sections(known.values(), [source.title for source in item.sources])
    problems = []
    for text in _texts(item):
        for fact_id in sorted(facts.placeholders(text)):
            fact = known.get(fact_id)
            if fact is None:
                problems.append(f"{{{fact_id}}} is not a fact of the topic")
            elif fact.kind == "rule":
                problems.append(
                    f"{{{fact_id}}} is a rule: say it in words, it has no value to show"
                )
            elif fact.status == "unverified":
                problems.append(
                    f"{{{fact_id}}} is unverified: say less and send the client to the office"
                )
        problems.extend(facts.stray_numbers(text, cited))
    return problems


@lru_cache(maxsize=4)
def _cached_store(root: Path) -> ContentStore:
    store = load_store(root)
    if store.problems:  # served without the broken files; `make content-check` names them
        log.warning(
            "content: %d files left out, run python -m kiosk_api.content.check", len(store.problems)
        )
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
        raise InvalidInput(
            "unknown_language", details={"language": code, "supported": i18n.language_codes()}
        )
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
    summaries = [
        summary
        for topic in store.config.topics
        if (summary := _summary(store, topic, requested)) is not None
    ]
    return TopicList(
        language=requested,
        direction=i18n.direction(requested),
        topics=summaries,  # type: ignore[arg-type]
        themes={theme: list(topics) for theme, topics in store.config.themes.items()},
    )


def _summary(store: ContentStore, topic: str, requested: str) -> TopicSummary | None:
    item = _pick(store, topic, requested)
    if item is None:
        return None
    known = store.facts_of(topic)
    return TopicSummary(
        topic=topic,
        theme=store.theme_of(topic),
        title=facts.render_text(item.title, known, item.language),
        summary=facts.render_text(item.summary, known, item.language),
        language=item.language,
        fallback_language=_fallback(item, requested),
        version=item.version,
        valid_as_of=item.valid_as_of,
    )


def search_topics(
    *, store: ContentStore, query: str, language: str, limit: int
) -> TopicSearchResult:
    """Topics ranked by similarity to the question in the client's own words, titled in
    `language`."""
    from kiosk_api.content.search import get_index
    from lotse_shared.search import MINIMUM_SCORE

    requested = _language(language)
    matches = []
    for match in get_index().rank(query, limit=limit, minimum=MINIMUM_SCORE):
        summary = _summary(store, match.topic, requested)
        if summary is not None:
            matches.append(TopicMatch(**summary.model_dump(), score=match.score))
    return TopicSearchResult(
        language=requested, direction=i18n.direction(requested), matches=matches
    )  # type: ignore[arg-type]


def _fact_public(fact: Fact, locale: str) -> FactPublic:
    return FactPublic(
        id=fact.id,
        kind=fact.kind,
        text=None if fact.kind == "rule" else facts.render_value(fact, locale),
        status=fact.status,
        valid_from=fact.valid_from,
        pinpoint=fact.source.pinpoint,
        source=SourcePublic(title=fact.source.title, url=str(fact.source.url)),
    )


def get_topic(
    *,
    store: ContentStore,
    topic: str,
    language: str,
    today: dt.date | None = None,
    local: LocalContentFile | None = None,
) -> ContentPublic:
    """One topic in `language`, else en, else de; 404 content_not_found for an unknown topic.
    A site's `local` text is added to it, or replaces it."""
    requested = _language(language)
    item = _pick(store, topic, requested) if topic in store.config.topics else None
    if item is None:
        raise NotFound("content_not_found", details={"topic": topic})
    known = store.facts_of(item.topic)
    text_locale = item.language

    def rendered(text: str) -> str:
        return facts.render_text(text, known, text_locale)

    shared = ContentPublic(
        topic=item.topic,
        theme=store.theme_of(item.topic),
        requested_language=requested,
        language=item.language,
        fallback_language=_fallback(item, requested),
        direction=i18n.direction(item.language),  # type: ignore[arg-type]
        version=item.version,
        valid_as_of=item.valid_as_of,
        valid_as_of_text=i18n.format_date(item.valid_as_of, text_locale, "long"),
        review_by=store.expiry(item),
        title=rendered(item.title),
        summary=rendered(item.summary),
        body=[rendered(paragraph) for paragraph in item.body],
        sources=[SourcePublic(title=s.title, url=str(s.url)) for s in item.sources],
        facts=[
            _fact_public(fact, text_locale)
            for fact in known.values()
            if fact.status != "unverified"
        ],
        outdated=store.expiry(item) < (today or clock.today()),
        machine_translated=item.machine_translated,
        reviewed=item.reviewed is not None,
        reviewed_on=item.reviewed.on if item.reviewed else None,
        scopes=item.scopes,
    )
    return shared if local is None else _with_local(shared, local)


def _with_local(shared: ContentPublic, local: LocalContentFile) -> ContentPublic:
    """The site's paragraphs after the shared ones (add), or in their place (replace); its
    sources beside them, and the answer counts as reviewed only when both texts are."""
    sources = [SourcePublic(title=s.title, url=str(s.url)) for s in local.sources]
    replace = local.mode == "replace"
    return shared.model_copy(
        update={
            "title": local.title if replace and local.title else shared.title,
            "summary": local.summary if replace and local.summary else shared.summary,
            "body": [*([] if replace else shared.body), *local.body],
            "sources": [*([] if replace else shared.sources), *sources],
            "local_site": local.site,
            "local_language": local.language,
            "reviewed": shared.reviewed and local.reviewed is not None,
            "machine_translated": shared.machine_translated or local.machine_translated,
        }
    )


def list_unreviewed(*, store: ContentStore, today: dt.date | None = None) -> ContentReviewList:
    """Items an admin should have checked: not reviewed, machine-translated, behind their source,
    or expired."""
    today = today or clock.today()
    items = []
    for topic in store.config.topics:
        for language, item in sorted(store.items.get(topic, {}).items()):
            outdated = store.is_outdated_translation(item)
            expired = store.expiry(item) < today
            if item.reviewed is None or item.machine_translated or outdated or expired:
                items.append(
                    ContentReviewItem(
                        topic=topic,
                        language=language,
                        version=item.version,
                        valid_as_of=item.valid_as_of,
                        review_by=store.expiry(item),
                        machine_translated=item.machine_translated,
                        reviewed=item.reviewed is not None,
                        unreviewed_translation=item.unreviewed_translation,
                        translation_of=item.translation_of,
                        outdated_translation=outdated,
                        expired=expired,
                    )
                )
    return ContentReviewList(total=len(items), items=items)
