"""Consent first: the notice from the kiosk API, then the client's yes (a record) or no
(anonymous)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.actions.common import api_failed, language
from bot.actions.site import conversation_site, site_of


def channel_of(tracker: Tracker) -> str:
    """The kiosk API's channel name for the Rasa input channel the client writes on."""
    name = (tracker.get_latest_input_channel() or "").lower()
    return "messenger" if name in {"telegram", "twilio", "whatsapp"} else "web_chat"


class ActionConsentNotice(Action):
    """Shows the versioned data-protection notice in the client's language and asks for consent;
    with several sites, the office responsible for the client comes first (the record is made
    there)."""

    def name(self) -> str:
        return "action_consent_notice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        try:
            site = await conversation_site(dispatcher, tracker, "register")
            if site.ask:
                return site.events
            notice = await kiosk.consent_notice(language(tracker), site=site.site)
        except kiosk.KioskError as error:
            return api_failed(dispatcher, error)
        dispatcher.utter_message(
            response="utter_consent_notice",
            notice_title=notice["title"],
            notice_text=notice["text"],
            notice_version=notice["version"],
        )
        return [*site.events, SlotSet("notice_version", notice["version"])]


class ActionGiveConsent(Action):
    """Records consent; the API creates the empty record, linked to this conversation."""

    def name(self) -> str:
        return "action_give_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        if tracker.get_slot("consent") == "given" and tracker.get_slot("reference_code"):
            dispatcher.utter_message(response="utter_consent_already_given")
            return [SlotSet("consent", "given")]
        version = tracker.get_slot("notice_version")
        try:
            if not version:
                version = (await kiosk.consent_notice(language(tracker), site=site_of(tracker)))[
                    "version"
                ]
            receipt = await kiosk.give_consent(
                language=language(tracker),
                notice_version=version,
                conversation_id=tracker.sender_id,
                channel=channel_of(tracker),
                site=site_of(tracker),
            )
        except kiosk.KioskError as error:
            return api_failed(dispatcher, error)
        dispatcher.utter_message(response="utter_consent_given")
        # The receipt's PIN is not kept: the chat proves the record by itself, and shows a fresh
        # PIN once the pre-registration is done (action_submit_intake).
        return [SlotSet("consent", "given"), SlotSet("reference_code", receipt["reference_code"])]


class ActionRefuseConsent(Action):
    """No record, no personal data; questions and anonymous info appointments stay open."""

    def name(self) -> str:
        return "action_refuse_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        dispatcher.utter_message(response="utter_consent_refused")
        return [SlotSet("consent", "refused")]
