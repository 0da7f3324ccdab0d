"""`make screenshots`: every screen, left-to-right and right-to-left, as PNG files in screenshots/
(git-ignored).

python -m tests.web.screenshots [folder]   starts its own server on a temporary database, like the
browser tests.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from tests.web.harness import ADMIN_PASSWORD, BOT_TOKEN, launch, web_server

LANGUAGES = {"ltr": "ti", "rtl": "ar"}
KIOSK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shoot(page: Any, folder: Path, name: str) -> None:
    page.evaluate("() => document.fonts.ready")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    print(f"{folder / name}.png")


def kiosk_screens(browser: Any, base: str, folder: Path, direction: str, code: str) -> str:
    context = browser.new_context(base_url=base, viewport=KIOSK, locale="de-DE")
    page = context.new_page()
    page.goto("/kiosk")
    if direction == "ltr":
        shoot(page, folder, "kiosk-1-languages-ltr")
    page.locator(f'#languages button[data-lang="{code}"]').click()
    page.locator("#screen-menu").wait_for(state="visible")
    shoot(page, folder, f"kiosk-2-menu-{direction}")
    page.locator("#go-checkin").click()
    shoot(page, folder, f"kiosk-3-checkin-{direction}")
    page.locator("#screen-checkin .back").click()
    page.locator("#go-register").click()
    page.locator("#screen-consent").wait_for(state="visible")
    shoot(page, folder, f"kiosk-4-consent-{direction}")
    page.locator("#consent-accept").click()
    page.locator('[data-concern="first_registration"]').click()
    page.locator("#given-name").fill("Samira" if direction == "rtl" else "Tesfay")
    shoot(page, folder, f"kiosk-5-concern-{direction}")
    page.locator("#concern-submit").click()
    page.locator("#screen-ticket").wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('ticket-qr').complete")
    shoot(page, folder, f"kiosk-6-ticket-{direction}")
    page.emulate_media(media="print")
    shoot(page, folder, f"kiosk-7-ticket-print-{direction}")
    ticket_code = page.evaluate(
        "() => document.getElementById('ticket-qr').getAttribute('src')"
    ).split("/")[4]
    context.close()
    return ticket_code


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".gitignore").write_text("*\n", encoding="utf-8")
    with (
        web_server() as base,
        sync_playwright() as playwright,
        httpx.Client(base_url=base, timeout=10) as api,
    ):
        browser = launch(playwright)
        tickets = {
            direction: kiosk_screens(browser, base, folder, direction, code)
            for direction, code in LANGUAGES.items()
        }
        token = api.post(
            "/api/v1/staff/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        queue = api.get("/api/v1/staff/queue", headers=headers).json()

        # Desk (German): login, live queue with a record open, admin with the weekly chart.
        context = browser.new_context(
            base_url=base, viewport={"width": 1440, "height": 1000}, locale="de-DE"
        )
        desk = context.new_page()
        desk.goto("/desk")
        shoot(desk, folder, "desk-1-login-ltr")
        desk.locator("#username").fill("admin")
        desk.locator("#password").fill(ADMIN_PASSWORD)
        desk.locator("#login-form button[type=submit]").click()
        desk.locator("#queue tbody tr").first.wait_for()
        desk.locator("#queue tbody tr").first.click()
        desk.locator("#act-record").click()
        desk.locator("#record").wait_for(state="visible")
        shoot(desk, folder, "desk-2-queue-record-ltr")
        bot = {"Authorization": f"Bearer {BOT_TOKEN}"}
        api.post(
            "/api/v1/handovers",
            json={"conversation_id": "screenshot", "language": "fa", "output_channel": "socketio"},
            headers=bot,
        )
        api.post(
            "/api/v1/handovers/screenshot/messages",
            json={"text": "سلام، من یک سؤال درباره نامه جاب سنتر دارم."},
            headers=bot,
        )
        desk.locator('[data-tab="inbox"]').click()
        desk.locator("#inbox tbody tr").first.click()
        desk.locator("#messages li").first.wait_for()
        shoot(desk, folder, "desk-4-inbox-ltr")
        desk.locator('[data-tab="admin"]').click()
        desk.locator("#chart svg").wait_for()
        shoot(desk, folder, "desk-3-admin-ltr")
        context.close()

        # Calls: one Tigrinya (LTR) and one Arabic (RTL) client called, shown on the lobby display.
        for desk_name, entry in zip(("4", "9"), queue[:2]):
            api.post(
                f"/api/v1/staff/tickets/{entry['id']}/call",
                json={"desk": desk_name},
                headers=headers,
            ).raise_for_status()
        context = browser.new_context(base_url=base, viewport={"width": 1920, "height": 1080})
        display = context.new_page()
        display.goto("/display")
        display.locator("#calls li").nth(1).wait_for()
        shoot(display, folder, "display-ltr-rtl")
        context.close()

        for direction, code in LANGUAGES.items():
            context = browser.new_context(
                base_url=base, viewport=PHONE, is_mobile=True, has_touch=True
            )
            phone = context.new_page()
            phone.goto(f"/ticket/{tickets[direction]}")
            phone.locator("#number").filter(has_text="0").wait_for()
            time.sleep(0.3)
            shoot(phone, folder, f"ticket-phone-{direction}")
            phone.goto(f"/chat?lang={'fa' if direction == 'rtl' else code}")
            phone.wait_for_function("() => typeof window.WebChat?.default === 'function'")
            shoot(phone, folder, f"chat-{direction}")
            context.close()
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 1000})
            volunteer = context.new_page()
            volunteer.goto(f"/volunteer?client={code}")
            volunteer.locator("#consent > div").nth(1).wait_for()
            volunteer.locator("#consent-accept").click()
            volunteer.locator("#q-concern").select_option("documents")
            volunteer.locator("#q-interpreter_needed").select_option("true")
            shoot(volunteer, folder, f"volunteer-{direction}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
