"""Patch 17: a new conversation's session start made inside Rasa is what the real action server's
ActionSessionStart (bot/actions/handover.py) returns for it; any other goes to the action server."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from servers import ROOT, Servers

from bot.runtime import patches
from tests.support.assistant import ACTIONS_SECRET

patches.install()

from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.core.channels.channel import CollectingOutputChannel  # noqa: E402
from rasa.core.nlg import TemplatedNaturalLanguageGenerator  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402


@cache
def load_lotse_domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def without_time(events: list[Event]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in events]


def session_start(servers: Servers, tracker: DialogueStateTracker, *, ask_server: bool) -> Any:
    domain = load_lotse_domain()
    endpoint = EndpointConfig(
        servers.actions_url + "/webhook", headers={"Authorization": f"Bearer {ACTIONS_SECRET}"}
    )
    action = RemoteAction("action_session_start", endpoint)
    run = patches.rasa_original("remote_run") if ask_server else RemoteAction.run
    return asyncio.run(
        run(
            action,
            CollectingOutputChannel(),
            TemplatedNaturalLanguageGenerator(domain.responses),
            tracker,
            domain,
        )
    )


def test_the_patch_is_installed() -> None:
    assert RemoteAction.run is patches._remote_run


def test_a_new_conversation_starts_as_the_action_server_starts_it(
    servers: Servers, rasa_server: str
) -> None:
    domain = load_lotse_domain()
    new = DialogueStateTracker.from_events("session-new", [], slots=domain.slots)
    from_server = session_start(servers, new, ask_server=True)
    in_rasa = session_start(servers, new, ask_server=False)
    assert without_time(in_rasa) == without_time(from_server)
    assert [e.type_name for e in in_rasa] == ["session_started", "action"]


def test_a_session_with_slots_to_carry_over_asks_the_action_server(
    servers: Servers, rasa_server: str
) -> None:
    domain = load_lotse_domain()
    events: list[Event] = [
        ActionExecuted("action_listen"),
        UserUttered("Hallo", {"name": "greet"}),
        SlotSet("language", "ar"),
    ]
    older = DialogueStateTracker.from_events("session-older", events, slots=domain.slots)
    started = session_start(servers, older, ask_server=False)
    assert SlotSet("language", "ar") in started  # carried over by the action server
    assert without_time(started) == without_time(session_start(servers, older, ask_server=True))
