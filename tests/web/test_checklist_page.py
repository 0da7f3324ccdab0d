"""The client's own checklist page in Chromium (Arabic, right to left, German term beside) and
the admin content review."""

from __future__ import annotations

from typing import Any

import httpx

from kiosk_api.i18n import translate_text
from tests.web.conftest import assert_accessible
from tests.web.test_desk_display import desk_login


def new_client(api: httpx.Client, language: str = "ar") -> tuple[str, str]:
    """A client with consent and a few answers (a child, AsylbLG), as the kiosk or the chat would
    store them."""
    notice = api.get("/api/v1/consent/notice", params={"language": language}).json()
    receipt = api.post(
        "/api/v1/consents",
        json={"language": language, "notice_version": notice["version"], "channel": "web_chat"},
    )
    assert receipt.status_code == 201, receipt.text
    ref, pin = receipt.json()["reference_code"], receipt.json()["pin"]
    changed = api.patch(
        f"/api/v1/intakes/{ref}",
        headers={"X-Lotse-Pin": pin},
        json={
            "residence_status": "permit_25_2",
            "registration_certificate": False,
            "asylblg_since": "2025-02-01",
            "household": [{"relation": "child", "birth_date": "2019-05-05"}],
        },
    )
    assert changed.status_code == 200, changed.text
    return ref, pin


def open_checklist(page: Any, ref: str, pin: str) -> None:
    page.locator("#code").fill(ref.lower())  # typed as people do: lower case, with dashes
    page.locator("#pin").fill(pin)
    page.locator("#show").click()


def test_checklist_in_arabic_is_right_to_left_with_the_german_term_beside(
    new_page: Any, api: httpx.Client, base_url: str
) -> None:
    ref, pin = new_client(api)
    expected = api.get(
        f"/api/v1/intakes/{ref}/checklist", params={"language": "ar"}, headers={"X-Lotse-Pin": pin}
    ).json()
    page = new_page("/checklist?lang=ar")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar"
    assert page.locator("#show").inner_text() == "اعرض قائمتي"
    open_checklist(page, ref, pin)
    page.locator("#result").wait_for(state="visible")
    assert page.locator("#title").inner_text() == expected["title"]
    items = page.locator("#documents li")
    assert items.count() == len(expected["documents"]) >= 3
    assert page.locator("#steps li").count() == len(expected["steps"])
    for index, entry in enumerate(expected["documents"]):
        text, german = items.nth(index).locator(".text"), items.nth(index).locator(".german")
        assert (
            text.inner_text() == entry["text"]
            and text.get_attribute("lang") == "ar"
            and text.get_attribute("dir") == "rtl"
        )
        assert entry["german"] in german.inner_text() and german.get_attribute("lang") == "de"
        assert entry["text"] != entry["german"]
        # Beside, not below, and mirrored: the Arabic text on the right, the German term on its
        # left.
        text_box, german_box = text.bounding_box(), german.bounding_box()
        assert text_box["x"] > german_box["x"] and abs(text_box["y"] - german_box["y"]) < 5
    assert page.locator("#reference").inner_text() == expected["reference_code"]
    page.wait_for_function(
        "() => document.getElementById('qr').complete && "
        "document.getElementById('qr').naturalWidth > 0"
    )
    assert page.locator("#qr").get_attribute("alt")
    assert page.locator("#title").bounding_box()["x"] > page.locator("#qr").bounding_box()["x"]
    assert_accessible(page)
    assert all(url.startswith(base_url) for url in requests), [
        u for u in requests if not u.startswith(base_url)
    ]

    with page.expect_download() as download_info:
        page.locator("#pdf").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    page.emulate_media(media="print")
    assert not page.locator("#proof-form").is_visible() and not page.locator("#pdf").is_visible()
    assert page.locator("#documents li").first.is_visible() and page.locator("#qr").is_visible()


def test_a_wrong_pin_shows_the_apis_message_in_the_clients_language(
    new_page: Any, api: httpx.Client
) -> None:
    ref, pin = new_client(api)
    wrong = "000000" if pin != "000000" else "111111"
    answer = api.get(
        f"/api/v1/intakes/{ref}/checklist", headers={"X-Lotse-Pin": wrong, "Accept-Language": "ar"}
    )
    assert answer.status_code == 401
    message = answer.json()["error"]["message"]
    page = new_page("/checklist?lang=ar")
    open_checklist(page, ref, wrong)
    page.locator("#error").filter(has_text=message).wait_for()
    assert page.locator("#error").inner_text() == message
    assert page.locator("#result").is_hidden()


def test_the_checklist_route_qr_only_draws_reference_codes(api: httpx.Client) -> None:
    ok = api.get("/api/v1/qr.svg", params={"data": "LT7K3M9QXP"})
    assert (
        ok.status_code == 200
        and ok.headers["content-type"].startswith("image/svg+xml")
        and b"<svg" in ok.content
    )
    for data in ("https://example.org/", "LT-7K3M-9QXP", "LT7K3M9QX", "lt7k3m9qxp"):
        refused = api.get("/api/v1/qr.svg", params={"data": data})
        assert refused.status_code == 422, data


def test_admin_lists_unreviewed_content_and_translation_pairs(
    new_page: Any, api: httpx.Client, admin_token: str
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    review = api.get("/api/v1/admin/content/unreviewed", headers=headers).json()
    assert review["total"] >= 1
    first = review["items"][0]
    desk = new_page("/desk")
    desk_login(desk)
    desk.locator('[data-tab="admin"]').click()
    row = desk.locator(
        "#content-review tbody "
        f'tr[data-topic="{first["topic"]}"][data-language="{first["language"]}"]'
    ).first
    row.wait_for()
    cells = row.locator("td")
    assert cells.nth(0).inner_text() == first["topic"] and cells.nth(2).inner_text() == str(
        first["version"]
    )
    assert (
        cells.nth(6).inner_text()
        == translate_text("common.yes" if first["reviewed"] else "common.no", "de").text
    )
    assert desk.locator("#content-review tbody tr").count() == len(review["items"])
    desk.locator("#translation-pairs tbody tr").first.wait_for()
    assert_accessible(desk)
