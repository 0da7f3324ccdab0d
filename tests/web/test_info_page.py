"""The information pages in Chromium: themes, search in one's own words, a topic to read, hear,
print and take along."""

from __future__ import annotations

from typing import Any

import httpx

from tests.web.conftest import assert_accessible
from tests.web.test_kiosk import choose_language


def test_persian_client_searches_in_own_words_and_reads_the_answer(
    new_page: Any, api: httpx.Client, base_url: str
) -> None:
    page = new_page("/info?lang=fa")
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(base_url) else None
        ),
    )
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "fa"
    listing = api.get("/api/v1/content/topics", params={"language": "fa"}).json()
    page.locator("#themes .theme").first.wait_for()
    assert page.locator("#themes .theme").count() == len(listing["themes"])
    assert page.locator("#themes button").count() == len(listing["topics"])

    page.locator("#question").fill("سلام، پول بیکاری چیست؟")
    page.locator("#search-form button[type=submit]").click()
    page.locator("#result-list li").first.wait_for()
    found = api.get(
        "/api/v1/content/search", params={"language": "fa", "q": "سلام، پول بیکاری چیست؟"}
    ).json()["matches"]
    assert [b.inner_text() for b in page.locator("#result-list button").all()] == [
        m["title"] for m in found
    ]
    assert "grundsicherungsgeld" in [m["topic"] for m in found]

    page.locator(
        "#result-list button",
        has_text=next(m["title"] for m in found if m["topic"] == "grundsicherungsgeld"),
    ).click()
    page.locator("#topic").wait_for(state="visible")
    item = api.get("/api/v1/content/grundsicherungsgeld", params={"language": "fa"}).json()
    assert page.locator("#topic-title").inner_text() == item["title"]
    assert page.locator("#topic-body li").count() == len(item["body"])
    notes = page.locator("#topic-notes").inner_text()
    assert item["valid_as_of_text"] in notes
    # the amounts come rendered for the reader, Persian digits included, each with its legal source
    assert (
        page.locator("#topic-facts dt").count() == len([f for f in item["facts"] if f["text"]]) > 0
    )
    assert (
        "۵" in page.locator("#topic-facts").inner_text()
        or "۳" in page.locator("#topic-facts").inner_text()
    )
    assert page.url.endswith("/info?lang=fa&topic=grundsicherungsgeld")
    qr = page.locator("#topic-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("#speak").is_visible() and page.locator("#print").is_visible()
    assert_accessible(page)

    page.locator("#back").click()
    page.locator("#browse").wait_for(state="visible")
    assert outside == []


def test_a_topic_page_opens_directly_and_reads_aloud(new_page: Any, api: httpx.Client) -> None:
    page = new_page("/info?lang=de&topic=housing_costs")
    page.locator("#topic").wait_for(state="visible")
    audio = api.get(
        "/api/v1/content/housing_costs/speech", params={"language": "de", "part": "summary"}
    )
    assert (
        audio.status_code == 200
        and audio.headers["content-type"] == "audio/wav"
        and audio.content[:4] == b"RIFF"
    )
    assert (
        api.get(
            "/api/v1/content/housing_costs/speech", params={"language": "de", "part": "body.99"}
        ).status_code
        == 404
    )
    assert (
        api.get(
            "/api/v1/content/housing_costs/speech", params={"language": "de", "part": "../x"}
        ).status_code
        == 422
    )
    qr = api.get("/api/v1/content/housing_costs/qr.svg", params={"language": "de"})
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"


def test_the_kiosk_leads_to_the_information_pages_and_back(new_page: Any) -> None:
    page = new_page("/kiosk?idle=5")
    choose_language(page, "ar")
    page.locator("#go-info").click()
    page.wait_for_url("**/info?lang=ar&from=kiosk*")
    page.locator("#to-kiosk").wait_for(state="visible")
    # untouched, the page returns to the kiosk's start, so the next client sees nothing of this one
    page.wait_for_url("**/kiosk?lang=ar", timeout=15_000)


def test_a_question_outside_the_topics_says_where_to_ask(new_page: Any, api: httpx.Client) -> None:
    question = "qwxz vbnm plkj"
    assert (
        api.get("/api/v1/content/search", params={"language": "en", "q": question}).json()[
            "matches"
        ]
        == []
    )
    page = new_page("/info?lang=en")
    page.locator("#question").fill(question)
    page.locator("#search-form button[type=submit]").click()
    page.locator("#no-results").wait_for(state="visible")
    assert "Ausländerbehörde" in page.locator("#no-results").inner_text()
