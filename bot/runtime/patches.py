"""Lotse's patches of Rasa internals: what they are and how many, bot/runtime/__init__.py.

Rasa answers every message on one event loop, so CPU spent there delays every other conversation;
the reasons were measured at 10 concurrent conversations (bot/README.md, "Latency"). Each patch is a
function that does nothing when its change is already in place; install() checks the Rasa version
and then applies them all. Rasa is imported only after the version check.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import sqlite3
import time
import weakref
from collections.abc import Callable
from typing import Any

# The Rasa release the patches were written against and measured with: another one may have moved or
# changed what they replace, so the server refuses to start with it.
EXPECTED_RASA_VERSION = "3.6.21"
logger = logging.getLogger(__name__)

# Rasa's own functions, kept by the patch that replaces them; the patched functions fall back to
# them.
_RASA: dict[str, Callable[..., Any]] = {}


class UnsupportedRasaVersion(RuntimeError):
    """The installed Rasa is not the one the patches were written for."""


def installed_rasa_version() -> str:
    from rasa.version import __version__

    return __version__


def check_rasa_version(installed: str | None = None) -> None:
    """Raises UnsupportedRasaVersion unless `installed` (default: the Rasa this process imports)
    is the expected one."""
    installed = installed_rasa_version() if installed is None else installed
    if installed != EXPECTED_RASA_VERSION:
        raise UnsupportedRasaVersion(
            f"Rasa {installed} is installed, but Lotse's Rasa patches (bot/runtime/patches.py) "
            f"were written for Rasa {EXPECTED_RASA_VERSION}; not starting. Install "
            f"rasa=={EXPECTED_RASA_VERSION} (make bot-install), or check and re-measure every "
            f"patch against Rasa {installed}, then change EXPECTED_RASA_VERSION."
        )


def rasa_original(name: str) -> Callable[..., Any]:
    """Rasa's own function that a patch replaced: "validate_action_result",
    "create_engine_kwargs", "resolve_by_type", "handle_message", "parse_message",
    "configure_app", "save_tracker", "socketio_blueprint", "on_tracker_store_error",
    "get_possible_keys", "past_states", "extract_slots", "sql_retrieve", "sql_save",
    "applied_events", "remote_run", "run_action" or "remote_action_init"."""
    return _RASA[name]


# 1. Action server responses
#    -------------------------------------------------------------------------

_response_validator: Any = None
# The same schema checked in two steps: the response with each event's common fields
# (_response_shape), then each event against the one alternative of Rasa's "oneOf" its type names.
_response_shape: Any = None
_event_validators: dict[str, Any] = {}


def _valid_response(result: Any) -> bool:
    """What _response_validator.is_valid(result) answers, without trying every event alternative:
    in Rasa's event schema each alternative requires its own `event` name (a "const"), so only the
    one named can match, and "oneOf" holds exactly when it does."""
    if not _response_shape.is_valid(result):
        return False
    for event in result.get("events") or ():
        validator = _event_validators.get(event["event"])
        if validator is None or not validator.is_valid(event):
            return False
    return True


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Rasa's check of an action server response, with the validators built once by
    validator_built_once()."""
    if _valid_response(result):
        return True
    # Rasa's own check raises its own error (jsonschema.ValidationError, Rasa's message).
    return _RASA["validate_action_result"](self, result)


def validator_built_once() -> None:
    """jsonschema.validate() re-checks Rasa's response schema against the 2020-12 meta-schema on every call: 19 ms of CPU per custom action call, 0.3 ms with a validator built once; each event checked against its own type's alternative only (not all 23 of the schema's "oneOf"): 1.2 ms -> 0.1 ms for a response of 4 events and 2 messages (the same answers: tests/bot/test_runtime.py)."""  # noqa: E501
    global _response_validator, _response_shape
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    if RemoteAction._validate_action_result is _validate_action_result:
        return
    spec = RemoteAction.action_response_format_spec()
    validator_class = validator_for(spec)  # as jsonschema.validate() chooses it
    validator_class.check_schema(spec)
    _response_validator = validator_class(spec)
    event_schema = spec["properties"]["events"]["items"]
    alternatives = event_schema["oneOf"]
    common = {key: value for key, value in event_schema.items() if key != "oneOf"}
    events = dict(spec["properties"]["events"], items=common)
    _response_shape = validator_class(
        dict(spec, properties=dict(spec["properties"], events=events))
    )
    names = [alternative["properties"]["event"]["const"] for alternative in alternatives]
    if len(set(names)) != len(names):  # the shortcut holds only for distinct names
        raise UnsupportedRasaVersion("Rasa's event schema names an event type twice")
    _event_validators.clear()
    _event_validators.update(
        (name, validator_class(alternative)) for name, alternative in zip(names, alternatives)
    )
    _RASA["validate_action_result"] = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


# 2. SQLite tracker store: connection pool
#    -----------------------------------------------------------


def _engine_kwargs(url: Any) -> dict[str, Any]:
    """Rasa's create_engine_kwargs, with a connection pool for an SQLite file."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # PostgreSQL as Rasa has it, with each pooled connection checked before use: after a
        # restart of the database the first message on every old connection would fail.
        return {**_RASA["create_engine_kwargs"](url), "pool_pre_ping": True}
    if parsed.database in (None, "", ":memory:"):
        # An in-memory database exists per connection, so no pool of them.
        return _RASA["create_engine_kwargs"](url)
    # The store is used from the event loop's thread only; the pool hands a connection to one user
    # at a time.
    return {
        "poolclass": QueuePool,
        "pool_size": int(os.environ.get("SQL_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("SQL_MAX_OVERFLOW", "10")),
        "connect_args": {"check_same_thread": False},
    }


def sqlite_connection_pool() -> None:
    """SQLAlchemy 1.4 opens and closes a connection per query on an SQLite file, and closing the last one checkpoints the WAL with an fsync: without the pool WAL (patch 3) is slower, with it 13 ms -> 0.5 ms per commit."""  # noqa: E501
    from rasa.core import tracker_store

    if tracker_store.create_engine_kwargs is _engine_kwargs:
        return
    _RASA["create_engine_kwargs"] = tracker_store.create_engine_kwargs
    tracker_store.create_engine_kwargs = _engine_kwargs


# 3. SQLite: WAL, no fsync per commit
#    ----------------------------------------------------------------


def _sqlite_wal_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def sqlite_wal() -> None:
    """A commit in SQLite's rollback journal waits for fsyncs: 13 ms on this disk, 0.5 ms with WAL, synchronous=NORMAL and patch 2's pool (an OS crash, not a Rasa crash, may lose the last messages; the file stays consistent)."""  # noqa: E501
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_wal_pragmas):
        event.listen(Engine, "connect", _sqlite_wal_pragmas)


# 4. Event classes by type name
#    ----------------------------------------------------------------------

_event_classes: dict[str, type[Any]] = {}


def _resolve_by_type(type_name: str, default: type[Any] | None = None) -> type[Any] | None:
    """Rasa's Event.resolve_by_type from a table; a name not in it goes to Rasa's own lookup."""
    found = _event_classes.get(type_name)
    return found if found is not None else _RASA["resolve_by_type"](type_name, default)


def event_class_table() -> None:
    """Rasa walks all Event subclasses (23) to find the class of each stored event it loads: 0.12 ms per event on this machine under test load, a table lookup well under 1 µs."""  # noqa: E501
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    if Event.resolve_by_type is _resolve_by_type:
        return
    for cls in all_subclasses(Event):
        _event_classes.setdefault(cls.type_name, cls)  # the first match, as Rasa's own lookup
    _RASA["resolve_by_type"] = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


# 5. Every channel's messages screened at the door
#    ----------------------------------------------------


async def _handle_message(self: Any, message: Any) -> Any:
    """Rasa's Agent.handle_message, after guard.screen() (length caps, which `/intent` a client
    may send), and only while this instance is not overloaded (bot/runtime/admission.py); a
    message that fails (a store unreachable) is answered with "send it again in a minute"."""
    from bot.runtime import guard
    from bot.runtime.admission import admission, busy_text, unavailable_text

    message.text = guard.screen(message.text, self.domain.intents if self.domain else ())
    door = admission()
    if not door.enter():
        language = door.language_for(message.sender_id, message.text)
        await message.output_channel.send_text_message(message.sender_id, busy_text(language))
        return None
    try:
        return await _RASA["handle_message"](self, message)
    except Exception:  # noqa: BLE001 - a store was unreachable (patch 11) or another failure
        # Rasa's channels only log it, and the client would wait for an answer that never comes.
        logger.exception("a message could not be handled; the client is told to send it again")
        language = door.language_for(message.sender_id, message.text)
        await message.output_channel.send_text_message(
            message.sender_id, unavailable_text(language)
        )
        return None
    finally:
        door.leave()


def message_guard() -> None:
    """Every channel hands its messages to Agent.handle_message: capped there (a 20,000-letter word held the event loop 31,000 ms), and `/EXTERNAL_…` text from clients refused."""  # noqa: E501
    from rasa.core.agent import Agent

    if Agent.handle_message is _handle_message:
        return
    _RASA["handle_message"] = Agent.handle_message
    Agent.handle_message = _handle_message  # type: ignore[method-assign]


# 6. Message parsing off the event loop
#    ---------------------------------------------------------------


async def _parse_message(
    self: Any, message: Any, tracker: Any = None, only_output_properties: bool = True
) -> Any:
    """Rasa's MessageProcessor.parse_message with the NLU graph run in a worker thread; without
    its debug log line, which writes the client's text."""
    import asyncio

    from rasa.shared.core.trackers import DialogueStateTracker

    if self.http_interpreter:
        return await _RASA["parse_message"](self, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    parse_data = await asyncio.get_running_loop().run_in_executor(
        None, self._parse_message_with_graph, message, tracker, only_output_properties
    )
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


def parse_off_event_loop() -> None:
    """NLU (normaliser, language identification, classifier) costs 5-20 ms of CPU per message: on the event loop every other conversation waits for it, in a thread the loop serves them meanwhile."""  # noqa: E501
    from rasa.core.processor import MessageProcessor

    if MessageProcessor.parse_message is _parse_message:
        return
    _RASA["parse_message"] = MessageProcessor.parse_message
    MessageProcessor.parse_message = _parse_message  # type: ignore[method-assign]


# 7. HTTP: request size cap, model routes refused
#    ------------------------------------------------------

# A client message is at most a few KB; Sanic's default allows 100 MB per request.
MAX_REQUEST_BYTES = 256 * 1024
MODEL_ROUTE = "/model"


async def _refuse_model_routes(request: Any) -> Any:
    from sanic.response import json as json_response

    if request.path == MODEL_ROUTE or request.path.startswith(MODEL_ROUTE + "/"):
        return json_response(
            {
                "status": "failure",
                "reason": "ModelRoutesOff",
                "message": "Lotse loads only the model it was started with.",
                "code": 403,
            },
            status=403,
        )
    return None


def _configure_app(*args: Any, **kwargs: Any) -> Any:
    from bot.runtime.action_calls import close_sessions

    app = _RASA["configure_app"](*args, **kwargs)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.register_middleware(_refuse_model_routes, "request")
    app.register_listener(close_sessions, "after_server_stop")  # patch 21's sessions
    return app


def http_limits() -> None:
    """`PUT /model` loads any model file, and a model file is code: every /model route is refused (under 1 ms, before authentication), and request bodies are capped at 256 KB."""  # noqa: E501
    from rasa.core import run

    if run.configure_app is _configure_app:
        return
    _RASA["configure_app"] = run.configure_app
    run.configure_app = _configure_app


# 8. Tracker store: no PIN kept
#    ---------------------------------------------------------------------


async def _save_masked(self: Any, tracker: Any) -> None:
    """Rasa's FailSafeTrackerStore.save, handed a copy of the tracker with its PINs masked."""
    from bot.runtime.masking import masked_tracker

    await _RASA["save_tracker"](self, masked_tracker(tracker))


def tracker_store_masking() -> None:
    """Rasa stores each message's text and a response's template variables: the PIN shown once at the end of the pre-registration and typed into check-in would stay there. Every store (SQL, Redis, the in-memory fallback) is saved through Agent's FailSafeTrackerStore, which now hands it a copy with the PINs masked (bot/runtime/masking.py; 0.7 ms per save of a 400-event conversation); what the client sees is sent before and unchanged."""  # noqa: E501
    from rasa.core.tracker_store import FailSafeTrackerStore

    if FailSafeTrackerStore.save is _save_masked:
        return
    _RASA["save_tracker"] = FailSafeTrackerStore.save
    FailSafeTrackerStore.save = _save_masked  # type: ignore[method-assign]


# 9. socket.io: the session's room entered
#    -------------------------------------------------------------


def _socketio_blueprint(self: Any, on_new_message: Any) -> Any:
    """Rasa's SocketIOInput.blueprint, with its session_request handler replaced by one that
    awaits enter_room (the rest of the handler as Rasa's)."""
    import uuid

    blueprint = _RASA["socketio_blueprint"](self, on_new_message)
    sio = self.sio

    async def session_request(sid: str, data: dict[str, Any] | None) -> None:
        if data is None:
            data = {}
        if data.get("session_id") is None:
            data["session_id"] = uuid.uuid4().hex
        if self.session_persistence:
            await sio.enter_room(sid, data["session_id"])
        await sio.emit("session_confirm", data["session_id"], room=sid)

    sio.on("session_request", namespace=self.namespace)(session_request)
    redis_url = os.environ.get("LOTSE_REDIS_URL")
    if redis_url:
        _share_rooms_through_redis(sio, redis_url)
    return blueprint


# Every Rasa instance of one deployment publishes and listens here (python-socketio's own format).
SOCKETIO_CHANNEL = "lotse-socketio"
# How soon an instance listens again once Redis answers after an outage.
RESUBSCRIBE_SECONDS = 0.2


def _redis_manager(redis_url: str) -> Any:
    """python-socketio's AsyncRedisManager, listening again within RESUBSCRIBE_SECONDS of Redis
    coming back. Its own waits 1, 2, 4 ... up to 60 s between tries: measured through the cluster
    (tests/bot/test_cluster.py, Redis down 15 s in a desk hand-over) an instance listened again
    16 s after Redis was back, and a staff reply pushed meanwhile through the other instance never
    reached the chat connected to it (Rasa answered the push 200: it was not sent again)."""
    import asyncio

    import socketio

    class QuickToListenAgain(socketio.AsyncRedisManager):  # type: ignore[misc]
        async def _redis_listen_with_retries(self) -> Any:
            unreachable = False
            while True:
                try:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    if unreachable:
                        logger.warning("socket.io: listening to Redis again")
                    unreachable = False
                    async for message in self.pubsub.listen():
                        yield message
                except Exception as error:  # noqa: BLE001 - as python-socketio's: any failure
                    if not unreachable:
                        logger.error("socket.io: Redis unreachable (%s)", type(error).__name__)
                    unreachable = True
                    await asyncio.sleep(RESUBSCRIBE_SECONDS)

    return QuickToListenAgain(redis_url, channel=SOCKETIO_CHANNEL)


def _share_rooms_through_redis(sio: Any, redis_url: str) -> None:
    """A reply or push emitted on any instance reaches the client connected to another: the rooms
    are shared through Redis (python-socketio >= 5.14 sends JSON there, never pickle). Set before
    the first connection, when the server initialises its manager."""
    manager = _redis_manager(redis_url)
    manager.set_server(sio)
    sio.manager = manager
    sio.manager_initialized = False


def socketio_room_awaited() -> None:
    """python-socketio 5.10 made AsyncServer.enter_room a coroutine, which Rasa 3.6 calls without await (RasaHQ/rasa#13027): the socket never joins its session's room, where Rasa sends the replies; measured against the real server, session_confirm came (< 2 ms) but no reply within 60,000 ms (3 of 3 sessions, websocket and polling-then-websocket); awaited, the first reply came in 14-21 ms."""  # noqa: E501
    from rasa.core.channels.socketio import SocketIOInput

    if SocketIOInput.blueprint is _socketio_blueprint:
        return
    _RASA["socketio_blueprint"] = SocketIOInput.blueprint
    SocketIOInput.blueprint = _socketio_blueprint  # type: ignore[method-assign]


# 10. Sanic 21.12 websockets on Python 3.11
#    ------------------------------------------------------------


async def _wait_for_tasks(aws: Any, *args: Any, **kwargs: Any) -> Any:
    """asyncio.wait for Sanic's websocket code: coroutines become tasks first, as Python < 3.11
    did itself."""
    import asyncio

    return await asyncio.wait([asyncio.ensure_future(aw) for aw in aws], *args, **kwargs)


class _AsyncioForSanic:
    """The asyncio module as Sanic's websocket implementation sees it, with wait() taking
    coroutines."""

    wait = staticmethod(_wait_for_tasks)

    def __getattr__(self, name: str) -> Any:
        import asyncio

        return getattr(asyncio, name)


def sanic_websocket_wait() -> None:
    """Sanic 21.12's websocket recv passes a coroutine to asyncio.wait, which Python 3.11 refuses (TypeError on the first message received): measured against the real server, a websocket-only client's connect was never answered (given up after the client's 1,000 ms wait, 3 of 3) and the upgrade from polling failed in 8 ms; polling alone still chatted (first reply 15-19 ms); with coroutines made tasks first, websocket replies come in 14-21 ms."""  # noqa: E501
    from sanic.server.websockets import impl

    if isinstance(impl.asyncio, _AsyncioForSanic):
        return
    impl.asyncio = _AsyncioForSanic()  # type: ignore[assignment]


# 11. Tracker store failures not papered over
#    ----------------------------------------------------------


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store (PostgreSQL in a cluster) could not load or save a conversation."""


def _raise_store_error(self: Any, error: Exception) -> None:
    raise TrackerStoreUnavailable(str(error)) from error


def tracker_store_failures_raise() -> None:
    """Rasa's FailSafeTrackerStore answers a failed load with a new, empty conversation and keeps a failed save in this process's memory: while PostgreSQL restarts a client in the middle of a registration would be greeted as a stranger, and what was said then vanishes when it is back. Both now raise, and patch 5 tells the client to send the message again in a minute, nothing of it kept: measured through the cluster (tests/bot/test_cluster.py) in 47 ms with PostgreSQL down, 4 ms with Redis down."""  # noqa: E501
    from rasa.core.tracker_store import FailSafeTrackerStore

    if FailSafeTrackerStore.on_tracker_store_error is _raise_store_error:
        return
    _RASA["on_tracker_store_error"] = FailSafeTrackerStore.on_tracker_store_error
    FailSafeTrackerStore.on_tracker_store_error = _raise_store_error  # type: ignore[method-assign]
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _raise_store_error  # type: ignore[method-assign]


# 12. RulePolicy: rule keys matched once per state, as far back as a rule reaches
#    --------------------------------------------


class _RuleIndex:
    """The rules of one RulePolicy lookup, each with its states latest first, grouped by what their
    latest state requires of the conversation's latest state: its previous action's name and its
    user intent (None: any)."""

    def __init__(self, lookup: dict[str, str]) -> None:
        from rasa.core.policies.rule_policy import RulePolicy
        from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
        from rasa.shared.nlu.constants import ACTION_NAME, INTENT

        self.lookup = lookup  # kept: the index is found by the lookup's id
        self.groups: dict[tuple[Any, Any], list[tuple[str, list[dict[str, Any]]]]] = {}
        for key in lookup:
            rule = list(reversed(RulePolicy._rule_key_to_state(key)))
            latest = rule[0] if rule else {}
            action = latest.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
            intent = latest.get(USER, {}).get(INTENT)
            # A state without a previous action matches another such state whatever its intent.
            if not latest.get(PREVIOUS_ACTION) or intent == SHOULD_NOT_BE_SET:
                intent = None
            group = (action if action and action != SHOULD_NOT_BE_SET else None, intent or None)
            self.groups.setdefault(group, []).append((key, rule))

    def candidates(self, state: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
        """The rules whose latest state can match `state`, in lookup order within each group."""
        from rasa.shared.core.constants import PREVIOUS_ACTION, USER
        from rasa.shared.nlu.constants import ACTION_NAME, INTENT

        action = state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
        intent = state.get(USER, {}).get(INTENT)
        found: list[tuple[str, list[dict[str, Any]]]] = []
        for group in {(None, None), (action, None), (None, intent), (action, intent)}:
            found += self.groups.get(group, [])
        return found


_rule_indexes: dict[int, _RuleIndex] = {}


def _possible_rule_keys(self: Any, lookup: dict[str, str], states: list[Any]) -> set[str]:
    """RulePolicy._get_possible_keys, the same keys: each rule is checked as
    RulePolicy._is_rule_applicable checks it, but only the rules whose latest state names the
    conversation's latest previous action and intent (or none), and no further back than the
    longest rule still in the running (an older state cannot rule a shorter rule out)."""
    from rasa.shared.core.constants import PREVIOUS_ACTION

    if not states:
        return set(lookup)
    index = _rule_indexes.get(id(lookup))
    if index is None or index.lookup is not lookup:
        index = _rule_indexes[id(lookup)] = _RuleIndex(lookup)
    match = self._does_rule_match_state
    candidates = index.candidates(states[-1])
    for turn, state in enumerate(reversed(states)):
        if not candidates or turn >= max(len(rule) for _, rule in candidates):
            break
        current_previous_action = state.get(PREVIOUS_ACTION)
        kept = []
        for key, rule in candidates:
            if turn >= len(rule):
                kept.append((key, rule))
                continue
            rule_previous_action = rule[turn].get(PREVIOUS_ACTION)
            if not rule_previous_action and not current_previous_action:
                kept.append((key, rule))
            elif rule_previous_action and current_previous_action and match(rule[turn], state):
                kept.append((key, rule))
        candidates = kept
    return {key for key, _ in candidates}


def rule_matching_bounded() -> None:
    """RulePolicy checked every rule (209) against every state of the conversation, two to four times per message, though no rule is longer than 4 states: 0.16 ms per check of a 14-state conversation on this machine, 0.004 ms checking only the rules whose latest state names the conversation's latest action and intent, and only as far back as they reach (the same keys: tests/bot/test_runtime.py compares both on every trained rule)."""  # noqa: E501
    from rasa.core.policies.rule_policy import RulePolicy

    if RulePolicy._get_possible_keys is _possible_rule_keys:
        return
    _RASA["get_possible_keys"] = RulePolicy._get_possible_keys
    RulePolicy._get_possible_keys = _possible_rule_keys  # type: ignore[method-assign]


# 13. A conversation's states replayed once per message, not once per prediction
#    -----------------------------


class _ReplayedStates:
    """What DialogueStateTracker.past_states() replayed for one tracker: the events applied so far,
    the tracker they were applied to, and the state before each ActionExecuted among them."""

    def __init__(self, tracker: Any, domain: Any, omit_unset_slots: bool) -> None:
        self.owner = weakref.ref(tracker)
        self.domain = domain
        self.omit_unset_slots = omit_unset_slots
        self.replay = tracker.init_copy()
        self.applied: list[Any] = []
        self.states: list[dict[str, Any]] = []


_replayed: dict[int, _ReplayedStates] = {}


def _past_states(
    self: Any,
    domain: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Rasa's DialogueStateTracker.past_states, the same states: Domain.states_for_tracker_history
    replays every applied event of the conversation on a new tracker and takes its state before
    each action; here the replay of this tracker is kept and goes on from where it stopped while
    the applied events only grew (the same event objects first). The caller gets copies (Rasa's
    featurizers delete from them)."""
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    if ignore_rule_only_turns or type(self) is not DialogueStateTracker:
        return _RASA["past_states"](
            self,
            domain,
            omit_unset_slots=omit_unset_slots,
            ignore_rule_only_turns=ignore_rule_only_turns,
            rule_only_data=rule_only_data,
        )
    applied = self.applied_events()
    kept = _replayed.get(id(self))
    if (
        kept is None
        or kept.owner() is not self
        or kept.domain is not domain
        or kept.omit_unset_slots != omit_unset_slots
        or len(kept.applied) > len(applied)
        or any(old is not new for old, new in zip(kept.applied, applied))
    ):
        if kept is None or kept.owner() is not self:
            weakref.finalize(self, _replayed.pop, id(self), None)
        kept = _replayed[id(self)] = _ReplayedStates(self, domain, omit_unset_slots)
    for event in applied[len(kept.applied) :]:
        if isinstance(event, ActionExecuted):
            state = domain.get_active_state(kept.replay, omit_unset_slots=omit_unset_slots)
            kept.states.append(domain._clean_state(state))
        kept.replay.update(event)
        kept.applied.append(event)
    current = domain.get_active_state(kept.replay, omit_unset_slots=omit_unset_slots)
    return [{part: dict(values) for part, values in state.items()} for state in kept.states] + [
        domain._clean_state(current)
    ]


def past_states_replayed_once() -> None:
    """RulePolicy asks for the conversation's states two to four times per message, and Rasa replayed the whole conversation on a new tracker for each: 0.20 ms for a 14-state conversation on this machine; with the replay kept per tracker, applying only the events since the last call, 0.04 ms (the same states after every event: tests/bot/test_runtime.py)."""  # noqa: E501
    from rasa.shared.core.trackers import DialogueStateTracker

    if DialogueStateTracker.past_states is _past_states:
        return
    _RASA["past_states"] = DialogueStateTracker.past_states
    DialogueStateTracker.past_states = _past_states  # type: ignore[method-assign]


# 14. The conversation language decided inside Rasa
#    -----------------------------------------------------


def _mapped_to_form(slot: Any) -> bool:
    """A slot with a mapping for a form only (rasa_sdk's ValidationAction leaves those alone)."""
    return any(
        condition.get("active_loop")
        for mapping in slot.mappings
        for condition in mapping.get("conditions", [])
    )


async def _extract_slots(
    self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Any]:
    """Rasa's ActionExtractSlots.run, then the `language` and `language_explicit` slots this
    message sets (bot/lang/conversation.py), in the order the action server's validation action
    returned them (rasa_sdk's ValidationAction): the slots of no form first, then these, then the
    slots of forms."""
    from rasa.shared.core.events import SlotSet

    from bot.lang.conversation import language_slots

    events = await _RASA["extract_slots"](self, output_channel, nlg, tracker, domain)
    extracted = {event.key: event.value for event in events if isinstance(event, SlotSet)}

    def slot(name: str) -> Any:
        return extracted[name] if name in extracted else tracker.get_slot(name)

    found = language_slots(
        tracker._latest_message_data() or {},
        language=slot("language"),
        explicit=bool(slot("language_explicit")),
        in_form=bool(tracker.active_loop and tracker.active_loop.name)
        or bool(slot("requested_slot")),
    )
    for_forms = {s.name for s in domain.slots if _mapped_to_form(s)}
    return (
        [e for e in events if not (isinstance(e, SlotSet) and e.key in for_forms)]
        + [SlotSet(name, value) for name, value in found.items()]
        + [e for e in events if isinstance(e, SlotSet) and e.key in for_forms]
    )


def language_slots_in_rasa() -> None:
    """The action server decided the conversation language on every message (action_validate_slot_mappings): a round trip with the whole tracker as JSON both ways, 8.5 % of Rasa's CPU per message (1.3 ms of 15.8 ms in the capacity benchmark, 4 Dec 2026); the same decision made in Rasa's process adds 0.02 ms to its slot extraction."""  # noqa: E501
    from rasa.core.actions.action import ActionExtractSlots

    if ActionExtractSlots.run is _extract_slots:
        return
    _RASA["extract_slots"] = ActionExtractSlots.run
    ActionExtractSlots.run = _extract_slots  # type: ignore[method-assign]


# 15. SQL tracker store: the conversations last saved kept in memory
#    ---------------------------------------------


async def _retrieve_kept(self: Any, sender_id: str) -> Any:
    from bot.runtime import tracker_cache

    return await tracker_cache.retrieve(self, sender_id)


async def _save_kept(self: Any, tracker: Any) -> None:
    from bot.runtime import tracker_cache

    await tracker_cache.save(self, tracker)


def sql_trackers_kept() -> None:
    """SQLTrackerStore.retrieve read, parsed and replayed the whole session on every message, and its save counted the stored events with another query: 1.6 ms and 0.9 ms of Rasa's 9.3 ms CPU per message in the capacity benchmark (5 Dec 2026), with both 7.3 ms. Now each store keeps the trackers it last saved (bot/runtime/tracker_cache.py: at most 500 per process, 10 minutes and never past the session expiry, only where one equals a fresh retrieve), hands one out while the conversation's newest row is still the one it saved (one indexed query; another instance's events or an erasure change it), and inserts a save's new events in one statement."""  # noqa: E501
    from rasa.core.tracker_store import SQLTrackerStore

    if SQLTrackerStore.retrieve is _retrieve_kept:
        return
    _RASA["sql_retrieve"] = SQLTrackerStore.retrieve
    _RASA["sql_save"] = SQLTrackerStore.save
    SQLTrackerStore.retrieve = _retrieve_kept  # type: ignore[method-assign]
    SQLTrackerStore.save = _save_kept  # type: ignore[method-assign]


# 16. A conversation's applied events worked out once per event
#    ---------------------------------------------


class _AppliedEvents:
    """What DialogueStateTracker.applied_events() worked out for one tracker: its events deque,
    how many of them, the last one, the names of the loops among them and the applied events."""

    def __init__(self, events: Any, loop_names: set[str]) -> None:
        self.events = events
        self.count = 0
        self.last: Any = None
        self.loop_names = loop_names
        self.applied: list[Any] = []


def _applied_events(self: Any) -> list[Any]:
    """Rasa's DialogueStateTracker.applied_events, the same list: Rasa walks every event of the
    conversation on each call; here the walk is kept per tracker and goes on over the events
    added since, while the events before are the same objects in the same deque and no new loop
    name came (Rasa treats a loop's earlier executions by the names of all loops the conversation
    has ever had; a new one means walking again from the start)."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    if type(self) is not DialogueStateTracker:
        return _RASA["applied_events"](self)
    events = self.events
    kept: _AppliedEvents | None = self.__dict__.get("_lotse_applied")
    new: list[Any] = []
    if (
        kept is not None
        and kept.events is events
        and kept.count <= len(events)
        and (kept.count == 0 or events[kept.count - 1] is kept.last)
    ):
        new = list(itertools.islice(events, kept.count, None))
        if any(isinstance(e, ActiveLoop) and e.name and e.name not in kept.loop_names for e in new):
            kept = None
    else:
        kept = None
    if kept is None:
        loop_names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
        kept = self.__dict__["_lotse_applied"] = _AppliedEvents(events, loop_names)
        new = list(events)
    applied = kept.applied
    for event in new:  # Rasa's loop (Rasa 3.6.21), on the kept list
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            self._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            self._undo_till_previous(UserUttered, applied)
            self._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in kept.loop_names
            and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            self._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    kept.count = len(events)
    kept.last = events[-1] if events else None
    return list(kept.applied)


def applied_events_kept() -> None:
    """Rasa works out a conversation's applied events (without reverted ones) by walking all its events, five times per message here (session check, three predictions, the action server's tracker): 0.38 ms of Rasa's 7.3 ms CPU per message in the capacity benchmark (5 Dec 2026); kept per tracker and walked on over the new events only, 35 µs -> 2 µs per call for a 36-event conversation (the same list after every event: tests/bot/test_runtime.py)."""  # noqa: E501
    from rasa.shared.core.trackers import DialogueStateTracker

    if DialogueStateTracker.applied_events is _applied_events:
        return
    _RASA["applied_events"] = DialogueStateTracker.applied_events
    DialogueStateTracker.applied_events = _applied_events  # type: ignore[method-assign]


# 17. A new conversation's session started inside Rasa
#    ---------------------------------------------------


async def _remote_run(
    self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Any]:
    """Rasa's RemoteAction.run; for `action_session_start` while no slot has a value, the events
    the action server's ActionSessionStart (bot/actions/handover.py) returns then: the session
    start and a listen, nothing to carry over, no hand-over to keep."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    if self.name() == ACTION_SESSION_START_NAME and all(
        slot.value is None for slot in tracker.slots.values()
    ):
        return [SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)]
    return await _RASA["remote_run"](self, output_channel, nlg, tracker, domain)


def new_session_start_in_rasa() -> None:
    """Every new conversation began with a round trip to the action server for action_session_start, which then has nothing to carry over: 1.2 ms of Rasa's CPU per conversation (5.4 ms profiled per custom action call in the capacity benchmark, 5 Dec 2026), now two events made in 0.01 ms; a session after another (slots to carry over, a hand-over to keep) still asks the action server."""  # noqa: E501
    from rasa.core.actions.action import RemoteAction

    if RemoteAction.run is _remote_run:
        return
    _RASA["remote_run"] = RemoteAction.run
    RemoteAction.run = _remote_run  # type: ignore[method-assign]


# 18. No replayed copy of the conversation for actions that only read it
#    ------------------------------


def _reads_only(action: Any) -> bool:
    """Actions whose run() reads the tracker and changes nothing in it (Rasa 3.6.21): listening,
    a response (Rasa's ActionBotResponse through Lotse's NLG, bot/nlg) and a custom action, whose
    tracker goes to the action server as JSON. Forms change the tracker they are given."""
    from rasa.core.actions.action import ActionBotResponse, ActionListen, RemoteAction

    return type(action) in (ActionListen, ActionBotResponse, RemoteAction)


def _featurization_only(events: list[Any]) -> bool:
    """Whether the policy's events are only the ensemble's DefinePrevUserUtteredFeaturization,
    which it adds to the first prediction after every user message."""
    from rasa.shared.core.events import DefinePrevUserUtteredFeaturization

    return all(type(event) is DefinePrevUserUtteredFeaturization for event in events)


async def _run_action(
    self: Any, action: Any, tracker: Any, output_channel: Any, nlg: Any, prediction: Any
) -> bool:
    """Rasa's MessageProcessor._run_action; an action that only reads the tracker is given the
    tracker itself instead of a copy made by replaying every event of the conversation. The
    policy's events to try first, where they are only the ensemble's featurization marks, go on
    the tracker as on Rasa's copy (a tracker without a model id: no metadata added) and come off
    again once the action ran; any other policy events get Rasa's copy."""
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.shared.core.events import ActionExecutionRejected

    if (
        not _reads_only(action)
        or not _featurization_only(prediction.events)
        or (prediction.events and tracker.events.maxlen is not None)
    ):
        return await _RASA["run_action"](self, action, tracker, output_channel, nlg, prediction)
    # From here as Rasa's _run_action, with `tracker` where Rasa has its temporary copy.
    count = len(tracker.events)
    try:
        for event in prediction.events:  # as update_with_events on Rasa's copy
            event.timestamp = time.time()
            tracker.events.append(event)
            event.apply_to(tracker)
        events = await action.run(output_channel, nlg, tracker, self.domain)
    except ActionExecutionRejection:
        while len(tracker.events) > count:
            tracker.events.pop()
        events = [
            ActionExecutionRejected(
                action.name(), prediction.policy_name, prediction.max_confidence
            )
        ]
        tracker.update(events[0])
        return self.should_predict_another_action(action.name())
    except Exception:  # noqa: BLE001 - as Rasa: the action's events are lost, the bot goes on
        logger.exception(
            f"Encountered an exception while running action '{action.name()}'."
            "Bot will continue, but the actions events are lost. "
            "Please check the logs of your action server for "
            "more information."
        )
        events = []
    finally:
        while len(tracker.events) > count:
            tracker.events.pop()
    return await _after_action(self, action, tracker, output_channel, events, prediction)


async def _after_action(
    self: Any, action: Any, tracker: Any, output_channel: Any, events: list[Any], prediction: Any
) -> bool:
    """The rest of Rasa's _run_action once the action ran (Rasa 3.6.21)."""
    from rasa.shared.constants import UTTER_PREFIX
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import UserUttered

    self._log_action_on_tracker(tracker, action, events, prediction)
    if any(isinstance(e, UserUttered) for e in events):
        tracker = await self.run_action_extract_slots(output_channel, tracker)
    if action.name() != ACTION_LISTEN_NAME and not action.name().startswith(UTTER_PREFIX):
        self._log_slots(tracker)
    await self.execute_side_effects(events, tracker, output_channel)
    return self.should_predict_another_action(action.name())


def actions_read_the_tracker_itself() -> None:
    """Rasa replays the whole conversation onto a new tracker before every action it runs (listening and responses too), in case the action changes it: 0.12 ms per action for a 36-event conversation, 2.4 actions per message in the capacity benchmark (5 Dec 2026); an action that only reads it (listening, a response, a custom action) now gets the tracker itself; so does the first action after each user message, whose prediction carries the ensemble's featurization mark (0.11 ms per copy of a 37-event conversation, 1.15 copies per message before)."""  # noqa: E501
    from rasa.core.processor import MessageProcessor

    if MessageProcessor._run_action is _run_action:
        return
    _RASA["run_action"] = MessageProcessor._run_action
    MessageProcessor._run_action = _run_action  # type: ignore[method-assign]


# 19. No deep copies for debug lines nobody logs
#    -----------------------------------------------------------


def _debug_lines_logged() -> bool:
    """Whether Rasa's structlog loggers write debug lines (Rasa configures a filtering logger
    whose debug() does nothing above DEBUG)."""
    import structlog

    wrapper = structlog.get_config()["wrapper_class"]
    return getattr(wrapper, "debug", None) is not getattr(
        structlog.make_filtering_bound_logger(logging.CRITICAL), "debug", None
    )


class _CopyForDebugLines:
    """The `copy` module as rasa.core.processor sees it: all six of its deepcopy() calls are
    arguments of structlog debug lines, copied before the logger decides to drop them."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return copy.deepcopy(value, memo) if _debug_lines_logged() else value

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def no_copies_for_unlogged_debug_lines() -> None:
    """Rasa's MessageProcessor deep-copies events, slots and the parse for six structlog debug lines on every message, also when debug lines are not logged (the default): 38 µs per copy of four typical events, 0.9 of 25.6 ms profiled per message in the capacity benchmark (5 Dec 2026); now 0.4 µs, and copies only while they are logged."""  # noqa: E501
    from rasa.core import processor

    if isinstance(processor.copy, _CopyForDebugLines):
        return
    processor.copy = _CopyForDebugLines()  # type: ignore[assignment]


# 20. The model's graph run in order, without dask's scheduler
#    -------------------------------------------------------------

# A graph run's plan: its nodes in an order where each comes after every node it needs, with the
# names of what each needs, and the names of the nodes it runs on (Rasa's minimal graph for the
# targets); per runner, per targets and input names (the graph never changes).
_Plan = tuple[list[tuple[str, Any, tuple[str, ...]]], frozenset[str]]


def _graph_plan(runner: Any, targets: list[str], input_names: tuple[str, ...]) -> _Plan:
    key = (tuple(targets), input_names)
    plans: dict[Any, _Plan] = runner.__dict__.setdefault("_lotse_plans", {})
    plan = plans.get(key)
    if plan is not None:
        return plan
    schema = runner._graph_schema.minimal_graph_schema(targets)
    # As Rasa's dask graph: each schema node a task, an input replacing a node of its name.
    needs = {
        name: tuple(node.needs.values())
        for name, node in schema.nodes.items()
        if name not in input_names
    }
    order: list[tuple[str, Any, tuple[str, ...]]] = []
    placed: set[str] = set(input_names)

    def place(name: str) -> None:
        if name in placed or name not in needs:
            return
        placed.add(name)
        for needed in needs[name]:
            place(needed)
        order.append((name, runner._instantiated_nodes[name], needs[name]))

    for target in targets:
        place(target)
    plan = (order, frozenset(schema.nodes))
    plans[key] = plan
    return plan


def _graph_run(
    self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
) -> dict[str, Any]:
    """Rasa's DaskGraphRunner.run (Rasa 3.6.21) without dask: the same nodes called with the same
    arguments (each node's output, or the name of a need nothing provides, as dask passes it),
    each once, every node after those it needs; the same result, the same errors."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = targets if targets else self._graph_schema.target_names
    inputs = inputs or {}
    order, node_names = _graph_plan(self, run_targets, tuple(inputs))
    results: dict[str, Any] = {}
    for name, value in inputs.items():  # Rasa's _add_inputs_to_graph
        if isinstance(value, str) and (value in node_names or value in results):
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        results[name] = (name, value)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            f"Running graph with inputs: {inputs}, targets: {targets} "
            f"and {self._execution_context}."
        )
    try:
        for name, node, needed in order:
            results[name] = node(*(results.get(need, need) for need in needed))
        return dict(results[target] for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def graph_run_in_order() -> None:
    """Rasa runs its model's graph through dask's scheduler (ordering, a task queue, a thread pool's futures) for every NLU parse and every policy prediction: 0.45 -> 0.24 ms per parse and 0.24 -> 0.12 ms per prediction (three runs per message); the same nodes now run in order in the calling thread (the processor's runner only; training keeps dask)."""  # noqa: E501
    from rasa.core import processor
    from rasa.engine.runner.dask import DaskGraphRunner

    if getattr(processor.DaskGraphRunner, "run", None) is _graph_run:
        return
    runner = type("OrderedGraphRunner", (DaskGraphRunner,), {"run": _graph_run})
    processor.DaskGraphRunner = runner  # type: ignore[misc]


# 21. Action server calls over kept connections, the domain's JSON written once
#    ---------------------------------------------------------------------------------


def _remote_action_init(self: Any, name: str, action_endpoint: Any) -> None:
    """Rasa's RemoteAction.__init__, with the action endpoint's kept version
    (bot/runtime/action_calls.py)."""
    from bot.runtime.action_calls import kept

    _RASA["remote_action_init"](self, name, kept(action_endpoint))


def action_calls_kept_alive() -> None:
    """Each custom action opened a new HTTP session and TCP connection to the action server and wrote the domain's 20 KB of JSON anew: 0.40 -> 0.15 ms of Rasa's CPU per call over a kept connection, and 0.18 -> 0.06 ms for writing the request of a 46-event conversation; the same bytes on the wire."""  # noqa: E501
    from rasa.core.actions.action import RemoteAction

    if RemoteAction.__init__ is _remote_action_init:
        return
    _RASA["remote_action_init"] = RemoteAction.__init__
    RemoteAction.__init__ = _remote_action_init  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (
    validator_built_once,
    sqlite_connection_pool,
    sqlite_wal,
    event_class_table,
    message_guard,
    parse_off_event_loop,
    http_limits,
    tracker_store_masking,
    socketio_room_awaited,
    sanic_websocket_wait,
    tracker_store_failures_raise,
    rule_matching_bounded,
    past_states_replayed_once,
    language_slots_in_rasa,
    sql_trackers_kept,
    applied_events_kept,
    new_session_start_in_rasa,
    actions_read_the_tracker_itself,
    no_copies_for_unlogged_debug_lines,
    graph_run_in_order,
    action_calls_kept_alive,
)


def install() -> None:
    """Refuses a Rasa other than EXPECTED_RASA_VERSION (UnsupportedRasaVersion), puts the
    TensorFlow stand-in in place where TensorFlow is absent (bot/runtime/no_tensorflow.py), then
    applies every patch; again is a no-op."""
    from bot.runtime import no_tensorflow

    no_tensorflow.install()  # checks the version from the package metadata, before Rasa loads
    check_rasa_version()
    for patch in PATCHES:
        patch()
