"""Patch 15 (bot/runtime/tracker_cache.py): the trackers a Rasa process last saved, kept in memory,
equal what a fresh retrieve from the database returns, through real flows.

A Rasa agent runs in this process with Lotse's patches, the session's real action server and
kiosk API, on the SQLite tracker store of the session's Rasa server, which writes into the same
conversations as another instance would. After every message the kept tracker is compared, event
for event and as Rasa hands a tracker to the action server, with Rasa's own retrieve from the
database; so is what a retrieve hands out after another instance wrote and after an erasure."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from servers import API_PY, ROOT, Servers, model_path
from test_e2e import say, shown_pin

from bot.nlg.catalogs import all_catalogs
from bot.runtime import patches
from bot.scripts import write_config
from tests.support.assistant import ACTIONS_SECRET

patches.install()

from rasa.core.agent import Agent, load_agent  # noqa: E402
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage  # noqa: E402
from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.core.utils import AvailableEndpoints  # noqa: E402
from rasa.shared.core.domain import SessionConfig  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity  # noqa: E402

from bot.runtime import tracker_cache  # noqa: E402
from bot.runtime.masking import MASK  # noqa: E402


class Instance:
    """Lotse's Rasa in this process, its store on `database`."""

    def __init__(self, agent: Agent, database: Path, loop: asyncio.AbstractEventLoop) -> None:
        self.agent = agent
        self.database = database
        self.loop = loop
        self.store: SQLTrackerStore = agent.tracker_store._tracker_store  # type: ignore[attr-defined]
        self.compared = 0

    @property
    def cache(self) -> tracker_cache.TrackerCache:
        return tracker_cache.cache_of(self.store)

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        """One message through Rasa's Agent (Lotse's patches: the door, masking, the cache), then
        the kept tracker, if any, compared with a fresh retrieve."""
        output = CollectingOutputChannel()
        self.loop.run_until_complete(
            self.agent.handle_message(UserMessage(text, output, sender, input_channel="rest"))
        )
        kept = self.cache.kept.get(sender)
        if kept is not None:
            assert snapshot(kept.tracker) == snapshot(self.fresh(sender))
            self.compared += 1
        return output.messages

    def fresh(self, sender: str) -> DialogueStateTracker | None:
        """Rasa's own SQLTrackerStore.retrieve, on a store of its own (nothing kept)."""
        store = SQLTrackerStore(self.store.domain, dialect="sqlite", db=str(self.database))
        try:
            retrieve = patches.rasa_original("sql_retrieve")
            return self.loop.run_until_complete(retrieve(store, sender))
        finally:
            store.engine.dispose()

    def retrieve(self, sender: str) -> DialogueStateTracker | None:
        return self.loop.run_until_complete(self.agent.tracker_store.retrieve(sender))


def snapshot(tracker: DialogueStateTracker | None) -> Any:
    """Each event as stored, and the tracker as Rasa sends it to the action server."""
    if tracker is None:
        return None
    return [event.as_dict() for event in tracker.events], tracker.current_state(EventVerbosity.ALL)


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


@pytest.fixture(scope="module")
def lotse(
    servers: Servers, kiosk_api: str, rasa_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Instance]:
    var = tmp_path_factory.mktemp("in-process-rasa")
    database = servers.workdir / "rasa" / "tracker.db"  # the session's Rasa server's store
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOTSE_ACTIONS_URL", servers.actions_url + "/webhook")
        patch.setenv("LOTSE_ACTIONS_SECRET", ACTIONS_SECRET)
        patch.setenv("LOTSE_TRACKER_DATABASE_URL", f"sqlite:///{database}")
        patch.delenv("LOTSE_REDIS_URL", raising=False)
        (var / "endpoints.yml").write_text(yaml.safe_dump(write_config.endpoints(var)))
    endpoints = AvailableEndpoints.read_endpoints(str(var / "endpoints.yml"))
    loop = asyncio.new_event_loop()
    agent = loop.run_until_complete(load_agent(model_path=str(model_path()), endpoints=endpoints))
    instance = Instance(agent, database, loop)
    try:
        yield instance
    finally:
        instance.store.engine.dispose()
        loop.close()


def erase(servers: Servers, sender: str) -> None:
    """The kiosk API's erasure of a conversation (kiosk_api/retention/tracker.py)."""
    subprocess.run(
        [
            str(API_PY),
            "-c",
            "import sys; from kiosk_api.retention.tracker import delete_conversation; "
            "assert delete_conversation(sys.argv[1]) > 0",
            sender,
        ],
        cwd=ROOT,
        env=servers.api_env(),
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_the_patch_is_installed() -> None:
    assert SQLTrackerStore.retrieve is patches._retrieve_kept
    assert SQLTrackerStore.save is patches._save_kept


def test_registration_with_consent_and_booking_keep_what_the_store_holds(
    lotse: Instance, servers: Servers
) -> None:
    de = all_catalogs()["de"]
    sender = f"kept-{uuid.uuid4().hex[:8]}"
    before = tracker_cache.CacheCounts(**vars(lotse.cache.counts))
    assert de["utter_disclosure"].split("{")[0] in texts(lotse.say(sender, "Guten Tag"))
    assert "Version" in texts(lotse.say(sender, "Ich möchte mich anmelden"))
    assert de["utter_ask_given_name"] in texts(lotse.say(sender, "/affirm"))
    for answer in ("Amal", "Haddad", "31.12.1990", "/skip"):
        lotse.say(sender, answer)
    lotse.say(sender, '/inform{"residence_status":"permit_25_2"}')
    lotse.say(sender, "Ich möchte Grundsicherungsgeld beantragen")
    pin = shown_pin(texts(lotse.say(sender, "/affirm")))
    # The PIN went to the client; neither the store nor the tracker kept in memory holds it.
    assert sender not in lotse.cache.kept  # the save masked a PIN: nothing kept this time
    stored = lotse.fresh(sender)
    assert stored is not None and any(MASK in (getattr(e, "text", "") or "") for e in stored.events)
    days = lotse.say(sender, "Ich hätte gern einen Termin")
    times = lotse.say(sender, payloads(days)[0])
    assert "Buchungscode" in texts(lotse.say(sender, payloads(times)[0]))
    assert "Buchungscode" in texts(lotse.say(sender, "Wann ist mein Termin?"))
    kept = lotse.cache.kept[sender].tracker
    assert not any(pin in str(event.as_dict()) for event in kept.events)
    counts = lotse.cache.counts
    # Every message after the first was handed the kept tracker, but the one after the PIN.
    assert counts.hits - before.hits >= 10 and counts.misses - before.misses <= 3
    assert lotse.compared >= 12


def test_another_instance_writing_in_between_is_read_from_the_database(
    lotse: Instance, rasa_server: str
) -> None:
    sender = f"kept-{uuid.uuid4().hex[:8]}"
    lotse.say(sender, "Hallo")
    lotse.say(sender, "Was ist Bürgergeld?")
    assert sender in lotse.cache.kept
    say(rasa_server, sender, "Welche Unterlagen brauche ich?")  # the other instance
    misses = lotse.cache.counts.misses
    handed_out = lotse.retrieve(sender)
    assert lotse.cache.counts.misses == misses + 1
    assert snapshot(handed_out) == snapshot(lotse.fresh(sender))
    assert "Welche Unterlagen brauche ich?" in [getattr(e, "text", None) for e in handed_out.events]
    lotse.say(sender, "Danke")  # loads it again (handed out above), keeps it after
    say(rasa_server, sender, "Wie beantrage ich Bürgergeld?")
    lotse.say(sender, "Zahlt das Jobcenter meine Miete?")
    assert sender in lotse.cache.kept  # compared with the database inside say()
    texts_stored = [getattr(e, "text", None) for e in lotse.fresh(sender).events]
    assert texts_stored.count("Wie beantrage ich Bürgergeld?") == 1  # nothing written twice


def test_an_erasure_in_between_leaves_nothing_in_memory(lotse: Instance, servers: Servers) -> None:
    sender = f"kept-{uuid.uuid4().hex[:8]}"
    lotse.say(sender, "Hallo")
    lotse.say(sender, "Was ist Bürgergeld?")
    assert sender in lotse.cache.kept
    erase(servers, sender)
    assert lotse.retrieve(sender) is None and lotse.fresh(sender) is None
    lotse.say(sender, "Hallo")
    lotse.say(sender, "Hallo")
    erase(servers, sender)
    lotse.say(sender, "Welche Unterlagen brauche ich?")  # a new conversation, as Rasa starts one
    stored = lotse.fresh(sender)
    assert stored is not None
    assert [getattr(e, "text", None) for e in stored.events if e.type_name == "user"] == [
        "Welche Unterlagen brauche ich?"
    ]


def test_a_restart_and_an_expired_session_keep_only_the_new_session(lotse: Instance) -> None:
    sender = f"kept-{uuid.uuid4().hex[:8]}"
    lotse.say(sender, "Hallo")
    lotse.say(sender, "Was ist Bürgergeld?")
    lotse.say(sender, "/restart")
    lotse.say(sender, "Hallo")
    lotse.say(sender, "Welche Unterlagen brauche ich?")
    assert sender in lotse.cache.kept
    domain = lotse.agent.processor.domain  # type: ignore[union-attr]
    session = domain.session_config
    domain.session_config = SessionConfig(session_expiration_time=0.001, carry_over_slots=True)
    try:
        time.sleep(0.2)  # past the session's 60 ms
        lotse.say(sender, "Hallo")
    finally:
        domain.session_config = session
    stored = lotse.fresh(sender)
    assert stored is not None
    assert [getattr(e, "text", None) for e in stored.events if e.type_name == "user"] == ["Hallo"]
    lotse.say(sender, "Was ist Bürgergeld?")
    lotse.say(sender, "Danke")
    assert sender in lotse.cache.kept


# Patch 18: actions that only read the tracker get it without a replayed copy
# ---------------------------------------------------------------------------

REGISTRATION = [
    "Guten Tag",
    "Ich möchte mich anmelden",
    "/affirm",
    "Amal",
    "Haddad",
    "31.12.1990",
    "/skip",
    '/inform{"residence_status":"permit_25_2"}',
    "Ich möchte Grundsicherungsgeld beantragen",
    "Was ist Bürgergeld?",
    "/restart",
    "Ich hätte gern einen Termin",
]


def test_the_run_action_patch_is_installed() -> None:
    from rasa.core.processor import MessageProcessor

    assert MessageProcessor._run_action is patches._run_action


def outline(events: list[Any]) -> list[tuple[Any, ...]]:
    """A conversation's events without what differs between runs (times, message ids)."""
    return [
        (e.type_name, getattr(e, "action_name", None), getattr(e, "key", None))
        + ((str(e.value),) if e.type_name == "slot" and e.key != "reference_code" else ())
        for e in events
    ]


def same_run(state: dict[str, Any]) -> dict[str, Any]:
    """A tracker's state as sent to the action server, without what differs between runs (the
    conversation's id and times, the messages' ids, the registration's reference code)."""
    latest = dict(state["latest_message"], message_id=None)
    loop = state["active_loop"]
    if loop.get("trigger_message"):
        loop = dict(loop, trigger_message=dict(loop["trigger_message"], message_id=None))
    slots = dict(state["slots"], reference_code=None)
    return dict(
        state,
        sender_id=None,
        latest_event_time=None,
        latest_message=latest,
        active_loop=loop,
        slots=slots,
    )


def test_the_actions_given_the_tracker_itself_change_nothing_in_it(
    lotse: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registration (a form), a question, a restart and a booking: every action run without a
    copy leaves the tracker as it was, each custom action is sent the conversation Rasa's own
    _run_action (a copy per action) sends, and the conversation is the one Rasa's has."""
    from rasa.core.actions.action import ActionBotResponse, ActionListen, RemoteAction
    from rasa.core.processor import MessageProcessor

    checked: list[str] = []
    # What each custom action call sends of the conversation: the events' types and names, the
    # last event whole but its time (the policy's featurization mark, after a user message).
    sent: list[Any] = []
    call_format = RemoteAction._action_call_format

    def recorded(self: Any, tracker: Any, domain: Any) -> Any:
        body = call_format(self, tracker, domain)
        events = body["tracker"]["events"]
        sent.append(
            (
                self.name(),
                [(e["event"], e.get("name")) for e in events],
                dict(events[-1], timestamp=None),
                {key: value for key, value in body["tracker"].items() if key != "events"},
            )
        )
        return body

    monkeypatch.setattr(RemoteAction, "_action_call_format", recorded)
    for cls in (ActionListen, ActionBotResponse, RemoteAction):
        run = cls.run

        async def guarded(
            self: Any, output: Any, nlg: Any, tracker: Any, domain: Any, run: Any = run
        ) -> Any:
            before = (list(tracker.events), tracker.current_state(EventVerbosity.ALL))
            events = await run(self, output, nlg, tracker, domain)
            assert (list(tracker.events), tracker.current_state(EventVerbosity.ALL)) == before
            checked.append(self.name())
            return events

        monkeypatch.setattr(cls, "run", guarded)
    ours = f"kept-{uuid.uuid4().hex[:8]}"
    replies = [texts(lotse.say(ours, text)) for text in REGISTRATION]
    assert len(checked) > 2 * len(REGISTRATION)
    ours_sent = sent[:]
    assert any(last["event"] == "user_featurization" for _, _, last, _ in ours_sent)
    sent.clear()
    monkeypatch.setattr(MessageProcessor, "_run_action", patches.rasa_original("run_action"))
    rasas = f"kept-{uuid.uuid4().hex[:8]}"
    assert [texts(lotse.say(rasas, text)) for text in REGISTRATION] == replies
    assert [call[:3] for call in sent] == [call[:3] for call in ours_sent]
    for (_, _, _, state), (_, _, _, rasas_state) in zip(ours_sent, sent):
        assert same_run(state) == same_run(rasas_state)
    mine, theirs = lotse.fresh(ours), lotse.fresh(rasas)
    assert mine is not None and theirs is not None
    assert outline(list(mine.events)) == outline(list(theirs.events))
