"""The web router over HTTP: pages, UI strings, fonts, static files and QR codes (the event
streams: tests/api/test_queue_streams.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from kiosk_api import i18n
from kiosk_api.web import service
from kiosk_api.web.router import PAGES_DIR, STATIC_DIR

PAGES = ["/kiosk", "/desk", "/display", "/chat", "/volunteer"]


def walk_in(api: httpx.Client, language: str, key: str) -> dict:
    response = api.post(
        "/api/v1/checkins",
        json={"walk_in": {"language": language, "concern": "other"}},
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_served_with_language_direction_and_a_strict_policy(
    api: httpx.Client, path: str
) -> None:
    response = api.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "font-src 'self'" in policy
    assert re.search(r'<html lang="[a-z-A-Z]+" dir="(ltr|rtl)">', response.text)
    assert "https://" not in response.text and "http://" not in response.text


def test_lang_parameter_sets_language_and_direction(api: httpx.Client) -> None:
    assert '<html lang="ar" dir="rtl">' in api.get("/kiosk?lang=ar").text
    assert '<html lang="fa-AF" dir="rtl">' in api.get("/chat?lang=prs").text
    assert '<html lang="ti" dir="ltr">' in api.get("/chat?lang=ti").text
    # An unknown language is no error on a page: it opens in the default language.
    assert '<html lang="de" dir="ltr">' in api.get("/kiosk?lang=xx").text


def test_kiosk_idle_timeout_is_bounded(api: httpx.Client) -> None:
    assert api.get("/kiosk?idle=1").status_code == 422
    assert '"idle_seconds": 30' in api.get("/kiosk?idle=30").text


def test_boot_data_cannot_close_its_script_element(api: httpx.Client) -> None:
    html = api.get("/kiosk").text
    boot = html.split('<script type="application/json" id="boot">', 1)[1].split("</script>", 1)[0]
    assert "<" not in boot
    assert json.loads(boot)["page"] == "kiosk"


def test_ui_strings_per_page_and_language(api: httpx.Client) -> None:
    body = api.get("/api/v1/ui-strings", params={"language": "ar", "page": "kiosk"}).json()
    assert body["language"] == "ar" and body["direction"] == "rtl"
    assert body["strings"]["kiosk.start.title"] == i18n.translate("kiosk.start.title", "ar")
    assert all(key.startswith(service.PAGE_PREFIXES["kiosk"]) for key in body["strings"])
    assert not any(key.startswith("desk.") for key in body["strings"])
    for key, language in body["fallback"].items():
        assert language in ("en", "de") and i18n.translate_text(key, "ar").language == language
    desk = api.get("/api/v1/ui-strings", params={"language": "de", "page": "desk"}).json()
    assert (
        desk["strings"]["desk.queue.call_next"] == "Nächste Person aufrufen"
        and desk["fallback"] == {}
    )


def test_ui_strings_refuse_unknown_language_and_page(api: httpx.Client) -> None:
    response = api.get("/api/v1/ui-strings", params={"language": "xx"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "unknown_language"
    assert (
        api.get("/api/v1/ui-strings", params={"language": "de", "page": "secret"}).status_code
        == 422
    )


def test_every_key_the_pages_use_has_english_and_german_text() -> None:
    used: set[str] = set()
    pattern = re.compile(
        r'(?:data-t(?:-label|-placeholder)?="|\bt\(\s*"|setText\([^,]+,\s*"|tr\([^,]+,\s*")([a-z_]+\.[a-z_.]+)"'
    )
    for path in list(PAGES_DIR.glob("*.html")) + list((STATIC_DIR / "js").glob("*.js")):
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 100
    for key in sorted(used):
        for language in ("en", "de"):
            assert i18n.lookup(key, language).language == language, f"{key} has no {language} text"


def test_fonts_come_from_the_whitelist_only(api: httpx.Client) -> None:
    response = api.get("/fonts/NotoSansEthiopic-Regular.ttf")
    assert response.status_code == 200 and response.headers["content-type"] == "font/ttf"
    assert response.content[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")
    for name in ("Unknown.ttf", "..%2F..%2Fetc%2Fpasswd", "fonts.conf"):
        assert api.get(f"/fonts/{name}").status_code == 404


def test_static_files_stay_inside_their_folder(api: httpx.Client) -> None:
    assert (
        api.get("/static/js/kiosk.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )
    for path in (
        "/static/../router.py",
        "/static/%2e%2e/router.py",
        "/static/js/nothing.js",
        "/static/",
    ):
        assert api.get(path).status_code == 404


def test_ticket_qr_code_encodes_the_ticket_page(api: httpx.Client, base_url: str) -> None:
    ticket = walk_in(api, "ar", "qr-ticket")
    response = api.get(f"/api/v1/tickets/{ticket['ticket_code']}/qr.svg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    expected = service.qr_svg(f"{base_url}/ticket/{ticket['ticket_code']}?lang=ar")
    assert response.content == expected
    assert api.get("/api/v1/tickets/NOSUCHTICKET/qr.svg").status_code == 404
    page = api.get(f"/ticket/{ticket['ticket_code']}")
    assert page.status_code == 200 and '<html lang="ar" dir="rtl">' in page.text
    assert api.get("/ticket/NOSUCHTICKET").status_code == 404


def test_vendored_widget_fetches_nothing_from_the_internet() -> None:
    widget = Path(STATIC_DIR / "vendor" / "rasa-webchat.js")
    assert widget.is_file(), "run `make web-assets`"
    assert "fonts.googleapis.com/css" not in widget.read_text(encoding="utf-8", errors="replace")


def test_kiosk_texts_are_read_aloud_offline_where_a_voice_exists(api: httpx.Client) -> None:
    response = api.get("/api/v1/speech", params={"language": "ar", "key": "kiosk.start.title"})
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and len(response.content) > 10_000
    assert (
        api.get("/api/v1/speech", params={"language": "ti", "key": "kiosk.start.title"}).json()[
            "error"
        ]["code"]
        == "no_voice"
    )
    # Only the kiosk's catalog texts are spoken: no other page's keys, no free text.
    assert (
        api.get("/api/v1/speech", params={"language": "de", "key": "desk.title"}).status_code == 404
    )
    assert (
        api.get("/api/v1/speech", params={"language": "de", "key": "Hallo Welt"}).status_code == 422
    )
    assert (
        api.get("/api/v1/speech", params={"language": "xx", "key": "kiosk.start.title"}).status_code
        == 422
    )
