"""Content API: SGB II explanations by topic and language; the admin list of texts to review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kiosk_api import i18n
from kiosk_api.content import service
from kiosk_api.content.local import get_local
from kiosk_api.content.schemas import ContentPublic, ContentReviewList, TopicList, TopicSearchResult
from kiosk_api.deps import AdminStaff, LocaleDep, SiteHeader
from kiosk_api.errors import responses

router = APIRouter(tags=["content"])

StoreDep = Annotated[service.ContentStore, Depends(service.get_store)]
LanguageQuery = Annotated[
    str | None, Query(max_length=16, description="language code; default from Accept-Language")
]


@router.get("/content/topics", response_model=TopicList, responses=responses(422))
def list_topics(store: StoreDep, locale: LocaleDep, language: LanguageQuery = None) -> TopicList:
    return service.list_topics(store=store, language=language or locale)


@router.get("/content/search", response_model=TopicSearchResult, responses=responses(422))
def search_topics(
    store: StoreDep,
    locale: LocaleDep,
    q: Annotated[
        str,
        Query(min_length=1, max_length=500, description="the question in the client's own words"),
    ],
    language: LanguageQuery = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> TopicSearchResult:
    """Topics most like the question (any language, typos, German office words), best first."""
    return service.search_topics(store=store, query=q, language=language or locale, limit=limit)


@router.get("/content/{topic}", response_model=ContentPublic, responses=responses(404, 422))
def get_topic(
    topic: str,
    store: StoreDep,
    locale: LocaleDep,
    language: LanguageQuery = None,
    x_lotse_site: SiteHeader = None,
) -> ContentPublic:
    """A shared topic; naming a site (X-Lotse-Site) adds that site's own text where it has one.
    No site is needed."""
    return service.get_topic(
        store=store,
        topic=topic,
        language=language or locale,
        local=get_local().pick(x_lotse_site, topic, i18n.normalize_code(language or locale) or ""),
    )


@router.get(
    "/admin/content/unreviewed", response_model=ContentReviewList, responses=responses(401, 403)
)
def list_unreviewed(store: StoreDep, staff: AdminStaff) -> ContentReviewList:
    return service.list_unreviewed(store=store)
