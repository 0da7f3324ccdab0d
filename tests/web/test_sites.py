"""Many sites in one deployment, in Chromium: the desk works on one of the staff member's sites at a
time, kiosks and call displays serve the site they were enrolled for, and the deployment admin
manages the sites.

Each test adds its own sites (copies of sites/dortmund/site.yml under other codes) to the shared
server, so it depends neither on other tests nor on other example sites."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from tests.web.conftest import assert_accessible
from tests.web.harness import WebServer
from tests.web.test_kiosk import choose_language, walk_in

PASSWORD = "password-for-site-web-tests"
DEFAULT = "dortmund"  # the deployment's default site (LOTSE_DEFAULT_SITE)
CODE = re.compile(r"\b[A-Z0-9]{2}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")


def login(api: httpx.Client, username: str) -> dict[str, str]:
    response = api.post("/api/v1/staff/login", json={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def desk_login(page: Any, username: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.locator("#app").wait_for(state="visible")


def queue(api: httpx.Client, staff: dict[str, str], site: str) -> list[dict[str, Any]]:
    response = api.get("/api/v1/staff/queue", headers={**staff, "X-Lotse-Site": site})
    response.raise_for_status()
    return response.json()


def enrolled_kiosk(api: httpx.Client, admin: dict[str, str]) -> dict[str, str]:
    """A kiosk of the site admin's site, enrolled through the API: its X-Lotse-Device header."""
    created = api.post("/api/v1/admin/devices", json={"name": "Kiosk API"}, headers=admin)
    created.raise_for_status()
    enrolled = api.post(
        "/api/v1/devices/enrol", json={"enrolment_code": created.json()["enrolment_code"]}
    )
    enrolled.raise_for_status()
    return {"X-Lotse-Device": enrolled.json()["token"]}


def walk_in_by_api(api: httpx.Client, language: str, headers: dict[str, str] | None = None) -> str:
    response = api.post(
        "/api/v1/checkins",
        json={"walk_in": {"language": language, "concern": "documents"}},
        headers={"Idempotency-Key": str(uuid.uuid4()), **(headers or {})},
    )
    assert response.status_code == 201, response.text
    return response.json()["display_number"]


def shown_ids(page: Any) -> set[int]:
    ids = page.eval_on_selector_all("#queue tbody tr", "rows => rows.map(r => r.dataset.id)")
    return {int(value) for value in ids}


def wait_for_queue(page: Any, ids: set[int]) -> None:
    page.wait_for_function(
        "ids => { const shown = [...document.querySelectorAll('#queue tbody tr')]"
        ".map(r => Number(r.dataset.id)).sort((a, b) => a - b);"
        " return JSON.stringify(shown) === JSON.stringify(ids); }",
        arg=sorted(ids),
    )


def admin_creates_device(page: Any, name: str, kind: str) -> str:
    """The site admin adds a kiosk or display in the desk's admin section; the one-time code."""
    page.locator('[data-tab="admin"]').click()
    page.locator("#tab-admin").wait_for(state="visible")
    page.locator("#device-name").fill(name)
    page.locator("#device-kind").select_option(kind)
    page.locator("#device-form button[type=submit]").click()
    shown = page.locator("#enrolment-code")
    shown.wait_for(state="visible")
    page.locator("#devices tbody tr").filter(has_text=name).wait_for()
    match = CODE.search(shown.inner_text())
    assert match, shown.inner_text()
    return match.group(0)


def test_a_desk_user_of_two_sites_switches_site_and_sees_only_that_sites_queue(
    new_page: Any, api: httpx.Client, web_server: WebServer
) -> None:
    web_server.add_sites(
        "wsa:Jobcenter Weststadt",
        staff=(f"two_sites:desk:{PASSWORD}:{DEFAULT},wsa", f"wsa_admin:admin:{PASSWORD}:wsa"),
    )
    staff = login(api, "two_sites")
    kiosk_b = enrolled_kiosk(api, login(api, "wsa_admin"))
    walk_in_by_api(api, "ti", kiosk_b)
    walk_in_by_api(api, "so")  # an unenrolled kiosk: the default site
    ids_b = {entry["id"] for entry in queue(api, staff, "wsa")}
    ids_a = {entry["id"] for entry in queue(api, staff, DEFAULT)}
    assert len(ids_b) == 1 and ids_a and not ids_a & ids_b

    desk = new_page("/desk")
    streams: list[str | None] = []
    desk.on(
        "request",
        lambda request: (
            streams.append(request.headers.get("x-lotse-site"))
            if request.url.endswith("/api/v1/staff/queue/stream")
            else None
        ),
    )
    desk_login(desk, "two_sites")
    chooser = desk.locator("#site-choice")
    chooser.wait_for(state="visible")
    options = chooser.locator("option")
    assert sorted(options.evaluate_all("os => os.map(o => o.value)")) == sorted([DEFAULT, "wsa"])
    assert_accessible(desk)

    chooser.select_option("wsa")
    wait_for_queue(desk, ids_b)
    assert queue(api, staff, "wsa")[0]["language_name"] in desk.locator("#queue tbody").inner_text()
    desk.locator("#live-state").filter(has_text="Live").wait_for()
    # live: a new arrival at this site appears, one at the other site does not
    walk_in_by_api(api, "so")
    walk_in_by_api(api, "uk", kiosk_b)
    ids_b = {entry["id"] for entry in queue(api, staff, "wsa")}
    assert len(ids_b) == 2
    wait_for_queue(desk, ids_b)
    assert streams[-1] == "wsa"

    # the choice outlives a reload of the tab
    desk.reload()
    desk.locator("#app").wait_for(state="visible")
    assert desk.locator("#site-choice").input_value() == "wsa"
    wait_for_queue(desk, ids_b)

    desk.locator("#site-choice").select_option(DEFAULT)
    ids_a = {entry["id"] for entry in queue(api, staff, DEFAULT)}
    wait_for_queue(desk, ids_a)
    assert not shown_ids(desk) & ids_b
    desk.locator("#live-state").filter(has_text="Live").wait_for()
    assert streams[-1] == DEFAULT


def test_a_desk_user_of_one_site_sees_no_site_chooser(
    new_page: Any, api: httpx.Client, web_server: WebServer
) -> None:
    web_server.add_sites(
        "wsb:Jobcenter Nordstadt",
        staff=(f"one_site:desk:{PASSWORD}:wsb", f"wsb_admin:admin:{PASSWORD}:wsb"),
    )
    walk_in_by_api(api, "fa", enrolled_kiosk(api, login(api, "wsb_admin")))
    ids = {entry["id"] for entry in queue(api, login(api, "one_site"), "wsb")}
    desk = new_page("/desk")
    desk_login(desk, "one_site")
    desk.locator("#live-state").filter(has_text="Live").wait_for()
    wait_for_queue(desk, ids)
    assert not desk.locator("#site-choice").is_visible()
    assert desk.locator("#site-name").inner_text() == "Jobcenter Nordstadt"


def test_a_kiosk_enrolled_with_another_sites_code_checks_clients_in_there(
    new_page: Any, api: httpx.Client, web_server: WebServer
) -> None:
    web_server.add_sites(
        "wsc:Jobcenter Oststadt",
        staff=(f"wsc_admin:admin:{PASSWORD}:wsc", f"wsc_both:desk:{PASSWORD}:{DEFAULT},wsc"),
    )
    desk = new_page("/desk")
    desk_login(desk, "wsc_admin")
    code = admin_creates_device(desk, "Kiosk Eingang", "kiosk")
    staff = login(api, "wsc_both")
    default_before = len(queue(api, staff, DEFAULT))

    kiosk = new_page("/kiosk?idle=3")
    assert not kiosk.locator("#site-name").is_visible()
    kiosk.locator("#go-enrol").click()
    kiosk.locator("#enrolment-code").fill(code)
    kiosk.locator("#enrol-form button[type=submit]").click()
    kiosk.locator("#enrol-done").wait_for(state="visible")
    assert kiosk.locator("#site-name").inner_text() == "Jobcenter Oststadt"
    choose_language(kiosk, "ar")
    number = walk_in(kiosk)

    entries = queue(api, staff, "wsc")
    assert [(entry["display_number"], entry["language"]) for entry in entries] == [(number, "ar")]
    assert len(queue(api, staff, DEFAULT)) == default_before
    # the site admin's desk sees it too
    desk.locator('[data-tab="queue"]').click()
    desk.locator(f'#queue tbody tr[data-id="{entries[0]["id"]}"]').wait_for()
    ticket_code = kiosk.evaluate(
        "() => document.getElementById('ticket-qr').getAttribute('src')"
    ).split("/")[4]
    # the wipe after the client keeps the kiosk's site
    kiosk.locator("#screen-language").wait_for(state="visible", timeout=8000)
    assert kiosk.locator("#site-name").inner_text() == "Jobcenter Oststadt"

    # the client's phone follows the ticket of this site, also when its desk calls
    phone = new_page(f"/ticket/{ticket_code}", viewport={"width": 390, "height": 800})
    phone.locator("#number").filter(has_text=number).wait_for()
    api.post(
        f"/api/v1/staff/tickets/{entries[0]['id']}/call",
        json={"desk": "12"},
        headers={**staff, "X-Lotse-Site": "wsc"},
    ).raise_for_status()
    phone.locator("#alert").filter(has_text="12").wait_for()


def test_a_display_enrolled_by_the_site_admin_shows_its_own_sites_calls(
    new_page: Any, api: httpx.Client, web_server: WebServer
) -> None:
    web_server.add_sites("wsd:Jobcenter Südstadt", staff=(f"wsd_admin:admin:{PASSWORD}:wsd",))
    admin = login(api, "wsd_admin")
    desk = new_page("/desk")
    desk_login(desk, "wsd_admin")
    code = admin_creates_device(desk, "Anzeige Wartebereich", "display")
    assert "Aufrufanzeige" in desk.locator("#devices tbody").inner_text()

    display = new_page("/display")
    devices: list[str | None] = []
    display.on(
        "request",
        lambda request: (
            devices.append(request.headers.get("x-lotse-device"))
            if request.url.endswith("/api/v1/display/stream")
            else None
        ),
    )
    display.locator("#go-enrol").click()
    display.locator("#enrolment-code").fill(code)
    display.locator("#enrol-form button[type=submit]").click()
    display.locator("#site-name").filter(has_text="Jobcenter Südstadt").wait_for()
    assert not display.locator("#go-enrol").is_visible()
    assert_accessible(display)

    number = walk_in_by_api(api, "ar", enrolled_kiosk(api, admin))
    ticket = queue(api, admin, "wsd")[0]
    api.post(
        f"/api/v1/staff/tickets/{ticket['id']}/call", json={"desk": "5"}, headers=admin
    ).raise_for_status()
    display.locator(f'#calls li[data-number="{number}"]').filter(has_text="5").wait_for()
    # only this site's calls: the default site's (other tests call there) are not shown
    assert display.locator("#calls li").count() == 1
    token = display.evaluate("() => localStorage.getItem('lotse.display.device')")
    assert token and devices and devices[-1] == token

    # revoked by the site admin: the display forgets its credential and shows the default site's
    device = desk.locator("#devices tbody tr").filter(has_text="Anzeige Wartebereich")
    device.locator("button").click()
    device.filter(has_text="gesperrt").wait_for()
    display.reload()
    display.locator("#go-enrol").wait_for(state="visible")
    assert not display.locator("#site-name").is_visible()
    assert display.evaluate("() => localStorage.getItem('lotse.display.device')") is None
    for _ in range(50):  # the stream opens again, now without the credential
        if devices[-1] is None:
            break
        display.wait_for_timeout(100)
    assert devices[-1] is None


def test_the_deployment_admin_lists_sites_switches_one_off_and_gives_staff_sites(
    new_page: Any, api: httpx.Client, web_server: WebServer
) -> None:
    web_server.add_sites(
        "wse:Jobcenter Weitweg",
        staff=(f"deployment:deployment_admin:{PASSWORD}:", f"wse_desk:desk:{PASSWORD}:wse"),
    )
    assert "wse" in {site["code"] for site in api.get("/api/v1/sites").json()}
    page = new_page("/desk")
    desk_login(page, "deployment")
    page.locator("#tab-deployment").wait_for(state="visible")
    # no queue, inbox or site admin: a deployment admin sees no site's records
    for tab in ("queue", "inbox", "admin"):
        assert not page.locator(f'[data-tab="{tab}"]').is_visible()
    assert not page.locator("#tab-queue").is_visible()
    row = page.locator('#deployment-sites tbody tr[data-site="wse"]')
    row.wait_for()
    assert "Jobcenter Weitweg" in row.inner_text()
    assert page.locator(f'#deployment-sites tbody tr[data-site="{DEFAULT}"]').is_visible()
    assert page.locator('#deployment-stats tbody tr[data-site="wse"]').count() == 4
    assert_accessible(page)

    switch = row.locator("input[type=checkbox]")
    assert switch.is_checked()
    switch.uncheck()
    page.locator("#deployment-status").filter(has_text="Gespeichert").wait_for()
    assert "wse" not in {site["code"] for site in api.get("/api/v1/sites").json()}
    page.reload()
    page.locator('#deployment-sites tbody tr[data-site="wse"]').wait_for()
    assert not page.locator(
        '#deployment-sites tbody tr[data-site="wse"] input[type=checkbox]'
    ).is_checked()

    person = page.locator('#deployment-staff tbody tr[data-staff="wse_desk"]')
    assert "Jobcenter Weitweg" in person.inner_text()
    person.locator("button").click()
    page.locator("#staff-sites-form").wait_for(state="visible")
    page.locator(f'#staff-sites-choices input[value="{DEFAULT}"]').check()
    page.locator("#staff-sites-form button[type=submit]").click()
    page.locator("#staff-sites-form").wait_for(state="hidden")
    staff = api.get("/api/v1/deployment/staff", headers=login(api, "deployment")).json()
    sites = next(member["sites"] for member in staff if member["username"] == "wse_desk")
    assert sorted(site["code"] for site in sites) == sorted([DEFAULT, "wse"])
