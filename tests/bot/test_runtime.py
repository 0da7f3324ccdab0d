"""bot/runtime: the Rasa version guard, and for each patch of Rasa internals that it is installed
(the Rasa attribute is Lotse's), does its job, and leaves Rasa's own errors as they are. Runs
with .venv-bot."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema import ValidationError
from rasa.core import tracker_store
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.lock_store import LockStore
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config
from servers import model_path
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

import bot.runtime
from bot.runtime import action_calls, guard, masking, patches
from bot.runtime.lock_store import AtomicRedisLockStore
from bot.scripts import write_config

ROOT = Path(__file__).resolve().parents[2]
VALID_RESPONSE = {
    "events": [{"event": "slot", "name": "language", "value": "de", "timestamp": None}],
    "responses": [{"response": "utter_greet", "language": "de"}],
}
INVALID_EVENT_LISTS = [
    pytest.param({"events": {"event": "slot", "name": "language", "value": "de"}}, id="not-a-list"),
    pytest.param({"events": [{"name": "language", "value": "de"}]}, id="event-without-type"),
    pytest.param({"events": [{"event": "no_such_event"}]}, id="unknown-event-type"),
    pytest.param(
        {"events": [{"event": "slot", "name": "language", "timestamp": "now"}]}, id="bad-timestamp"
    ),
]


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    patches.install()


# The version guard and install()
# ---------------------------------------------------------------------


def test_the_patches_were_written_for_the_installed_rasa() -> None:
    assert patches.EXPECTED_RASA_VERSION == "3.6.21"
    assert patches.installed_rasa_version() == "3.6.21"
    patches.check_rasa_version()  # no error


@pytest.mark.parametrize("version", ["3.6.20", "3.7.0", "3.6.21rc1", "4.0.0"])
def test_another_rasa_version_is_refused_naming_both_versions(version: str) -> None:
    with pytest.raises(patches.UnsupportedRasaVersion) as refused:
        patches.check_rasa_version(version)
    assert f"Rasa {version} is installed" in str(refused.value)
    assert "written for Rasa 3.6.21" in str(refused.value)


def test_the_server_refuses_to_start_and_patches_nothing_when_the_version_differs() -> None:
    """A fresh process: Lotse expects another Rasa than the installed one (Rasa itself is
    untouched)."""
    script = """
import sys
from bot.runtime import patches, server

patches.EXPECTED_RASA_VERSION = "3.6.20"
try:
    server.main()
except patches.UnsupportedRasaVersion as error:
    print(error)
else:
    raise SystemExit("started")
# Refused before Rasa's internals (and SQLAlchemy) were even imported: nothing of them is patched.
patched = ["rasa.core.actions.action", "rasa.core.tracker_store", "rasa.shared.core.events", \
"sqlalchemy", "rasa.__main__"]
assert not [name for name in patched if name in sys.modules], sys.modules.keys()
assert patches._RASA == {} and patches._response_validator is None
"""
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "Rasa 3.6.21 is installed" in result.stdout and "written for Rasa 3.6.20" in result.stdout
    )


BLAS_THREADS_SCRIPT = """
import sys
import threadpoolctl
from bot.runtime import server

sys.argv = ["rasa", *sys.argv[1:], "--help"]
try:
    server.main()
except SystemExit:
    pass
import numpy, scipy.linalg  # every OpenBLAS the NLU may load

blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
print(sorted({i["num_threads"] for i in blas}))
"""


@pytest.mark.parametrize(
    ("arguments", "variable", "threads"),
    [
        pytest.param(["run"], None, "[1]", id="server"),
        pytest.param(["run"], "2", "[2]", id="server-told-otherwise"),
        pytest.param(["--without-patches", "run"], None, f"[{os.cpu_count()}]", id="plain-rasa"),
    ],
)
def test_the_server_runs_blas_on_one_thread(
    arguments: list[str], variable: str | None, threads: str
) -> None:
    """`server run` keeps every OpenBLAS (numpy's, scipy's) to one thread unless
    OPENBLAS_NUM_THREADS says otherwise; Rasa as released keeps OpenBLAS's own choice."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if variable is not None:
        env["OPENBLAS_NUM_THREADS"] = variable
    result = subprocess.run(
        [sys.executable, "-c", BLAS_THREADS_SCRIPT, *arguments],
        check=False,
        cwd=ROOT,
        env=dict(env, RASA_TELEMETRY_ENABLED="false"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == threads


def test_install_again_changes_nothing() -> None:
    replaced = (
        RemoteAction._validate_action_result,
        tracker_store.create_engine_kwargs,
        Event.resolve_by_type,
    )
    validator = patches._response_validator
    patches.install()
    patches.install()
    assert (
        RemoteAction._validate_action_result,
        tracker_store.create_engine_kwargs,
        Event.resolve_by_type,
    ) == replaced
    assert patches._response_validator is validator
    # The originals kept are still Rasa's own, not Lotse's replacements.
    assert patches.rasa_original("validate_action_result").__module__ == "rasa.core.actions.action"
    assert patches.rasa_original("create_engine_kwargs").__module__ == "rasa.core.tracker_store"
    assert patches.rasa_original("resolve_by_type").__module__ == "rasa.shared.core.events"
    engine = create_engine("sqlite://")
    assert list(engine.pool.dispatch.connect).count(patches._sqlite_wal_pragmas) == 1


def test_the_package_docstring_counts_and_lists_the_patches() -> None:
    doc = bot.runtime.__doc__ or ""
    number = {
        1: "one",
        2: "two",
        3: "three",
        4: "four",
        5: "five",
        6: "six",
        7: "seven",
        8: "eight",
        9: "nine",
        10: "ten",
        11: "eleven",
        12: "twelve",
        13: "thirteen",
        14: "fourteen",
        15: "fifteen",
        16: "sixteen",
        17: "seventeen",
        18: "eighteen",
        19: "nineteen",
        20: "twenty",
        21: "twenty-one",
    }[len(patches.PATCHES)]
    assert f"There are {number} patches" in doc
    for position, patch in enumerate(patches.PATCHES, 1):
        assert f"{position}. `{patch.__name__}`" in doc
        reason = (patch.__doc__ or "").strip()
        assert reason and "\n" not in reason  # its measured reason, in one line
        assert any(unit in reason for unit in ("ms", "µs"))


# 1. Action server responses, validator built once
#    ----------------------------------------------------


def run_remote_action(body: dict[str, Any]) -> list[Event]:
    """RemoteAction.run against a real HTTP action server on loopback that answers `body`."""
    from aiohttp import web

    async def run() -> list[Event]:
        async def webhook(_request: web.Request) -> web.Response:
            return web.json_response(body)

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            action = RemoteAction(
                "action_runtime_test", EndpointConfig(f"http://127.0.0.1:{port}/webhook")
            )
            domain = Domain.from_dict({"responses": {"utter_greet": [{"text": "Hallo"}]}})
            return await action.run(
                CollectingOutputChannel(),
                TemplatedNaturalLanguageGenerator(domain.responses),
                DialogueStateTracker("runtime-test", []),
                domain,
            )
        finally:
            await runner.cleanup()
            await action_calls.close_sessions()

    return asyncio.run(run())


def test_validator_patch_is_installed() -> None:
    assert RemoteAction._validate_action_result is patches._validate_action_result
    assert patches._response_validator is not None


def test_two_validations_reuse_one_validator_and_are_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    action = RemoteAction("action_runtime_test", None)
    validator = patches._response_validator
    # jsonschema.validate() (Rasa's own path, which re-checks the schema each time) is not called
    # for a valid response.
    rasa_path: list[Any] = []
    original_validate = jsonschema.validate
    monkeypatch.setattr(
        jsonschema,
        "validate",
        lambda *args, **kwargs: rasa_path.append(args) or original_validate(*args, **kwargs),
    )
    assert action._validate_action_result(VALID_RESPONSE) is True
    assert action._validate_action_result(VALID_RESPONSE) is True
    assert patches._response_validator is validator
    assert rasa_path == []
    # Nor is the meta-schema check that made Rasa's path slow (its time: make bench-bot,
    # docs/benchmarks.md).
    checks: list[Any] = []
    monkeypatch.setattr(
        type(validator), "check_schema", classmethod(lambda cls, schema: checks.append(schema))
    )
    for _ in range(3):
        assert action._validate_action_result(VALID_RESPONSE) is True
    assert checks == []


# Every event type with its fields right, and wrong in each way the schema checks.
EVENT_SAMPLES: list[Any] = [
    {"event": name}
    for name in (
        "user user_featurization cancel_reminder reminder action_execution_rejected "
        "form_validation loop_interrupted form active_loop reset_slots resume pause followup "
        "export restart undo rewind bot session_started agent action"
    ).split()
] + [
    {"event": "slot", "name": "language", "value": "de", "timestamp": 1.5, "metadata": {}},
    {"event": "slot", "name": "language", "value": None, "timestamp": None},
    {"event": "entities", "entities": [{"entity": "number", "value": 3, "start": 0, "end": 1}]},
    {
        "event": "action",
        "name": "utter_greet",
        "policy": None,
        "confidence": 1,
        "hide_rule_turn": 1,
    },
    {"event": "action", "name": 5},
    {"event": "user", "text": "Hallo", "parse_data": {"intent": {"name": "greet"}, "entities": []}},
    {"event": "user", "text": 5},
    {"event": "user", "parse_data": {"entities": [{"entity": "x"}]}},
    {"event": "user", "parse_data": {"intent_ranking": [{"name": 1}]}},
    {"event": "user", "parse_data": {"response_selector": {"all_retrieval_intents": []}}},
    {"event": "user", "parse_data": {"response_selector": {"all_retrieval_intents": 1}}},
    {"event": "user", "parse_data": {"response_selector": {"faq": {"response": {"text": 1}}}}},
    {"event": "slot", "name": "language"},
    {"event": "slot", "name": 1, "value": 2},
    {"event": "entities", "entities": "x"},
    {"event": "entities"},
    {"event": "bot", "timestamp": "now"},
    {"event": "bot", "metadata": []},
    {"event": "no_such_event"},
    {"event": 3},
    {"event": None},
    {"name": "language", "value": "de"},
    "slot",
    None,
]


def test_each_event_checked_against_its_own_type_answers_as_the_whole_schema() -> None:
    """The two-step check (patch 1) against jsonschema's own over the whole response schema."""
    whole = patches._response_validator
    responses: list[Any] = [{"events": [sample], "responses": []} for sample in EVENT_SAMPLES]
    responses += [
        {"events": [EVENT_SAMPLES[0], sample]} for sample in EVENT_SAMPLES
    ]  # a bad event after a good one
    responses += [
        {},
        {"responses": [{"text": "Hallo"}]},
        {"responses": "Hallo"},
        {"events": None},
        {"events": {"event": "slot"}},
        [],
        "events",
        VALID_RESPONSE,
    ]
    answers = [
        (whole.is_valid(response), patches._valid_response(response)) for response in responses
    ]
    assert all(rasa == ours for rasa, ours in answers), [
        response for response, (rasa, ours) in zip(responses, answers) if rasa != ours
    ]
    assert sum(rasa for rasa, _ in answers) >= 40 and sum(not rasa for rasa, _ in answers) >= 25


def test_a_valid_action_server_response_is_run() -> None:
    events = run_remote_action(VALID_RESPONSE)
    assert SlotSet("language", "de") in events
    assert any(getattr(e, "text", None) == "Hallo" for e in events)


@pytest.mark.parametrize("body", INVALID_EVENT_LISTS)
def test_an_invalid_event_list_fails_with_rasas_own_error(body: dict[str, Any]) -> None:
    action = RemoteAction("action_runtime_test", None)
    with pytest.raises(Exception) as rasas:
        patches.rasa_original("validate_action_result")(action, body)
    with pytest.raises(Exception) as ours:
        action._validate_action_result(body)
    assert type(ours.value) is type(rasas.value) is ValidationError
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_an_action_server_answering_an_invalid_event_list_is_rejected() -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        run_remote_action({"events": [{"name": "language", "value": "de"}], "responses": []})


# 2 and 3. SQLite tracker store: pool, WAL, synchronous=NORMAL
# -----------------------------------------


def test_sqlite_patches_are_installed() -> None:
    assert tracker_store.create_engine_kwargs is patches._engine_kwargs
    assert event.contains(Engine, "connect", patches._sqlite_wal_pragmas)


def test_the_sqlite_tracker_store_gets_the_pool_and_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQL_POOL_SIZE", "3")
    monkeypatch.setenv("SQL_MAX_OVERFLOW", "4")
    domain = Domain.from_dict(
        {"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}}
    )
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    try:
        pool = store.engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (3, 4)
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

        opened: list[Any] = []
        event.listen(store.engine, "connect", lambda *_: opened.append(1))

        async def conversation() -> DialogueStateTracker:
            for turn in range(5):
                tracker = await store.get_or_create_tracker("pool-test")
                tracker.update(UserUttered(f"turn {turn}"))
                tracker.update(SlotSet("language", "de"))
                await store.save(tracker)
            return await store.retrieve("pool-test")

        tracker = asyncio.run(conversation())
        assert tracker is not None and tracker.get_slot("language") == "de"
        assert sum(isinstance(e, UserUttered) for e in tracker.events) == 5
        assert opened == []  # ten saves and reads on the pooled connection, none opened
        assert (tmp_path / "tracker.db-wal").exists()
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_keeps_rasas_engine_settings(url: str) -> None:
    assert patches._engine_kwargs(url) == patches.rasa_original("create_engine_kwargs")(url)


def test_postgresql_keeps_rasas_engine_settings_and_checks_each_pooled_connection() -> None:
    """A connection left from before a database restart is replaced, not used to fail a message
    (tests/bot/test_cluster.py restarts PostgreSQL under a running cluster)."""
    text = "postgresql://rasa:secret@db.example:5432/rasa"
    rasas = patches.rasa_original("create_engine_kwargs")(text)
    assert patches._engine_kwargs(text) == {**rasas, "pool_pre_ping": True}


def test_a_postgresql_url_object_as_rasa_passes_it_keeps_rasas_engine_settings() -> None:
    url = SQLTrackerStore.get_db_url(dialect="postgresql", host="db.example", port=5432, db="rasa")
    rasas = patches.rasa_original("create_engine_kwargs")(url)
    assert patches._engine_kwargs(url) == {**rasas, "pool_pre_ping": True}
    assert "pool_size" in patches._engine_kwargs(url) and "poolclass" not in patches._engine_kwargs(
        url
    )


# 4. Event classes by type name
#    -----------------------------------------------------------------------


def test_event_table_patch_is_installed() -> None:
    assert Event.resolve_by_type is patches._resolve_by_type


def test_the_event_table_returns_rasas_class_for_every_event_type() -> None:
    rasas = patches.rasa_original("resolve_by_type")
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) >= 20
    for name in names:
        assert Event.resolve_by_type(name) is rasas(name), name
    assert Event.resolve_by_type("topic") is rasas("topic") is None
    assert (
        Event.resolve_by_type("no_such_event", SlotSet)
        is rasas("no_such_event", SlotSet)
        is SlotSet
    )
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "slot", "name": "language", "value": "ar"}) == SlotSet(
        "language", "ar"
    )


def test_a_known_event_type_is_found_without_walking_the_subclasses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The walk is what cost the time (its figures: make bench-bot, docs/benchmarks.md); a known
    name never walks."""
    import rasa.shared.utils.common as rasa_common

    walks: list[Any] = []
    monkeypatch.setattr(
        rasa_common, "all_subclasses", lambda cls: walks.append(cls) or all_subclasses(cls)
    )
    for name in ("slot", "user", "bot", "action", "active_loop"):
        Event.resolve_by_type(name)
    assert walks == []
    Event.resolve_by_type(
        "no_such_event", SlotSet
    )  # an unknown name goes to Rasa's own lookup, which walks
    assert walks


# 5. Messages screened at the door (bot/runtime/guard.py)
#    ----------------------------------------------


def test_message_guard_is_installed() -> None:
    from rasa.core.agent import Agent

    assert Agent.handle_message is patches._handle_message
    assert patches.rasa_original("handle_message").__module__ == "rasa.core.agent"


INTENTS = ("greet", "help", "choose_language", "EXTERNAL_ticket_called", guard.TOO_LONG_INTENT)


@pytest.mark.parametrize(
    ("sent", "received"),
    [
        pytest.param(
            "Hallo, wie beantrage ich Bürgergeld?",
            "Hallo, wie beantrage ich Bürgergeld?",
            id="ordinary",
        ),
        pytest.param(
            "x" * (guard.MAX_WORD_CHARACTERS + 1), "/message_too_long", id="word-too-long"
        ),
        pytest.param("ab " * 700, "/message_too_long", id="message-too-long"),
        pytest.param(
            '/choose_language{"language": "ar"}',
            '/choose_language{"language": "ar"}',
            id="button-payload",
        ),
        pytest.param(
            '/EXTERNAL_ticket_called{"desk": "3"}',
            'EXTERNAL_ticket_called{"desk": "3"}',
            id="external-intent",
        ),
        pytest.param("/message_too_long", "message_too_long", id="the-guards-own-intent"),
        pytest.param("/no_such_intent", "no_such_intent", id="unknown-intent"),
        pytest.param("Name\u202eevil\x00", "Nameevil", id="bidi-override-and-nul"),
        pytest.param("Cafe\u0301", "Café", id="nfc"),
        pytest.param(None, None, id="no-text"),
    ],
)
def test_the_guard_screens_what_a_client_sends(sent: str | None, received: str | None) -> None:
    assert guard.screen(sent, INTENTS) == received


def test_a_huge_message_reaches_rasa_as_the_too_long_intent() -> None:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage

    seen: list[str | None] = []

    async def rasas(self: Any, message: UserMessage) -> list[Any]:
        seen.append(message.text)
        return []

    agent = Agent(domain=Domain.from_dict({"intents": list(INTENTS)}))
    original = patches._RASA["handle_message"]
    patches._RASA["handle_message"] = rasas
    try:
        asyncio.run(agent.handle_message(UserMessage("a" * 100_000, sender_id="s")))
        asyncio.run(
            agent.handle_message(UserMessage('/EXTERNAL_ticket_called{"desk": "3"}', sender_id="s"))
        )
        asyncio.run(agent.handle_message(UserMessage("/help", sender_id="s")))
    finally:
        patches._RASA["handle_message"] = original
    assert seen == ["/message_too_long", 'EXTERNAL_ticket_called{"desk": "3"}', "/help"]


# 6. Parsing off the event loop
#    ---------------------------------------------------------------------------


def test_parse_patch_is_installed() -> None:
    from rasa.core.processor import MessageProcessor

    assert MessageProcessor.parse_message is patches._parse_message


def test_the_nlu_graph_runs_in_a_worker_thread_while_the_loop_goes_on() -> None:
    import threading

    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor

    class Processor:
        http_interpreter = None

        def __init__(self) -> None:
            self.thread: str | None = None
            self.ticks = 0

        def _parse_message_with_graph(
            self, message: Any, tracker: Any, only_output_properties: bool
        ) -> dict[str, Any]:
            self.thread = threading.current_thread().name
            time.sleep(0.3)  # CPU-heavy NLU, as seen from the loop
            return {"text": message.text, "intent": {"name": "greet"}, "entities": []}

        def _update_full_retrieval_intent(self, parse_data: dict[str, Any]) -> None:
            pass

        def _check_for_unseen_features(self, parse_data: dict[str, Any]) -> None:
            pass

    processor = Processor()

    async def ticking() -> None:
        while True:
            processor.ticks += 1
            await asyncio.sleep(0.01)

    async def scenario() -> dict[str, Any]:
        ticker = asyncio.ensure_future(ticking())
        parsed = await MessageProcessor.parse_message(
            processor, UserMessage("hallo", sender_id="s")
        )  # type: ignore[arg-type]
        ticker.cancel()
        return parsed

    parsed = asyncio.run(scenario())
    assert parsed["intent"]["name"] == "greet"
    assert processor.thread != threading.main_thread().name
    assert processor.ticks >= 5  # the loop kept running while the graph worked


# 7. HTTP limits
#    ------------------------------------------------------------------------------------------


def test_http_limits_patch_is_installed() -> None:
    from rasa.core import run

    assert run.configure_app is patches._configure_app


def test_the_configured_app_refuses_model_routes_and_caps_bodies() -> None:
    from rasa.core import run

    app = run.configure_app(
        input_channels=[], enable_api=True, jwt_secret="x" * 32, jwt_method="HS256", port=0
    )
    assert app.config.REQUEST_MAX_SIZE == patches.MAX_REQUEST_BYTES

    class Request:
        def __init__(self, path: str) -> None:
            self.path = path

    for path in ("/model", "/model/train", "/model/test/intents", "/model/parse"):
        refused = asyncio.run(patches._refuse_model_routes(Request(path)))
        assert refused is not None and refused.status == 403, path
    for path in ("/webhooks/rest/webhook", "/conversations/a/tracker", "/models-of-something"):
        assert asyncio.run(patches._refuse_model_routes(Request(path))) is None, path


# 8. Tracker store: no PIN kept (bot/runtime/masking.py)
#    ---------------------------------------------------------------------------------

PIN = "482913"


def secret_turns() -> list[list[Event]]:
    """Two turns: the PIN shown at the end of the pre-registration, then typed into check-in."""
    shown = BotUttered(
        f"Code: LTABCDEFGH\nPIN: {PIN}",
        metadata={"utter_action": "utter_intake_done", "pin": PIN, "reference_code": "LTABCDEFGH"},
    )
    return [
        [UserUttered("/affirm", {"name": "affirm"}), shown, ActionExecuted("action_listen")],
        [
            SlotSet("requested_slot", "checkin_pin"),
            BotUttered("PIN?", metadata={"utter_action": "utter_ask_checkin_pin"}),
            ActionExecuted("action_listen"),
            UserUttered(PIN, {"name": "inform"}, [{"entity": "number", "value": PIN}]),
            SlotSet("checkin_pin", PIN),
            SlotSet("checkin_pin", None),
            SlotSet("requested_slot", None),
            ActiveLoop(None),
            UserUttered("123456 is my old number", {"name": "inform"}),
        ],
    ]


def test_tracker_store_masking_patch_is_installed() -> None:
    assert tracker_store.FailSafeTrackerStore.save is patches._save_masked


def test_the_sql_store_keeps_no_pin_while_the_conversation_still_has_it(tmp_path: Path) -> None:
    domain = Domain.from_dict(
        {"slots": {"checkin_pin": {"type": "text", "mappings": [{"type": "custom"}]}}}
    )
    sql = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    store = tracker_store.FailSafeTrackerStore(sql)  # as Rasa's Agent wraps every store
    try:

        async def conversation() -> DialogueStateTracker:
            tracker = await store.get_or_create_tracker("masking-test")
            for turn in secret_turns():  # saved after each turn: the store appends the new events
                for new in turn:
                    tracker.update(new)
                await store.save(tracker)
            return tracker

        tracker = asyncio.run(conversation())
        assert any(PIN in (getattr(e, "text", None) or "") for e in tracker.events)  # as sent
        with sql.engine.connect() as connection:
            rows = [r[0] for r in connection.exec_driver_sql("SELECT data FROM events")]
        assert len(rows) == len(tracker.events)
        assert not any(PIN in row for row in rows)
        stored = asyncio.run(sql.retrieve("masking-test"))
        texts = [getattr(e, "text", None) for e in stored.events]
        assert f"Code: LTABCDEFGH\nPIN: {masking.MASK}" in texts and masking.MASK in texts
        assert "123456 is my old number" in texts  # a later message is not a PIN answer
    finally:
        sql.engine.dispose()


def test_a_store_keeping_the_whole_tracker_keeps_no_pin() -> None:
    """InMemoryTrackerStore serialises the whole tracker as the Redis store does."""
    memory = tracker_store.InMemoryTrackerStore(Domain.empty())
    store = tracker_store.FailSafeTrackerStore(memory)
    tracker = DialogueStateTracker.from_events("masking-memory", [])
    for turn in secret_turns():
        for new in turn:
            tracker.update(new)
        asyncio.run(store.save(tracker))
    assert PIN not in memory.store["masking-memory"]
    assert asyncio.run(memory.retrieve("masking-memory")).events[-1].text.startswith("123456")


# The lock store at its new path
# -----------------------------------------------------------------------


def test_the_written_endpoints_load_the_atomic_lock_store_through_rasa(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOTSE_REDIS_URL", "redis://127.0.0.1:6390/3")
    path = tmp_path / "endpoints.yml"
    path.write_text(yaml.safe_dump(write_config.endpoints(tmp_path)), encoding="utf-8")
    config = read_endpoint_config(str(path), "lock_store")
    assert config is not None and config.type == "bot.runtime.lock_store.AtomicRedisLockStore"
    store = LockStore.create(config)  # Rasa's own loader; no connection is opened here
    assert type(store) is AtomicRedisLockStore
    assert {k: store.red.connection_pool.connection_kwargs[k] for k in ("host", "port", "db")} == {
        "host": "127.0.0.1",
        "port": 6390,
        "db": 3,
    }


# 11. Tracker store failures not papered over
#    ---------------------------------------------------------


def test_a_tracker_store_that_fails_raises_instead_of_starting_over_or_keeping_it_in_memory(
    tmp_path: Path,
) -> None:
    """A real SQL store whose table is gone (as a database that cannot be read): Rasa's
    FailSafeTrackerStore would answer a new, empty conversation and keep the save in memory."""
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    safe = tracker_store.FailSafeTrackerStore(store)
    try:

        async def conversation() -> None:
            tracker = await safe.get_or_create_tracker("failing")
            tracker.update(UserUttered("hello"))
            await safe.save(tracker)
            with store.engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE events")
            with pytest.raises(patches.TrackerStoreUnavailable):
                await safe.retrieve("failing")
            with pytest.raises(patches.TrackerStoreUnavailable):
                await safe.save(tracker)
            assert safe._fallback_tracker_store is None  # nothing kept in this process

        asyncio.run(conversation())
    finally:
        store.engine.dispose()


# 12. RulePolicy: only the rules that can match, only as far back as they reach
#    ------------------------------------------


def trained_rule_lookups() -> dict[str, dict[str, str]]:
    """The trained model's RulePolicy lookups (rules, and the loops' unhappy paths)."""
    with tarfile.open(model_path()) as model:
        member = next(m for m in model.getmembers() if m.name.endswith("/rule_policy.json"))
        lookup = json.load(model.extractfile(member))["lookup"]  # type: ignore[arg-type]
    return {name: lookup[name] for name in ("rules", "rules_for_loop_unhappy_path")}


def as_conversation_states(rule_key: str) -> list[dict[str, Any]]:
    """A rule's states as a conversation has them (tuples where the rule key's JSON has lists)."""
    return [
        {
            part: {
                key: tuple(value) if isinstance(value, list) else value
                for key, value in sub.items()
            }
            for part, sub in state.items()
        }
        for state in json.loads(rule_key)
    ]


def test_rule_matching_patch_is_installed() -> None:
    assert RulePolicy._get_possible_keys is patches._possible_rule_keys


def test_the_bounded_rule_matching_finds_rasas_keys_for_every_rule() -> None:
    """Histories made of the trained rules' own states (each rule after another, and every suffix
    of that): the same keys as Rasa's matching, for both lookups."""
    policy = RulePolicy.__new__(RulePolicy)  # the matching reads only the lookup it is given
    rasa_keys = patches.rasa_original("get_possible_keys")
    chooser = random.Random(11)
    compared = 0
    for lookup in trained_rule_lookups().values():
        keys = list(lookup)
        for key in keys:
            before = chooser.choice(keys)
            history = as_conversation_states(before) + as_conversation_states(key)
            for start in range(len(history)):
                states = history[start:]
                expected = rasa_keys(policy, lookup, states)
                assert patches._possible_rule_keys(policy, lookup, states) == expected
                compared += bool(expected)
    assert compared > 200  # most histories match some rule


# 13. The conversation's states replayed once per message
#    ----------------------------------------------------------------


def test_past_states_patch_is_installed() -> None:
    assert DialogueStateTracker.past_states is patches._past_states


def test_the_kept_replay_gives_rasas_states_after_every_event() -> None:
    """A conversation with a form, a rejected loop, slots, reverted utterances and actions and a
    restart: after each event the states equal Rasa's replay from the start, and changing the
    states handed out changes nothing later."""
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    rasa_states = patches.rasa_original("past_states")
    events: list[Event] = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hallo", {"name": "greet", "confidence": 0.9}),
        SlotSet("language", "de"),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        UserUttered("anmelden", {"name": "start_registration", "confidence": 0.9}),
        ActionExecuted("intake_form"),
        ActiveLoop("intake_form"),
        SlotSet("requested_slot", "given_name"),
        ActionExecuted("action_listen"),
        UserUttered("Amal", {"name": "inform", "confidence": 0.9}),
        ActionExecutionRejected("intake_form"),
        ActionExecuted("action_default_fallback"),
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
        UserUttered(
            "Amal", {"name": "inform", "confidence": 0.9}, [{"entity": "day", "value": "x"}]
        ),
        ActionExecuted("intake_form"),
        SlotSet("given_name", "Amal"),
        ActionExecuted("utter_greet"),
        ActionReverted(),
        ActionExecuted("intake_form"),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ActionExecuted("action_listen"),
        UserUttered("neu", {"name": "greet", "confidence": 0.9}),
        Restarted(),
        ActionExecuted("action_listen"),
        UserUttered("danke", {"name": "thank", "confidence": 0.9}),
        ActionExecuted("utter_you_are_welcome"),
    ]
    tracker = DialogueStateTracker.from_events("replay-test", [], slots=domain.slots)
    for happened in events:
        tracker.update(happened)
        for omit_unset_slots in (False, True):
            expected = rasa_states(tracker, domain, omit_unset_slots=omit_unset_slots)
            states = tracker.past_states(domain, omit_unset_slots=omit_unset_slots)
            assert states == expected
            for state in states:  # as Rasa's featurizers do
                state.get("user", {}).pop("text", None)
                state.get("user", {}).pop("intent", None)
            assert tracker.past_states(domain, omit_unset_slots=omit_unset_slots) == expected
    # Another tracker with the same events gets its own replay.
    again = DialogueStateTracker.from_events("replay-test", events, slots=domain.slots)
    assert again.past_states(domain) == rasa_states(tracker, domain)


# 14. The conversation language decided inside Rasa
#    ------------------------------------------------------


def extract_slots(
    domain: Domain, slots: dict[str, Any], text: str, **parse: Any
) -> list[tuple[str, Any]]:
    """Rasa's ActionExtractSlots on a conversation with `slots` set and the client's message `text`
    just parsed (`parse`: intent, entities, language_detection as the NLU pipeline gives them):
    the slots it sets, in order. No action server is reachable."""
    events: list[Event] = [ActionExecuted("action_listen")]
    events += [SlotSet(name, value) for name, value in slots.items()]
    if slots.get("requested_slot") == "given_name":
        events.insert(1, ActiveLoop("intake_form"))
    intent = parse.pop("intent", {"name": "inform", "confidence": 0.9})
    entities = parse.pop("entities", [])
    events.append(UserUttered(text, intent, entities, parse_data={**parse, "text": text}))
    tracker = DialogueStateTracker.from_events("language-test", events, slots=domain.slots)
    action = ActionExtractSlots(EndpointConfig("http://127.0.0.1:9/webhook"))
    found = asyncio.run(
        action.run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker, domain
        )
    )
    return [(e.key, e.value) for e in found if isinstance(e, SlotSet)]


@pytest.fixture(scope="module")
def bot_domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def test_language_patch_is_installed_and_no_action_server_is_asked(bot_domain: Domain) -> None:
    assert ActionExtractSlots.run is patches._extract_slots
    assert "action_validate_slot_mappings" not in bot_domain.user_actions


def test_the_first_message_sets_the_language_when_it_is_the_likeliest(bot_domain: Domain) -> None:
    arabic = {"language_detection": {"language": "ar", "confidence": 0.95}}
    assert extract_slots(bot_domain, {}, "أريد موعدا في الجوب سنتر", **arabic) == [
        ("language", "ar")
    ]
    # lingua is often this unsure of a short English question ("am i talking to a real person")
    likelier = {"language_detection": {"language": "en", "confidence": 0.6}}
    assert extract_slots(bot_domain, {}, "am i talking to a real person", **likelier) == [
        ("language", "en")
    ]
    unsure = {"language_detection": {"language": "ar", "confidence": 0.4}}
    assert extract_slots(bot_domain, {}, "أريد موعدا في الجوب سنتر", **unsure) == []
    assert extract_slots(bot_domain, {}, "ok", **arabic) == []  # too short to tell
    turkish = {"language_detection": {"language": "tr", "confidence": 0.6}}
    assert extract_slots(bot_domain, {}, "Amal", **turkish) == []  # a name, not a sentence
    # once set, the same unsure sentence does not switch it
    assert (
        extract_slots(bot_domain, {"language": "de"}, "am i talking to a real person", **likelier)
        == []
    )


def test_an_explicit_choice_wins_and_sticks(bot_domain: Domain) -> None:
    english = {"language_detection": {"language": "en", "confidence": 0.95}}
    chosen = extract_slots(
        bot_domain,
        {"language": "ar"},
        "English please",
        intent={"name": "choose_language", "confidence": 0.9},
        entities=[{"entity": "language", "value": "en"}],
        **english,
    )
    assert chosen == [("language", "en"), ("language_explicit", True)]
    # a choice together with a question ("English please, …")
    with_question = extract_slots(
        bot_domain,
        {"language": "ar"},
        "English please, who gets Bürgergeld?",
        entities=[{"entity": "language", "value": "en"}],
        language_choice=True,
        **english,
    )
    assert with_question == [("language", "en"), ("language_explicit", True)]
    german = {"language_detection": {"language": "de", "confidence": 0.95}}
    stuck = extract_slots(
        bot_domain,
        {"language": "en", "language_explicit": True},
        "Ich möchte einen Termin bitte",
        **german,
    )
    assert stuck == []


def test_a_sentence_switches_the_language_but_an_answer_in_the_form_never(
    bot_domain: Domain,
) -> None:
    english = {"language_detection": {"language": "en", "confidence": 0.9}}
    sentence = extract_slots(
        bot_domain, {"language": "de"}, "I would like an appointment please", **english
    )
    assert sentence == [("language", "en")]
    assert extract_slots(bot_domain, {"language": "de"}, "Haddad Amal", **english) == []
    in_form = extract_slots(
        bot_domain,
        {"language": "de", "requested_slot": "given_name"},
        "My name is Amal Haddad",
        **english,
    )
    # the form's slot from the text, and no switch
    assert in_form == [("given_name", "My name is Amal Haddad")]


# 16. A conversation's applied events worked out once per event
#    ---------------------------------------------------


def test_applied_events_patch_is_installed() -> None:
    assert DialogueStateTracker.applied_events is patches._applied_events


def conversation_events() -> list[Event]:
    """A form begun before its loop is named, a rejected loop, reverted utterances and actions,
    a second form, a restart and a new session."""
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hallo", {"name": "greet", "confidence": 0.9}),
        SlotSet("language", "de"),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        UserUttered("anmelden", {"name": "start_registration", "confidence": 0.9}),
        ActionExecuted("intake_form"),
        ActiveLoop("intake_form"),
        SlotSet("requested_slot", "given_name"),
        ActionExecuted("action_listen"),
        UserUttered("Amal", {"name": "inform", "confidence": 0.9}),
        ActionExecutionRejected("intake_form"),
        ActionExecuted("action_default_fallback"),
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
        UserUttered("Amal", {"name": "inform", "confidence": 0.9}),
        ActionExecuted("intake_form"),
        SlotSet("given_name", "Amal"),
        ActionExecuted("action_listen"),
        UserUttered("Haddad", {"name": "inform", "confidence": 0.9}),
        ActionExecuted("intake_form"),
        ActionExecuted("utter_greet"),
        ActionReverted(),
        ActionExecuted("intake_form"),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ActionExecuted("action_listen"),
        UserUttered("einchecken", {"name": "check_in", "confidence": 0.9}),
        ActionExecuted("checkin_form"),
        ActiveLoop("checkin_form"),
        ActionExecuted("action_listen"),
        UserUttered("123456", {"name": "inform", "confidence": 0.9}),
        ActionExecuted("checkin_form"),
        ActiveLoop(None),
        ActionExecuted("action_listen"),
        UserUttered("neu", {"name": "greet", "confidence": 0.9}),
        Restarted(),
        ActionExecuted("action_listen"),
        UserUttered("danke", {"name": "thank", "confidence": 0.9}),
        ActionExecuted("utter_you_are_welcome"),
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hallo", {"name": "greet", "confidence": 0.9}),
    ]


def test_the_kept_applied_events_are_rasas_after_every_event() -> None:
    """The conversation event by event, and 300 random ones drawn from its events (forms begun,
    reverted and renamed in any order): after each, the same events as Rasa's walk from the
    start; a copy with other events (as patch 8's masked copy) and a restored tracker too."""
    rasa_applied = patches.rasa_original("applied_events")
    chooser = random.Random(16)
    pool = conversation_events()
    for events in (pool, [chooser.choice(pool) for _ in range(300)]):
        tracker = DialogueStateTracker.from_events("applied-test", [])
        for happened in events:
            tracker.update(happened)
            expected = rasa_applied(tracker)
            applied = tracker.applied_events()
            assert len(applied) == len(expected)
            assert all(ours is rasas for ours, rasas in zip(applied, expected))
            applied.clear()  # the caller's list: the kept one stays
            assert tracker.applied_events() == expected
        other = copy.copy(tracker)
        other.events = type(tracker.events)(list(tracker.events)[:-3])
        assert other.applied_events() == rasa_applied(other)
        assert tracker.applied_events() == rasa_applied(tracker)


# 19. No deep copies for debug lines nobody logs
#    -----------------------------------------------------------


def test_the_processor_copies_for_debug_lines_only_while_they_are_logged() -> None:
    import logging

    import structlog
    from rasa.core import processor

    assert isinstance(processor.copy, patches._CopyForDebugLines)
    events = [SlotSet("language", "de"), UserUttered("Hallo", {"name": "greet"})]
    kept = structlog.get_config()
    try:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
        assert processor.copy.deepcopy(events) is events
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
        copied = processor.copy.deepcopy(events)
        assert copied == events and copied is not events and copied[0] is not events[0]
    finally:
        structlog.configure(**kept)
    assert processor.copy.copy(events) == events  # the rest of the module is copy's


# 20. The model's graph run in order, without dask's scheduler
#    -------------------------------------------------------------


@pytest.fixture(scope="module")
def model_runner() -> Any:
    """The shipped model's prediction graph, as the processor loads it."""
    from rasa.core.agent import Agent

    return Agent.load(str(model_path())).processor


def test_graph_run_patch_is_installed_for_the_processor_only() -> None:
    from rasa import model_training
    from rasa.core import processor
    from rasa.engine.runner.dask import DaskGraphRunner

    assert processor.DaskGraphRunner.run is patches._graph_run
    assert issubclass(processor.DaskGraphRunner, DaskGraphRunner)
    assert model_training.DaskGraphRunner is DaskGraphRunner  # training keeps dask
    assert DaskGraphRunner.run is not patches._graph_run


def nlu_texts(count: int) -> list[str]:
    """`count` of the NLU examples of every language, drawn at random, with the guard's intents."""
    texts: list[str] = []
    for path in sorted((ROOT / "bot" / "data" / "nlu").rglob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            examples = block.get("examples") or ""
            texts += [line[2:].strip() for line in examples.splitlines() if line.startswith("- ")]
    chosen = random.Random(20).sample(texts, count)
    return chosen + ["/message_too_long", "", "1234", "a" * 2000]


def test_the_ordered_graph_gives_dasks_nlu_results(model_runner: Any) -> None:
    """The NLU graph on NLU examples of every language: the same messages (intent, ranking,
    entities, language) as dask's run of the same graph."""
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner

    runner, target = model_runner.graph_runner, model_runner.model_metadata.nlu_target
    tracker = DialogueStateTracker.from_events("graph-test", conversation_events()[:8])
    for text in nlu_texts(150):
        inputs = {"__message__": [UserMessage(text, sender_id="graph-test")]}
        inputs["__tracker__"] = tracker
        ours = patches._graph_run(runner, inputs=dict(inputs), targets=[target])
        dasks = DaskGraphRunner.run(runner, inputs=dict(inputs), targets=[target])
        assert list(ours) == list(dasks) == [target]
        assert [m.as_dict() for m in ours[target]] == [m.as_dict() for m in dasks[target]]


def test_the_ordered_graph_gives_dasks_predictions(model_runner: Any) -> None:
    """The policy graph after every event of a conversation with forms, reverts and a restart,
    and both targets at once: the same predictions as dask's run."""
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner

    runner, target = model_runner.graph_runner, model_runner.model_metadata.core_target
    tracker = DialogueStateTracker.from_events("graph-test", [], slots=model_runner.domain.slots)
    for happened in conversation_events():
        tracker.update(happened)
        ours = patches._graph_run(runner, inputs={"__tracker__": tracker}, targets=[target])
        dasks = DaskGraphRunner.run(runner, inputs={"__tracker__": tracker}, targets=[target])
        assert ours == dasks and ours[target].max_confidence > 0
    inputs = {"__message__": [UserMessage("Hallo", sender_id="graph-test")], "__tracker__": tracker}
    both = [model_runner.model_metadata.nlu_target, target]
    ours = patches._graph_run(runner, inputs=dict(inputs), targets=both)
    dasks = DaskGraphRunner.run(runner, inputs=dict(inputs), targets=both)
    assert list(ours) == list(dasks) == both
    assert ours[target] == dasks[target]
    assert [m.as_dict() for m in ours[both[0]]] == [m.as_dict() for m in dasks[both[0]]]
    # No targets named: the schema's, none in a prediction graph.
    assert patches._graph_run(runner, inputs=dict(inputs)) == DaskGraphRunner.run(
        runner, inputs=dict(inputs)
    )


def test_the_ordered_graph_fails_as_dasks(model_runner: Any) -> None:
    """An input named like a node, and a node that fails: Rasa's own errors."""
    from rasa.engine.exceptions import GraphComponentException, GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    runner, target = model_runner.graph_runner, model_runner.model_metadata.nlu_target
    for run in (patches._graph_run, DaskGraphRunner.run):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(runner, inputs={"__message__": target}, targets=[target])
        with pytest.raises(GraphComponentException, match="nlu_message_converter"):
            run(runner, inputs={"__message__": ["not a message"]}, targets=[target])


# 21. Action server calls over kept connections, the domain's JSON written once
#    ---------------------------------------------------------------------------------


def test_action_calls_patch_is_installed() -> None:
    from bot.runtime.action_calls import KeptEndpointConfig

    assert RemoteAction.__init__ is patches._remote_action_init
    endpoint = EndpointConfig("http://127.0.0.1:5055/webhook", headers={"Authorization": "x"})
    first, second = RemoteAction("a", endpoint), RemoteAction("b", endpoint)
    assert type(first.action_endpoint) is KeptEndpointConfig
    assert first.action_endpoint is second.action_endpoint  # one per endpoint: one session
    assert first.action_endpoint.url == endpoint.url
    assert first.action_endpoint.headers == endpoint.headers
    assert RemoteAction("c", None).action_endpoint is None


def action_call_bodies(domain: Domain) -> list[dict[str, Any]]:
    """What Rasa's RemoteAction sends after every event of a conversation, with non-ASCII text."""
    action = RemoteAction("action_answer_topic", None)
    tracker = DialogueStateTracker.from_events("body-test", [], slots=domain.slots)
    bodies = []
    for happened in [*conversation_events(), UserUttered("ماذا يحدث؟ Übergang 💶", {"name": "x"})]:
        tracker.update(happened)
        bodies.append(action._action_call_format(tracker, domain))
    return bodies


def test_the_request_body_is_what_aiohttp_writes(bot_domain: Domain) -> None:
    from bot.runtime.action_calls import request_body

    bodies = action_call_bodies(bot_domain)
    assert all(next(reversed(body)) == "domain" for body in bodies)
    others: list[dict[str, Any]] = [
        {},
        {"domain": {"a": 1}},
        {"next_action": "x", "domain": None},
        {"domain": {"a": 1}, "next_action": "x"},
        {"next_action": "x", "domain": {"ä": "ö"}},
    ]
    for body in bodies + others:
        assert request_body(body) == json.dumps(body).encode()
    # A domain changed for another model (another object) is written anew.
    changed = dict(bodies[-1], domain={**bot_domain.as_dict(), "intents": ["only"]})
    assert request_body(changed) == json.dumps(changed).encode()
    assert request_body(bodies[0]) == json.dumps(bodies[0]).encode()


async def recording_action_server(
    answer: tuple[int, dict[str, Any]], seen: list[tuple[Any, bytes, dict[str, str]]], port: int = 0
) -> tuple[Any, int]:
    """An HTTP action server on loopback answering `answer` (status, JSON) and recording each
    request's connection, body and headers."""
    from aiohttp import web

    async def webhook(request: web.Request) -> web.Response:
        seen.append((request.transport, await request.read(), dict(request.headers)))
        return web.json_response(answer[1], status=answer[0])

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


def test_action_calls_reuse_one_connection_and_send_rasas_bytes(bot_domain: Domain) -> None:
    """Three custom actions through one endpoint: one connection, the same body and headers as
    Rasa's own request, the same events back; after the server restarts (its connections
    closed), the next call gets through on a new one."""

    async def run() -> None:
        seen: list[tuple[Any, bytes, dict[str, str]]] = []
        runner, port = await recording_action_server((200, VALID_RESPONSE), seen)
        endpoint = EndpointConfig(
            f"http://127.0.0.1:{port}/webhook", headers={"Authorization": "Bearer t"}
        )
        tracker = DialogueStateTracker.from_events(
            "kept-test", conversation_events(), slots=bot_domain.slots
        )
        nlg = TemplatedNaturalLanguageGenerator({"utter_greet": [{"text": "Hallo"}]})
        rasas = RemoteAction.__new__(RemoteAction)
        patches.rasa_original("remote_action_init")(rasas, "action_x", endpoint)
        try:
            expected = await rasas.run(CollectingOutputChannel(), nlg, tracker, bot_domain)
            for name in ("action_x", "action_x", "action_x"):
                events = await RemoteAction(name, endpoint).run(
                    CollectingOutputChannel(), nlg, tracker, bot_domain
                )
                assert [dict(e.as_dict(), timestamp=0) for e in events] == [
                    dict(e.as_dict(), timestamp=0) for e in expected
                ]
            assert len({id(transport) for transport, _, _ in seen[1:]}) == 1
            assert {body for _, body, _ in seen} == {seen[0][1]}
            for _, _, headers in seen:
                assert headers["Authorization"] == "Bearer t"
                assert headers["Content-Type"] == "application/json"
        finally:
            await runner.cleanup()
        runner, _ = await recording_action_server((200, VALID_RESPONSE), seen, port)
        try:
            await RemoteAction("action_x", endpoint).run(
                CollectingOutputChannel(), nlg, tracker, bot_domain
            )
            assert len(seen) == 5
        finally:
            await runner.cleanup()
            await action_calls.close_sessions()

    asyncio.run(run())


@pytest.mark.parametrize(
    ("status", "raised"),
    [(400, "ActionExecutionRejection"), (500, "RasaException")],
)
def test_a_kept_call_fails_as_rasas(status: int, raised: str) -> None:
    """A rejection (400 naming the action) and a failed action server: Rasa's own errors."""
    from rasa.core.actions import action as rasa_action

    async def run() -> None:
        seen: list[tuple[Any, bytes, dict[str, str]]] = []
        answer = {"action_name": "action_x", "error": "no"}
        runner, port = await recording_action_server((status, answer), seen)
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        domain = Domain.from_dict({})
        try:
            with pytest.raises(getattr(rasa_action, raised)):
                await RemoteAction("action_x", endpoint).run(
                    CollectingOutputChannel(),
                    TemplatedNaturalLanguageGenerator({}),
                    DialogueStateTracker("kept-test", []),
                    domain,
                )
        finally:
            await runner.cleanup()
            await action_calls.close_sessions()

    asyncio.run(run())
