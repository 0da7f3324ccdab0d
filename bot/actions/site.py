"""The office responsible for the client: asked for (postcode or town) only when the deployment has
more than one site and the conversation has none yet, and only before something that needs a site
(consent and pre-registration, booking, hand-over). Topic questions never need one.

The `site` slot keeps the site code, never the place the client typed."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.actions.common import SITE_SLOT, site_of
from bot.actions.info import suggest_topics
from bot.actions.understanding import FALLBACK

logger = logging.getLogger(__name__)
FORM = "site_form"
# What the client wanted before the office question: the rules go on with it (data/rules/site.yml).
NEXT_SLOT = "site_next"
NOTHING_PENDING = "none"
ATTEMPTS_SLOT = "site_attempts"
# Intents whose message is an answer to "where do you live?" even without a recognised place.
PLACE_INTENTS = {"inform_place", "inform", FALLBACK}
_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_WORD = re.compile(r"[^\W\d_][\w-]*", re.UNICODE)
MAX_WORDS = 8


def _entities(tracker: Tracker, name: str) -> list[str]:
    return [
        str(e["value"])
        for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") == name and e.get("value") not in (None, "")
    ]


def place_candidates(tracker: Tracker) -> list[str]:
    """What in the latest message may name a place, most specific first: postcodes, recognised
    towns, the whole short message, then its words one by one."""
    text = str((tracker.latest_message or {}).get("text") or "").translate(_DIGITS)
    if text.startswith("/"):
        text = ""
    found = [*_entities(tracker, "postcode"), *_POSTCODE.findall(text)]
    found += _entities(tracker, "place")
    words = _WORD.findall(text)
    if 0 < len(words) <= MAX_WORDS:
        found.append(" ".join(words))
        found += [word for word in words if len(word) > 2]
    unique: list[str] = []
    for candidate in found:
        if candidate and candidate not in unique:
            unique.append(candidate)
    return unique


def names_a_place(tracker: Tracker) -> bool:
    """Whether the message is meant as a place (so an unknown one is asked again) rather than
    another question, which the rules answer while the office question waits."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    return bool(
        _entities(tracker, "postcode")
        or _entities(tracker, "place")
        or _POSTCODE.search(str(message.get("text") or "").translate(_DIGITS))
        or intent in PLACE_INTENTS
    )


async def find_office(tracker: Tracker) -> dict[str, Any] | None:
    """The site responsible for the place in the latest message, or None."""
    for candidate in place_candidates(tracker):
        office = await kiosk.site_for_place(candidate)
        if office:
            return office
    return None


def tell_office(dispatcher: CollectingDispatcher, office: dict[str, Any]) -> list[Any]:
    """Names the office with its address and opening hours; keeps only its code."""
    dispatcher.utter_message(response="utter_site_found", office=office)
    return [SlotSet(SITE_SLOT, office["code"]), SlotSet(ATTEMPTS_SLOT, None)]


async def several_sites() -> list[dict[str, Any]] | None:
    """The active sites when there are several, else None (one site: nothing to ask)."""
    try:
        found = await kiosk.sites()
    except kiosk.KioskError as error:
        logger.warning("sites not listed: %s %s", error.status, error.code)
        return None
    return found if len(found) > 1 else None


@dataclass
class SiteCheck:
    """`events` to return before going on; `ask`: the client must name their place first (the
    events then start the office question and nothing else may happen)."""

    site: str | None = None
    events: list[Any] = field(default_factory=list)
    ask: bool = False


async def conversation_site(
    dispatcher: CollectingDispatcher, tracker: Tracker, next_step: str
) -> SiteCheck:
    """The site for a step that needs one: the conversation's, a place named in this very message,
    or, with several sites, the office question first (`next_step` goes on after it)."""
    known = site_of(tracker)
    if known or await several_sites() is None:
        return SiteCheck(site=known)
    office = await find_office(tracker)
    if office:
        tracker.slots[SITE_SLOT] = office["code"]  # the rest of this action uses it already
        return SiteCheck(site=office["code"], events=tell_office(dispatcher, office))
    return SiteCheck(
        ask=True,
        events=[
            SlotSet(NEXT_SLOT, next_step),
            SlotSet(ATTEMPTS_SLOT, 0.0),
            FollowupAction(FORM),
        ],
    )


class ActionFindSite(Action):
    """The client named their place unasked ("ich wohne in 42651 Solingen"): the office, or the
    question once more. No place recognised at all: it was a question, the closest topics
    answer."""

    def name(self) -> str:
        return "action_find_site"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        try:
            office = await find_office(tracker)
            if office:
                return tell_office(dispatcher, office)
            if not (_entities(tracker, "postcode") or _entities(tracker, "place")):
                # No place in it after all: taken as an unsure question ("Did you mean …?").
                unsure = dict(tracker.latest_message or {}, intent={"name": FALLBACK})
                return await suggest_topics(dispatcher, tracker, domain, unsure)
            if await several_sites() is None:
                dispatcher.utter_message(response="utter_place_not_found")
                return []
        except kiosk.KioskError as error:
            logger.warning("site lookup failed: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        return [
            SlotSet(NEXT_SLOT, NOTHING_PENDING),
            SlotSet(ATTEMPTS_SLOT, 1.0),
            FollowupAction(FORM),
        ]


class ActionAskSite(Action):
    """The office question: first the postcode or town, then once more, then the sites as
    buttons (or contact the office)."""

    def name(self) -> str:
        return "action_ask_site"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        attempts = int(tracker.get_slot(ATTEMPTS_SLOT) or 0)
        if attempts == 0:
            dispatcher.utter_message(response="utter_ask_site")
            return []
        if attempts == 1:
            dispatcher.utter_message(response="utter_ask_site_again")
            return []
        try:
            found = await kiosk.sites()
        except kiosk.KioskError:
            found = []
        dispatcher.utter_message(
            response="utter_choose_site",
            sites=[{"code": s["code"], "name": s["name"]} for s in found],
        )
        return []


class ValidateSiteForm(Action):
    """Reads the answer to the office question: a site button, a postcode or a town. Written as a
    plain action (not rasa_sdk's FormValidationAction, which drops every slot but the form's own)
    so that an unknown place counts as an attempt; no events at all let the rules answer another
    question while the office question waits."""

    def name(self) -> str:
        return "validate_site_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        if tracker.active_loop_name != FORM or tracker.get_slot("requested_slot") != SITE_SLOT:
            return []
        attempts = int(tracker.get_slot(ATTEMPTS_SLOT) or 0)
        try:
            chosen = _entities(tracker, "site_code")
            if chosen:
                return await self._chosen(dispatcher, chosen[0])
            office = await find_office(tracker)
        except kiosk.KioskError as error:
            logger.warning("site lookup failed: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_service_unavailable")
            return [SlotSet(ATTEMPTS_SLOT, float(attempts))]
        if office:
            return tell_office(dispatcher, office)
        if not names_a_place(tracker):
            return []  # another question: its rule answers, the office question waits
        return [SlotSet(ATTEMPTS_SLOT, float(attempts + 1))]

    async def _chosen(self, dispatcher: CollectingDispatcher, code: str) -> list[Any]:
        """A site button: the site's address, and its opening hours when the area table leads to it
        from its own postcode or town."""
        listed = {s["code"]: s for s in await kiosk.sites()}
        site = listed.get(code)
        if site is None:
            return []
        for place in (site.get("postcode"), site.get("city")):
            office = await kiosk.site_for_place(place) if place else None
            if office and office.get("code") == code:
                return tell_office(dispatcher, office)
        return tell_office(dispatcher, dict(site, opening_hours=None))


class ActionSiteChosen(Action):
    """The office is known: the rules go on with what the client wanted (`site_next`)."""

    def name(self) -> str:
        return "action_site_chosen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        return [SlotSet(NEXT_SLOT, tracker.get_slot(NEXT_SLOT) or NOTHING_PENDING)]
