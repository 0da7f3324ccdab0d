"""The desk sees arrivals live, calls them; the call display and the client's phone follow
without reloading."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.web.conftest import assert_accessible
from tests.web.harness import ADMIN_PASSWORD, BOT_TOKEN
from tests.web.test_kiosk import choose_language, walk_in


def desk_login(page: Any) -> None:
    page.locator("#username").fill("admin")
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.locator("#app").wait_for(state="visible")
    page.locator("#live-state").filter(has_text="Live").wait_for()


def test_desk_sees_the_ticket_live_calls_it_and_the_display_and_phone_show_it(
    new_page: Any,
) -> None:
    desk = new_page("/desk")
    assert desk.locator("html").get_attribute("lang") == "de"
    assert desk.locator("#h-login").inner_text() == "Anmeldung für Mitarbeitende"
    assert_accessible(desk)
    desk_login(desk)
    desk.evaluate("() => { window.__noReload = true; }")
    display = new_page("/display")
    display.evaluate("() => { window.__noReload = true; }")
    # The live view reads only the tickets that changed, never the whole queue again.
    queue_reads: list[str] = []
    desk.on(
        "request",
        lambda request: (
            queue_reads.append(request.url)
            if "/api/v1/staff/queue" in request.url and "/stream" not in request.url
            else None
        ),
    )

    kiosk = new_page("/kiosk")
    choose_language(kiosk, "ar")
    number = walk_in(kiosk)

    row = desk.locator(f'#queue tbody tr[data-number="{number}"]')
    row.wait_for()
    assert "Arabisch" in row.inner_text()
    assert queue_reads and all("?ids=" in url for url in queue_reads), queue_reads
    row.click()
    desk.locator("#desk-name").fill("7")
    desk.locator("#act-call").click()
    desk.locator(f'#queue tbody tr[data-number="{number}"]').filter(has_text="7").wait_for()
    assert desk.evaluate("() => window.__noReload") is True

    call = display.locator(f'#calls li[data-number="{number}"]')
    call.wait_for()
    text = call.locator(".text")
    assert text.get_attribute("lang") == "ar" and text.get_attribute("dir") == "rtl"
    assert "7" in text.inner_text()
    assert display.evaluate("() => window.__noReload") is True
    assert_accessible(display)

    code = kiosk.evaluate("() => document.getElementById('ticket-qr').getAttribute('src')").split(
        "/"
    )[4]
    kiosk.locator("#finish").click()
    phone = new_page(
        f"/ticket/{code}", viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True
    )
    assert phone.locator("html").get_attribute("dir") == "rtl"
    alert = phone.locator("#alert")
    alert.wait_for(state="visible")
    assert "7" in alert.inner_text()
    # From the phone, the chat and the documents checklist open in the client's language.
    assert phone.locator("#chat-link").get_attribute("href") == "/chat?lang=ar"
    assert phone.locator("#checklist-link").get_attribute("href") == "/checklist?lang=ar"
    assert phone.locator("#service span[lang='de']").count() == 1
    assert_accessible(phone)


def test_phone_alerts_when_the_turn_is_near(
    new_page: Any, api: httpx.Client, admin_token: str
) -> None:
    tickets = [
        api.post(
            "/api/v1/checkins",
            json={"walk_in": {"language": "ti", "concern": "other"}},
            headers={"Idempotency-Key": f"near-{i}-{id(api)}"},
        ).json()
        for i in range(4)
    ]
    last = tickets[-1]
    phone = new_page(f"/ticket/{last['ticket_code']}")
    assert phone.locator("html").get_attribute("lang") == "ti"
    phone.locator("#number").filter(has_text=last["display_number"]).wait_for()
    headers = {"Authorization": f"Bearer {admin_token}"}
    # Finish everyone waiting before it, until at most two are left in front.
    queue = api.get("/api/v1/staff/queue", headers=headers).json()
    before = [
        e
        for e in queue
        if e["status"] == "waiting"
        and e["number"] < last["number"]
        and e["service_code"] == last["service_code"]
    ]
    for entry in before[: max(0, len(before) - 2)]:
        api.post(f"/api/v1/staff/tickets/{entry['id']}/no-show", headers=headers).raise_for_status()
    phone.locator("#alert").wait_for(state="visible")
    assert phone.locator("#position").inner_text() in {"0", "1", "2"}


def test_desk_opens_the_record_downloads_the_sheet_and_books(new_page: Any) -> None:
    kiosk = new_page("/kiosk")
    choose_language(kiosk, "fr")
    kiosk.locator("#go-register").click()
    kiosk.locator("#consent-accept").click()
    kiosk.locator('[data-concern="benefits_application"]').click()
    kiosk.locator("#given-name").fill("Amadou")
    kiosk.locator("#family-name").fill("Diallo")
    kiosk.locator("#concern-text").fill("Je voudrais demander des prestations.")
    kiosk.locator("#concern-submit").click()
    kiosk.locator("#screen-ticket").wait_for(state="visible")
    number = kiosk.locator("#ticket-number").inner_text()

    desk = new_page("/desk")
    desk_login(desk)
    desk.locator(f'#queue tbody tr[data-number="{number}"]').click()
    assert "Amadou Diallo" in desk.locator("#detail-body").inner_text()
    desk.locator("#act-record").click()
    record = desk.locator("#record-fields")
    record.wait_for()
    assert "Diallo" in record.inner_text()
    with desk.expect_download() as download:
        desk.locator("#act-pdf").click()
    path = download.value.path()
    assert open(path, "rb").read(5) == b"%PDF-"
    desk.locator("#booking-slot option").first.wait_for(state="attached")
    desk.locator("#act-book").click()
    desk.locator("#booking-result").filter(has_text="Gebucht").wait_for()
    assert_accessible(desk)


def test_admin_pages_show_weekly_statistics_as_a_chart(new_page: Any, api: httpx.Client) -> None:
    api.post(
        "/api/v1/checkins",
        json={"walk_in": {"language": "uk", "concern": "documents"}},
        headers={"Idempotency-Key": "stats-uk"},
    )
    desk = new_page("/desk")
    desk_login(desk)
    desk.locator('[data-tab="admin"]').click()
    desk.locator("#chart svg rect").first.wait_for()
    assert desk.locator("#chart svg").get_attribute("role") == "img"
    assert desk.locator("#chart .legend li").count() >= 1
    assert int(desk.locator("#retention").input_value()) >= 1
    desk.locator("#retention").fill("120")
    desk.locator("#site-form button[type=submit]").click()
    desk.locator("#admin-status").filter(has_text="Gespeichert").wait_for()
    assert desk.locator("#services tbody tr").count() >= 1
    assert desk.locator("#staff tbody tr").count() >= 1
    assert_accessible(desk)


def test_desk_inbox_shows_the_clients_chat_in_german_and_sends_a_reply(
    new_page: Any, api: httpx.Client, chat_handover: str
) -> None:
    desk = new_page("/desk")
    desk_login(desk)
    desk.locator('[data-tab="inbox"]').click()
    row = desk.locator("#inbox tbody tr").filter(has_text="Arabisch").first
    row.click()
    messages = desk.locator("#messages li")
    messages.first.wait_for()
    assert (
        "أحتاج" in desk.locator("#messages").inner_text()
    )  # the original is always beside the German text
    desk.locator("#reply").fill("Bitte kommen Sie morgen um 9 Uhr.")
    desk.locator("#reply-form button[type=submit]").click()
    desk.locator("#messages li.from-staff").filter(has_text="morgen").wait_for()
    assert_accessible(desk)
    desk.locator("#close-conversation").click()
    desk.locator("#close-conversation").wait_for(state="attached")
    desk.wait_for_function("() => document.getElementById('close-conversation').disabled")


def test_desk_hands_over_and_finishes_tickets(new_page: Any, api: httpx.Client) -> None:
    first = api.post(
        "/api/v1/checkins",
        json={"walk_in": {"language": "ru", "concern": "benefits_application"}},
        headers={"Idempotency-Key": "handover-1"},
    ).json()
    second = api.post(
        "/api/v1/checkins",
        json={"walk_in": {"language": "tr", "concern": "other"}},
        headers={"Idempotency-Key": "handover-2"},
    ).json()
    desk = new_page("/desk")
    desk_login(desk)
    row = desk.locator(f'#queue tbody tr[data-number="{first["display_number"]}"]')
    row.click()
    desk.locator("#handover-service").select_option("benefits")
    desk.locator("#act-handover").click()
    desk.locator("#detail-body").filter(has_text="Leistungsabteilung").wait_for()
    desk.locator("#act-done").click()
    row.wait_for(state="detached")
    other = desk.locator(f'#queue tbody tr[data-number="{second["display_number"]}"]')
    other.click()
    desk.locator("#act-noshow").click()
    other.wait_for(state="detached")
    statuses = {
        t["ticket_code"]: api.get(f"/api/v1/tickets/{t['ticket_code']}").json()["status"]
        for t in (first, second)
    }
    assert statuses == {first["ticket_code"]: "done", second["ticket_code"]: "no_show"}


def test_admin_edits_opening_hours_slot_capacity_interpreter_language_and_staff(
    new_page: Any, api: httpx.Client, admin_token: str
) -> None:
    desk = new_page("/desk")
    desk_login(desk)
    desk.locator('[data-tab="admin"]').click()
    desk.locator("#chart svg").wait_for()  # the admin pages have loaded
    desk.locator("#hours").fill("0 08:00-12:00\n2 13:00-17:30")
    desk.locator("#hours-form button[type=submit]").click()
    desk.locator("#admin-status").filter(has_text="Gespeichert").wait_for()
    headers = {"Authorization": f"Bearer {admin_token}"}
    hours = api.get("/api/v1/admin/opening-hours", headers=headers).json()
    assert [(w["weekday"], w["opens"][:5], w["closes"][:5]) for w in hours] == [
        (0, "08:00", "12:00"),
        (2, "13:00", "17:30"),
    ]

    day = api.get("/api/v1/slots").json()[0]["starts_at"][:10]
    # The table opens on today in the site's time zone, which has no slots on a weekend or after the
    # last one: only a row shown before is waited out.
    rows = desk.locator("#slots tbody tr input[type=number]")
    before = rows.first.element_handle() if rows.count() else None
    desk.locator("#slots-day").fill(day)
    desk.locator("#slots-day").dispatch_event("change")
    if before is not None:  # edit the rows of the chosen day, not those of the table being replaced
        desk.wait_for_function("row => !row.isConnected", arg=before)
    capacity = desk.locator("#slots tbody tr input[type=number]").first
    capacity.wait_for()
    capacity.fill("5")
    capacity.dispatch_event("change")
    desk.locator("#slots tbody tr select").first.select_option("ti")
    desk.locator("#admin-status").filter(has_text="Gespeichert").wait_for()
    for _ in range(50):  # each change is saved by its own request, in flight side by side
        slot = api.get("/api/v1/admin/slots", params={"day": day}, headers=headers).json()[0]
        if slot["interpreter_language"] == "ti" and slot["capacity"] == 5:
            break
        time.sleep(0.1)
    assert slot["capacity"] == 5 and slot["interpreter_language"] == "ti"

    desk.locator("#new-username").fill("empfang2")
    desk.locator("#new-name").fill("Empfang Zwei")
    desk.locator("#new-role").select_option("desk")
    desk.locator("#new-password").fill("a-long-password-123")
    desk.locator("#staff-form button[type=submit]").click()
    desk.locator("#staff tbody tr").filter(has_text="empfang2").wait_for()
    login = api.post(
        "/api/v1/staff/login", json={"username": "empfang2", "password": "a-long-password-123"}
    )
    assert login.status_code == 200


def test_a_new_account_changes_the_password_an_admin_chose_before_the_desk_opens(
    new_page: Any, api: httpx.Client, admin_token: str
) -> None:
    chosen = "password the admin chose"
    api.post(
        "/api/v1/admin/staff",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"username": "mira", "display_name": "Mira", "role": "desk", "password": chosen},
    ).raise_for_status()
    desk = new_page("/desk")
    desk.locator("#username").fill("mira")
    desk.locator("#password").fill(chosen)
    desk.locator("#login-form button[type=submit]").click()
    desk.locator("#password-change").wait_for(state="visible")
    assert desk.locator("#h-password-change").inner_text() == "Passwort ändern"
    assert desk.locator("#app").is_hidden()
    assert_accessible(desk)

    desk.locator("#own-current-password").fill(chosen)
    desk.locator("#own-new-password").fill("Miras eigenes Passwort")
    desk.locator("#own-new-password-repeat").fill("Miras eigenes Passwort!")
    desk.locator("#password-form button[type=submit]").click()
    desk.locator("#error").filter(has_text="stimmen nicht überein").wait_for()

    desk.locator("#own-new-password-repeat").fill("Miras eigenes Passwort")
    desk.locator("#password-form button[type=submit]").click()
    desk.locator("#app").wait_for(state="visible")
    desk.locator("#live-state").filter(has_text="Live").wait_for()
    assert desk.locator("#password-change").is_hidden()
    login = api.post(
        "/api/v1/staff/login", json={"username": "mira", "password": "Miras eigenes Passwort"}
    )
    assert login.status_code == 200 and login.json()["must_change_password"] is False


def test_desk_sees_how_far_the_messenger_got_the_latest_message(
    new_page: Any, api: httpx.Client, chat_handover: str
) -> None:
    bot = {"Authorization": f"Bearer {BOT_TOKEN}"}
    api.post(
        f"/api/v1/handovers/{chat_handover}/delivery-status",
        json={"status": "held", "at": "2026-01-05T09:30:00+00:00"},
        headers=bot,
    ).raise_for_status()
    desk = new_page("/desk")
    desk_login(desk)
    desk.locator('[data-tab="inbox"]').click()
    desk.locator("#inbox tbody tr").filter(has_text="Arabisch").last.click()
    delivery = desk.locator("#delivery")
    delivery.wait_for()
    assert "24-Stunden-Fenster" in delivery.inner_text()
    assert_accessible(desk)
