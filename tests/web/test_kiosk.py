"""The lobby kiosk in Chromium: languages, walk-in in Arabic and Tigrinya, check-in by keyboard,
idle wipe."""

from __future__ import annotations

import re
from typing import Any

import httpx

from kiosk_api.i18n import languages
from tests.web.conftest import assert_accessible


def box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).bounding_box()


def choose_language(page: Any, code: str) -> None:
    page.locator(f'#languages button[data-lang="{code}"]').click()
    page.locator("#screen-menu").wait_for(state="visible")


def walk_in(page: Any, concern: str = "documents") -> str:
    page.locator("#go-walkin").click()
    page.locator(f'[data-concern="{concern}"]').click()
    page.locator("#concern-submit").click()
    page.locator("#screen-ticket").wait_for(state="visible")
    return page.locator("#ticket-number").inner_text()


def test_start_screen_offers_every_language_by_its_own_name_and_script(new_page: Any) -> None:
    page = new_page("/kiosk")
    buttons = page.locator("#languages button")
    expected = languages()
    assert buttons.count() == len(expected)
    for index, language in enumerate(expected):
        button = buttons.nth(index)
        assert button.inner_text() == language.native_name
        assert button.get_attribute("lang") == language.code.replace("_", "-")
        assert button.get_attribute("dir") == language.direction
        assert button.bounding_box()["height"] >= 72  # a large touch target (4.5rem)
    assert page.locator('#languages button[data-lang="ar"]').inner_text() == "العربية"
    assert page.locator('#languages button[data-lang="ti"]').inner_text() == "ትግርኛ"
    # The Ethiopic and Arabic names are drawn with the fonts served from this machine.
    faces = page.evaluate(
        "async () => (await document.fonts.load('bold 16px \"Lotse Sans\"', 'ትግርኛ العربية')).map(f "
        "=> f.status)"
    )
    assert len(faces) >= 2 and set(faces) == {"loaded"}
    assert page.evaluate("() => document.fonts.check('bold 16px \"Lotse Sans\"', 'ትግርኛ العربية')")
    assert_accessible(page)


def test_walk_in_in_arabic_is_right_to_left_and_mirrored(new_page: Any, base_url: str) -> None:
    page = new_page("/kiosk")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    choose_language(page, "ar")
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar"
    page.locator("#go-walkin").click()
    # Mirrored, not just right-aligned: "back" sits at the right, "next" at the left, the first
    # concern top right.
    back, submit = box(page, "#screen-concern .back"), box(page, "#concern-submit")
    assert back["x"] > submit["x"]
    first, second = (
        box(page, '[data-concern="first_registration"]'),
        box(page, '[data-concern="benefits_application"]'),
    )
    assert first["x"] > second["x"]
    page.locator('[data-concern="documents"]').click()
    assert page.locator('[data-concern="documents"]').get_attribute("aria-pressed") == "true"
    page.locator("#concern-submit").click()
    page.locator("#screen-ticket").wait_for(state="visible")
    number = page.locator("#ticket-number").inner_text()
    assert number.isdigit()
    page.wait_for_function(
        "() => document.getElementById('ticket-qr').complete && "
        "document.getElementById('ticket-qr').naturalWidth > 0"
    )
    # The number block and the QR code swap sides in RTL.
    assert box(page, "#ticket-number")["x"] > box(page, "#ticket-qr")["x"]
    # The team in Arabic, with the German name from the door signs beside it.
    service = page.locator("#ticket-service")
    german = service.locator('span[lang="de"]')
    assert re.search(r"[\u0600-\u06FF]", service.inner_text())
    assert re.fullmatch(r"\([A-Za-zÄÖÜäöüß0-9 -]+\)", german.inner_text())
    assert_accessible(page)
    assert all(url.startswith(base_url) for url in requests), [
        u for u in requests if not u.startswith(base_url)
    ]


def test_walk_in_in_tigrinya_is_left_to_right(new_page: Any) -> None:
    page = new_page("/kiosk")
    choose_language(page, "ti")
    html = page.locator("html")
    assert html.get_attribute("dir") == "ltr" and html.get_attribute("lang") == "ti"
    page.locator("#go-walkin").click()
    assert box(page, "#screen-concern .back")["x"] < box(page, "#concern-submit")["x"]
    number = walk_in_from_concern(page)
    assert number.isdigit()
    assert box(page, "#ticket-number")["x"] < box(page, "#ticket-qr")["x"]
    assert_accessible(page)


def walk_in_from_concern(page: Any) -> str:
    page.locator('[data-concern="work_and_training"]').click()
    page.locator("#concern-submit").click()
    page.locator("#screen-ticket").wait_for(state="visible")
    return page.locator("#ticket-number").inner_text()


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {selector} with the Tab key")


def test_check_in_with_reference_code_and_pin_by_keyboard_only(
    new_page: Any, api: httpx.Client
) -> None:
    notice = api.get("/api/v1/consent/notice", params={"language": "fa"}).json()
    receipt = api.post(
        "/api/v1/consents",
        json={"language": "fa", "notice_version": notice["version"], "channel": "web_chat"},
    ).json()
    page = new_page("/kiosk")
    sent: list[dict[str, str]] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.headers) if request.url.endswith("/api/v1/checkins") else None
        ),
    )
    tab_to(page, '#languages button[data-lang="fa"]')
    page.keyboard.press("Enter")
    page.locator("#screen-menu").wait_for(state="visible")
    assert page.locator("html").get_attribute("dir") == "rtl"
    tab_to(page, "#go-checkin")
    page.keyboard.press("Enter")
    tab_to(page, "#reference-code")
    page.keyboard.type(receipt["reference_code"])
    tab_to(page, "#pin")
    page.keyboard.type(receipt["pin"])
    page.keyboard.press("Enter")  # submits the form
    page.locator("#screen-ticket").wait_for(state="visible")
    assert page.locator("#ticket-number").inner_text().isdigit()
    assert sent and sent[0].get("idempotency-key")


def test_wrong_pin_shows_the_error_in_the_clients_language(
    new_page: Any, api: httpx.Client
) -> None:
    notice = api.get("/api/v1/consent/notice", params={"language": "en"}).json()
    receipt = api.post(
        "/api/v1/consents",
        json={"language": "en", "notice_version": notice["version"], "channel": "web_chat"},
    ).json()
    page = new_page("/kiosk")
    choose_language(page, "en")
    page.locator("#go-checkin").click()
    page.locator("#reference-code").fill(receipt["reference_code"])
    wrong = "000000" if receipt["pin"] != "000000" else "111111"
    page.locator("#pin").fill(wrong)
    page.locator("#checkin-form button[type=submit]").click()
    alert = page.locator("#error")
    alert.wait_for(state="visible")
    assert alert.inner_text().strip()
    assert page.locator("#screen-checkin").is_visible()


def test_quick_intake_asks_consent_first_and_the_kiosk_forgets_the_client_after_the_timeout(
    new_page: Any,
) -> None:
    page = new_page("/kiosk?idle=3")
    choose_language(page, "ar")
    page.locator("#go-register").click()
    page.locator("#screen-consent").wait_for(state="visible")
    assert page.locator("#consent-text").inner_text().strip()
    assert page.locator("#consent-text").get_attribute("dir") == "rtl"
    page.locator("#consent-accept").click()
    page.locator('[data-concern="first_registration"]').click()
    page.locator("#given-name").fill("Samira")
    page.locator("#concern-text").fill("أحتاج إلى مساعدة في الطلب")
    page.locator("#concern-submit").click()
    page.locator("#screen-ticket").wait_for(state="visible")
    pin = page.locator("#receipt-pin").inner_text()
    assert len(pin) == 6 and page.locator("#receipt-code").inner_text()
    page.evaluate(
        "() => { sessionStorage.setItem('probe', '1'); localStorage.setItem('probe', '1'); }"
    )
    # No touch for the idle time: back to the start screen, nothing of the client left.
    page.locator("#screen-language").wait_for(state="visible", timeout=8000)
    assert (
        page.locator("html").get_attribute("lang") == "de"
        and page.locator("html").get_attribute("dir") == "ltr"
    )
    assert page.evaluate("() => sessionStorage.length + localStorage.length") == 0
    assert page.locator("#given-name").input_value() == ""
    assert page.locator("#receipt-pin").inner_text() == ""
    body = page.locator("body").inner_text()
    assert "Samira" not in body and pin not in body
    assert not page.locator("#restart").is_visible()


def test_walk_in_by_touch_only(new_page: Any) -> None:
    page = new_page(
        "/kiosk", has_touch=True, is_mobile=False, viewport={"width": 1080, "height": 1920}
    )
    page.locator('#languages button[data-lang="ku"]').tap()
    page.locator("#go-walkin").tap()
    page.locator('[data-concern="language_course"]').tap()
    page.locator("#interpreter").tap()
    page.locator("#concern-submit").tap()
    page.locator("#screen-ticket").wait_for(state="visible")
    assert page.locator("#ticket-number").inner_text().isdigit()
    page.locator("#finish").tap()
    page.locator("#screen-language").wait_for(state="visible")


def test_screens_reflow_at_200_percent_zoom(new_page: Any) -> None:
    # 200 % zoom of a 1280 px kiosk is a 640 px wide layout viewport: nothing may need sideways
    # scrolling.
    page = new_page("/kiosk", viewport={"width": 640, "height": 450})
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    choose_language(page, "ar")
    assert page.evaluate(fits)
    page.locator("#go-walkin").click()
    assert page.evaluate(fits)
    walk_in_from_concern(page)
    assert page.evaluate(fits)


def test_read_aloud_button_speaks_the_screen_in_languages_with_a_voice(new_page: Any) -> None:
    page = new_page("/kiosk")
    choose_language(page, "ti")
    assert not page.locator("#speak").is_visible()  # no offline Tigrinya voice
    page.locator("#restart").click()
    choose_language(page, "fa")
    with page.expect_response(lambda response: "/api/v1/speech" in response.url) as first:
        page.locator("#speak").click()
    spoken = first.value
    assert spoken.status == 200 and spoken.headers["content-type"] == "audio/wav"
    assert "language=fa" in spoken.url and "key=kiosk.menu.title" in spoken.url  # the heading first


def test_an_enrolled_kiosk_names_itself_and_keeps_its_token_over_the_wipe(
    new_page: Any, api: httpx.Client, admin_token: str
) -> None:
    admin = {"Authorization": f"Bearer {admin_token}"}
    created = api.post("/api/v1/admin/devices", json={"name": "Kiosk web test"}, headers=admin)
    assert created.status_code == 201, created.text
    page = new_page("/kiosk?idle=3")
    assert page.locator("#go-enrol").is_visible() and not page.locator("#enrol-done").is_visible()
    page.locator("#go-enrol").click()
    page.locator("#screen-enrol").wait_for(state="visible")
    assert_accessible(page)
    page.locator("#enrolment-code").fill(created.json()["enrolment_code_display"].lower())
    page.locator("#enrol-form button[type=submit]").click()
    page.locator("#enrol-done").wait_for(state="visible")
    assert not page.locator("#go-enrol").is_visible()
    token = page.evaluate("() => localStorage.getItem('lotse.kiosk.device')")
    assert token

    device_headers: list[str | None] = []
    page.on(
        "request",
        lambda request: (
            device_headers.append(request.headers.get("x-lotse-device"))
            if request.url.endswith("/api/v1/checkins")
            else None
        ),
    )
    choose_language(page, "uk")
    assert walk_in(page).isdigit()
    assert device_headers == [token]
    # the wipe after the client forgets the client, not the kiosk
    page.locator("#screen-language").wait_for(state="visible", timeout=8000)
    assert page.evaluate("() => localStorage.getItem('lotse.kiosk.device')") == token
    assert page.locator("#enrol-done").is_visible()

    # revoked: the kiosk drops its token and serves clients anonymously, as before enrolment
    device_id = created.json()["device"]["id"]
    api.post(f"/api/v1/admin/devices/{device_id}/revoke", headers=admin).raise_for_status()
    choose_language(page, "de")
    assert walk_in(page).isdigit()
    assert page.evaluate("() => localStorage.getItem('lotse.kiosk.device')") is None
