"""Volunteer view (two languages side by side, record marked as assisted) and the web chat page."""

from __future__ import annotations

from typing import Any

import httpx

from kiosk_api.i18n import translate
from tests.web.conftest import assert_accessible
from tests.web.harness import WebServer


def test_volunteer_registers_a_client_in_two_languages_and_the_record_is_assisted(
    new_page: Any, api: httpx.Client, web_server: WebServer
) -> None:
    web_server.add_sites(areas=("dortmund:44137",))
    page = new_page("/volunteer?client=ar")
    page.locator("#consent > div").nth(1).wait_for()
    find_office(page, "44137")  # when other tests added sites, the client's office comes first
    notices = page.locator("#consent > div")
    assert (
        notices.nth(0).get_attribute("dir") == "rtl"
        and notices.nth(1).get_attribute("lang") == "de"
    )
    assert_accessible(page)
    page.locator("#consent-accept").click()
    page.locator("#step-questions").wait_for(state="visible")
    label = page.locator('label[for="q-given_name"] span')
    assert label.nth(0).get_attribute("lang") == "ar" and label.nth(0).get_attribute("dir") == "rtl"
    assert label.nth(1).get_attribute("lang") == "de" and label.nth(1).inner_text() == translate(
        "field.given_name", "de"
    )
    page.locator("#q-given_name").fill("Layla")
    page.locator("#q-concern").select_option("documents")
    echo = page.locator("#q-concern-echo span")
    assert echo.nth(0).inner_text() == translate("concern.documents", "ar")
    assert echo.nth(1).inner_text() == translate("concern.documents", "de")
    page.locator("#questions button[type=submit]").click()
    page.locator("#step-done").wait_for(state="visible")
    code = page.locator("#done .code").nth(0).inner_text()
    pin = page.locator("#done .code").nth(1).inner_text()
    record = api.get(f"/api/v1/intakes/{code}", headers={"X-Lotse-Pin": pin})
    record.raise_for_status()
    body = record.json()
    assert body["assisted"] is True
    assert body["given_name"] == "Layla" and body["concern"] == "documents"
    assert body["channel"] == "volunteer" and body["consents"][0]["channel"] == "volunteer"
    assert_accessible(page)


def find_office(page: Any, postcode: str) -> None:
    """With several sites, the volunteer finds the client's office from their postcode."""
    page.wait_for_function("() => document.querySelector('#place').dataset.ready === 'yes'")
    if page.locator("#place").is_visible():
        page.locator("#place-input").fill(postcode)
        page.locator("#place-find").click()
        page.locator("#place-office-name").wait_for()


def test_a_volunteer_registers_the_client_at_the_office_of_their_postcode(
    new_page: Any, api: httpx.Client, web_server: WebServer
) -> None:
    web_server.add_sites("volunteer_nord:Jobcenter Nord", areas=("volunteer_nord:42651",))
    page = new_page("/volunteer?client=fa")
    page.locator("#consent > div").nth(1).wait_for()
    page.wait_for_function("() => document.querySelector('#place').dataset.ready === 'yes'")
    assert page.locator("#place").is_visible()
    page.locator("#consent-accept").click()  # not before the office is found
    assert page.locator("#error").inner_text() != "" and page.locator("#step-consent").is_visible()
    page.locator("#place-input").fill("99999")
    page.locator("#place-find").click()
    page.wait_for_function("() => document.querySelector('#error').textContent.length > 0")
    assert page.locator("#error").inner_text() == translate("error.place_unknown", "de")
    find_office(page, "42651")
    assert page.locator("#place-office-name").inner_text().startswith("Jobcenter Nord")
    assert_accessible(page)
    page.locator("#consent-accept").click()
    page.locator("#step-questions").wait_for(state="visible")
    page.locator("#q-given_name").fill("Maryam")
    page.locator("#questions button[type=submit]").click()
    page.locator("#step-done").wait_for(state="visible")
    code = page.locator("#done .code").nth(0).inner_text()
    pin = page.locator("#done .code").nth(1).inner_text()
    checklist = api.get(f"/api/v1/intakes/{code}/routing", headers={"X-Lotse-Pin": pin})
    assert checklist.status_code == 200
    at_dortmund = api.post(
        "/api/v1/checkins", headers={"X-Lotse-Pin": pin}, json={"reference_code": code}
    )
    assert at_dortmund.status_code == 409
    assert at_dortmund.json()["error"]["details"]["site"] == "volunteer_nord"


def test_chat_page_loads_the_vendored_widget_and_switches_direction(
    new_page: Any, base_url: str
) -> None:
    page = new_page("/chat?lang=fa")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    assert (
        page.locator("html").get_attribute("dir") == "rtl"
        and page.locator("html").get_attribute("lang") == "fa"
    )
    page.wait_for_function("() => typeof window.WebChat?.default === 'function'")
    assert page.locator('#languages button[data-lang="fa"]').get_attribute("aria-pressed") == "true"
    # No Rasa in this test server: the page says so in the client's language instead of failing
    # silently.
    assert page.locator("#error").inner_text() == translate("chat.unavailable", "fa")
    page.locator('#languages button[data-lang="ti"]').click()
    page.wait_for_function(
        "() => document.documentElement.dir === 'ltr' && document.documentElement.lang === 'ti'"
    )
    assert "lang=ti" in page.url
    assert_accessible(page)
    assert all(url.startswith(base_url) for url in requests), [
        u for u in requests if not u.startswith(base_url)
    ]
