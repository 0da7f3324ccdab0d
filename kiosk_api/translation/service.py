"""Machine translation for the desk: the client's free text into German, desk notes back.

Offline (argostranslate), through English when no direct package exists, cached in
translation_cache, official terms fixed by the glossary. The original always travels with the
translation, and a pair that cannot be translated gives the original with a notice, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kiosk_api import i18n
from kiosk_api.config import get_settings
from kiosk_api.models import TranslationCacheEntry, utcnow
from kiosk_api.translation.glossary import GERMAN, Glossary, load_glossary
from kiosk_api.translation.provider import (
    PIVOT_LANGUAGE,
    ArgosProvider,
    PackageInfo,
    Route,
    argos_code,
    get_provider,
)
from kiosk_api.translation.schemas import (
    InstalledPair,
    TranslatedText,
    TranslationPairsPublic,
    TranslationRoute,
)

logger = logging.getLogger(__name__)

NOTICE_MACHINE_TRANSLATED = "translation.machine_translated"
NOTICE_UNAVAILABLE = "translation.unavailable"  # params: source, target
NOTICE_FAILED = "translation.failed"
NOTICE_TOO_LONG = "translation.too_long"

# Free-text fields are short; a cap keeps one request from holding the engine for minutes.
MAX_TEXT_CHARS = 5000
_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$")
_ENGINE_COLUMN_LENGTH = 64


def current_provider() -> ArgosProvider:
    return get_provider(get_settings().argos_packages_dir)


def current_glossary() -> Glossary:
    return load_glossary(get_settings().content_dir / "glossary.yml")


def is_enabled(source_language: str, target_language: str) -> tuple[bool, str]:
    """Whether the pair can be machine-translated here, and a reason code either way."""
    if not (_LANGUAGE_CODE.match(source_language) and _LANGUAGE_CODE.match(target_language)):
        return False, "unknown_language"
    return current_provider().is_enabled(source_language, target_language)


def translate_text(
    *,
    session: Session,
    text: str,
    source_language: str,
    target_language: str,
    routes: dict[tuple[str, str], tuple[Route | None, str]] | None = None,
) -> TranslatedText:
    """Translate text for display beside its original; never raises for a missing pair or a failed
    engine.

    The notice is left to the reader's language (see to_german); notice_key says which one
    applies. `routes` keeps each pair's route once looked up (a view of many texts)."""
    source, target = source_language.strip(), target_language.strip()

    def result(
        translated: str, *, machine: bool, available: bool, pivot: str | None, notice: str | None
    ) -> TranslatedText:
        # Built from known values, not validated: a desk view builds one per ticket.
        return TranslatedText.model_construct(
            original=text,
            text=translated,
            source_language=source,
            target_language=target,
            machine_translated=machine,
            available=available,
            notice=None,
            pivot_language=pivot,
            notice_key=notice,
        )

    known = bool(_LANGUAGE_CODE.match(source) and _LANGUAGE_CODE.match(target))
    if known and (source == target or argos_code(source) == argos_code(target)):
        return result(text, machine=False, available=True, pivot=None, notice=None)
    if not text.strip():
        return result(text, machine=False, available=True, pivot=None, notice=None)
    if len(text) > MAX_TEXT_CHARS:
        return result(text, machine=False, available=False, pivot=None, notice=NOTICE_TOO_LONG)
    route, reason = _route(source, target, routes)
    if route is None:
        logger.info(
            "machine translation unavailable for %s->%s: %s", source[:16], target[:16], reason
        )
        return result(text, machine=False, available=False, pivot=None, notice=NOTICE_UNAVAILABLE)

    glossary = current_glossary()
    engine = _engine_id(route, glossary)
    source_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    cached = session.scalar(
        select(TranslationCacheEntry.translated_text).where(
            TranslationCacheEntry.source_language == source,
            TranslationCacheEntry.target_language == target,
            TranslationCacheEntry.source_hash == source_hash,
            TranslationCacheEntry.engine == engine,
        )
    )
    if cached is not None:
        return result(
            cached,
            machine=True,
            available=True,
            pivot=route.pivot_language,
            notice=NOTICE_MACHINE_TRANSLATED,
        )

    protected = glossary.protect(text, source, target)
    try:
        raw = current_provider().translate(protected.text, route)
    except Exception as exc:  # noqa: BLE001  the desk gets the original; no traceback, it may quote the text
        logger.error(
            "machine translation failed for %s->%s (%s): %s",
            source,
            target,
            engine,
            type(exc).__name__,
        )
        return result(text, machine=False, available=False, pivot=None, notice=NOTICE_FAILED)
    translated = protected.restore(raw)
    _store(
        session,
        source_language=source,
        target_language=target,
        source_hash=source_hash,
        source_text=text,
        translated_text=translated,
        engine=engine,
    )
    return result(
        translated,
        machine=True,
        available=True,
        pivot=route.pivot_language,
        notice=NOTICE_MACHINE_TRANSLATED,
    )


def _route(
    source: str, target: str, routes: dict[tuple[str, str], tuple[Route | None, str]] | None
) -> tuple[Route | None, str]:
    """The pair's route (None: it cannot be translated here) and the reason code; the installed
    packages are read from disk once per pair and view when `routes` is given."""
    if routes is not None and (source, target) in routes:
        return routes[source, target]
    enabled, reason = is_enabled(source, target)
    found = (current_provider().route(source, target) if enabled else None, reason)
    if routes is not None:
        routes[source, target] = found
    return found


def to_german(
    *,
    session: Session,
    text: str | None,
    source_language: str,
    notices: dict[tuple[str, str, str], str] | None = None,
    routes: dict[tuple[str, str], tuple[Route | None, str]] | None = None,
) -> TranslatedText | None:
    """A client's text for the desk: German beside the original, the notice written in German;
    None for no text. `notices` keeps the notices written so far, `routes` the pairs looked up
    (a view of many texts)."""
    if not text:
        return None
    result = translate_text(
        session=session,
        text=text,
        source_language=source_language,
        target_language=GERMAN,
        routes=routes,
    )
    if result.notice_key is None:
        return result
    key = (result.notice_key, result.source_language, result.target_language)
    notice = notices.get(key) if notices is not None else None
    if notice is None:
        notice = i18n.translate(
            result.notice_key, GERMAN, source=result.source_language, target=result.target_language
        )
        if notices is not None:
            notices[key] = notice
    result.notice = notice  # the result is this call's own
    return result


def _engine_id(route: Route, glossary: Glossary) -> str:
    engine = f"{route.engine};glossary={glossary.digest}"
    if len(engine) > _ENGINE_COLUMN_LENGTH:
        engine = f"argos:{hashlib.sha256(engine.encode()).hexdigest()[:48]}"
    return engine


def _store(session: Session, **values: str) -> None:
    """Insert the cache row; a concurrent request that stored it first is not an error."""
    values_with_time = {**values, "created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = insert(TranslationCacheEntry).values(**values_with_time)
        session.execute(
            statement.on_conflict_do_nothing(
                index_elements=["source_language", "target_language", "source_hash", "engine"]
            )
        )
        return
    session.add(TranslationCacheEntry(**values_with_time))
    session.flush()


def forget_texts(*, session: Session, texts: Iterable[str]) -> int:
    """Delete cached translations of these texts (erasure of a client's record); returns rows
    deleted."""
    hashes = {hashlib.sha256(text.encode("utf-8")).hexdigest() for text in texts if text}
    if not hashes:
        return 0
    deleted = session.execute(
        delete(TranslationCacheEntry).where(TranslationCacheEntry.source_hash.in_(hashes))
    )
    return deleted.rowcount or 0


def purge_cache(*, session: Session, older_than: datetime) -> int:
    """Delete cached translations created before older_than (retention); returns rows deleted."""
    deleted = session.execute(
        delete(TranslationCacheEntry).where(TranslationCacheEntry.created_at < older_than)
    )
    return deleted.rowcount or 0


def _public(package: PackageInfo) -> InstalledPair:
    return InstalledPair(
        source_language=package.source_language,
        target_language=package.target_language,
        source_name=package.source_name,
        target_name=package.target_name,
        package_version=package.package_version,
    )


def install_packages(path: Path) -> list[InstalledPair]:
    """Install an .argosmodel file or a directory of them; raises PackageInstallError on a bad
    file."""
    return [_public(package) for package in current_provider().install(path)]


def installed_pairs() -> list[InstalledPair]:
    return [_public(package) for package in current_provider().packages()]


def translation_overview(*, session: Session) -> TranslationPairsPublic:
    """Installed pairs and, per installed language, whether the desk can translate to and from
    German."""
    provider = current_provider()
    packages = provider.packages()
    languages = sorted({code for p in packages for code in p.pair} - {GERMAN})
    routes = []
    for language in languages:
        for source, target in ((language, GERMAN), (GERMAN, language)):
            enabled, reason = provider.is_enabled(source, target)
            route = provider.route(source, target) if enabled else None
            routes.append(
                TranslationRoute(
                    source_language=source,
                    target_language=target,
                    available=route is not None,
                    pivot_language=route.pivot_language if route else None,
                    reason=reason,
                )
            )
    cached = session.scalar(select(func.count()).select_from(TranslationCacheEntry)) or 0
    return TranslationPairsPublic(
        pairs=[_public(p) for p in packages],
        desk_routes=routes,
        pivot_language=PIVOT_LANGUAGE,
        cached_translations=cached,
    )
