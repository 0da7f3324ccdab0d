"""The chat finds the office responsible for the client (issue 16), end to end: a kiosk API set up
with every site under sites/ and the area table (as `lotse init` sets up a deployment), the action
server and a Rasa server on it, talked to through the REST channel."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator

import pytest
import requests
from servers import Servers, model_path
from test_e2e import say, shown_pin, texts, tracker

from bot.nlg.catalogs import all_catalogs
from bot.nlg.render import opening_hours

SOLINGEN_POSTCODE = "42651"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Its own kiosk API with every site, action server and Rasa server (the session's servers
    have one site, where the bot asks nothing)."""
    running = Servers(tmp_path_factory.mktemp("bot-sites"), all_sites=True)
    try:
        running.start_api()
        running.start_actions()
        running.start_rasa(model_path())
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def rasa(deployment: Servers) -> str:
    return deployment.rasa_url


def office(deployment: Servers, place: str) -> dict:
    found = requests.get(
        f"{deployment.api_url}/api/v1/sites/lookup", params={"place": place}, timeout=30
    )
    assert found.status_code == 200, found.text
    return found.json()


def site_of_record(deployment: Servers, reference_code: str) -> tuple[str, list[str]]:
    """The record's site and the sites of the slots booked for it, from the kiosk API's database."""
    with sqlite3.connect(deployment.workdir / "lotse.db") as db:
        (record_site,) = db.execute(
            "SELECT s.code FROM intake_records i JOIN sites s ON s.id = i.site_id "
            "WHERE i.reference_code = ?",
            (reference_code,),
        ).fetchone()
        slot_sites = [
            code
            for (code,) in db.execute(
                "SELECT s.code FROM bookings b JOIN slots sl ON sl.id = b.slot_id "
                "JOIN sites s ON s.id = sl.site_id JOIN intake_records i ON i.id = b.intake_id "
                "WHERE i.reference_code = ?",
                (reference_code,),
            )
        ]
    return record_site, slot_sites


def no_slot_keeps(rasa: str, sender: str, text: str) -> None:
    slots = tracker(rasa, sender)["slots"]
    assert not [name for name, value in slots.items() if text in json.dumps(value)], slots


def test_the_example_sites_are_several(deployment):
    sites = requests.get(f"{deployment.api_url}/api/v1/sites", timeout=30).json()
    assert {"dortmund", "solingen"} <= {s["code"] for s in sites}
    assert office(deployment, SOLINGEN_POSTCODE)["code"] == "solingen"


def test_a_client_from_solingen_is_told_the_office_and_registered_and_booked_there(
    rasa, deployment
):
    de = all_catalogs()["de"]
    solingen = office(deployment, SOLINGEN_POSTCODE)
    sender = f"site-{uuid.uuid4().hex[:8]}"
    say(rasa, sender, "Guten Tag")
    asked = texts(say(rasa, sender, "Ich möchte mich anmelden"))
    assert de["utter_ask_site"] in asked and "Version" not in asked

    told = texts(say(rasa, sender, SOLINGEN_POSTCODE))
    assert de["utter_site_found"].split("{")[0] in told
    assert solingen["name"] in told and solingen["street"] in told
    # Opening hours with German weekday names and times, as the bot formats them.
    hours = opening_hours(solingen["opening_hours"], "de")
    assert hours and hours in told
    assert "Version" in told  # then the consent notice, as asked for
    slots = tracker(rasa, sender)["slots"]
    assert slots["site"] == "solingen"
    no_slot_keeps(rasa, sender, SOLINGEN_POSTCODE)

    assert de["utter_ask_given_name"] in texts(say(rasa, sender, "/affirm"))
    say(rasa, sender, "Amal")
    say(rasa, sender, "Haddad")
    say(rasa, sender, "31.12.1990")
    say(rasa, sender, "/skip")
    say(rasa, sender, '/inform{"residence_status":"permit_25_2"}')
    assert "Amal" in texts(say(rasa, sender, "/skip"))
    done = texts(say(rasa, sender, "/affirm"))
    reference = tracker(rasa, sender)["slots"]["reference_code"]
    assert reference and reference in done
    shown_pin(done)

    days = say(rasa, sender, "Ich hätte gern einen Termin")
    assert de["utter_ask_site"] not in texts(days)  # the conversation has its office
    times = say(rasa, sender, days[-1]["buttons"][0]["payload"])
    booked = texts(say(rasa, sender, times[-1]["buttons"][0]["payload"]))
    assert "Buchungscode" in booked
    assert site_of_record(deployment, reference) == ("solingen", ["solingen"])


def test_a_general_question_is_answered_without_asking_for_the_place(rasa):
    de = all_catalogs()["de"]
    sender = f"site-topic-{uuid.uuid4().hex[:8]}"
    answered = texts(say(rasa, sender, "Was ist das Grundsicherungsgeld?"))
    assert de["utter_topic_footer"].split("\n", 1)[1].split("{")[0].strip() in answered
    assert de["utter_ask_site"] not in answered
    slots = tracker(rasa, sender)["slots"]
    assert slots.get("site") is None and slots.get("requested_slot") is None


def test_an_unknown_place_is_asked_again_then_the_sites_are_offered(rasa, deployment):
    de = all_catalogs()["de"]
    sender = f"site-unknown-{uuid.uuid4().hex[:8]}"
    say(rasa, sender, "Hallo")
    assert de["utter_ask_site"] in texts(say(rasa, sender, "Ich möchte einen Termin buchen"))
    again = texts(say(rasa, sender, "99999"))
    assert de["utter_ask_site_again"] in again
    assert tracker(rasa, sender)["slots"].get("site") is None

    offered = say(rasa, sender, "00001")
    assert de["utter_choose_site"] in texts(offered)
    buttons = {b["title"]: b["payload"] for b in offered[-1]["buttons"]}
    sites = requests.get(f"{deployment.api_url}/api/v1/sites", timeout=30).json()
    assert {s["name"] for s in sites} <= set(buttons)
    solingen = next(s for s in sites if s["code"] == "solingen")

    chosen = say(rasa, sender, buttons[solingen["name"]])
    assert solingen["name"] in texts(chosen)
    # with its opening hours, found from the site's own town
    assert opening_hours(office(deployment, "Solingen")["opening_hours"], "de") in texts(chosen)
    assert tracker(rasa, sender)["slots"]["site"] == "solingen"
    assert chosen[-1]["buttons"][0]["payload"].startswith('/inform{"day"')  # the booking goes on


def test_a_place_named_unasked_in_arabic_finds_the_office(rasa, deployment):
    ar = all_catalogs()["ar"]
    sender = f"site-ar-{uuid.uuid4().hex[:8]}"
    say(rasa, sender, "مرحبا، أحتاج مساعدة من فضلك")
    told = texts(say(rasa, sender, "أنا من زولينغن"))
    assert ar["utter_site_found"].split("{")[0].strip() in told
    assert opening_hours(office(deployment, "Solingen")["opening_hours"], "ar") in told
    assert tracker(rasa, sender)["slots"]["site"] == "solingen"


def test_the_place_in_the_first_request_is_used_at_once(rasa, deployment):
    de = all_catalogs()["de"]
    sender = f"site-once-{uuid.uuid4().hex[:8]}"
    say(rasa, sender, "Guten Tag")
    replies = say(rasa, sender, f"Ich wohne in {SOLINGEN_POSTCODE} Solingen")
    assert de["utter_ask_site"] not in texts(replies)
    assert office(deployment, SOLINGEN_POSTCODE)["name"] in texts(replies)
    days = say(rasa, sender, "Ich hätte gern einen Termin")
    assert de["utter_ask_site"] not in texts(days)
    assert days[-1]["buttons"][0]["payload"].startswith('/inform{"day"')
    assert tracker(rasa, sender)["slots"]["site"] == "solingen"
