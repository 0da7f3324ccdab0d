"""Lotse's Rasa runtime: the `rasa` command line with Lotse's patches of Rasa internals, and the
lock store.

* `server.py`: `python -m bot.runtime.server run …` (bot/scripts/start_rasa.sh; `… train` in make
  bot-train) is Rasa's own command line after `patches.install()`. Every Rasa process starts
  there or calls patches.install() / no_tensorflow.install() before it imports Rasa. `run` keeps
  numpy's OpenBLAS to one thread (blas_on_one_thread: its idle worker threads spun after every
  NLU call, 0.55 ms of CPU per message), unless OPENBLAS_NUM_THREADS says otherwise.
* `no_tensorflow.py`: the bot environment has no TensorFlow; install() puts a stand-in for the
  TensorFlow and Keras names Rasa imports at module level into sys.modules (only where TensorFlow
  is absent, and only for Rasa 3.6.21). Any of it used at run time raises TensorFlowNotInstalled
  naming the class or function and the code that asked (docs/rasa.md).
* `patches.py`: install() refuses any Rasa but the 3.6.21 the patches were written and measured for
  (UnsupportedRasaVersion), puts the TensorFlow stand-in in place, then applies them, once.
  There are twenty-one patches, each a function there with its measured reason:
  1. `validator_built_once`: RemoteAction._validate_action_result checks action server responses
     with JSON-schema validators built once, each event against the one alternative of the schema's
     "oneOf" its type names (the same answers as the whole schema); an invalid response still fails
     in Rasa's own check.
  2. `sqlite_connection_pool`: rasa.core.tracker_store.create_engine_kwargs gives an SQLite file
     tracker store a pool of connections; PostgreSQL keeps Rasa's settings, with each pooled
     connection checked before use (a database restart costs no message).
  3. `sqlite_wal`: a process-wide SQLAlchemy hook (Engine "connect") switches every SQLite
     connection to WAL with synchronous=NORMAL. Not a Rasa attribute, but it changes how Rasa's
     tracker store writes.
  4. `event_class_table`: Event.resolve_by_type looks an event type name up in a table instead of
     walking all Event subclasses.
  5. `message_guard`: Agent.handle_message screens every channel's message first
     (bot/runtime/guard.py): too long -> `/message_too_long`; `/intent` text only for intents a
     client may choose, never EXTERNAL_; past LOTSE_RASA_MAX_IN_FLIGHT messages in progress (default
     32) a new one is answered at once with the busy message in the client's language
     (bot/runtime/admission.py); a message that fails (a store unreachable) is answered with
     "nothing was saved, send it again in a minute" in the client's language.
  6. `parse_off_event_loop`: MessageProcessor.parse_message runs the NLU graph in a worker thread.
  7. `http_limits`: rasa.core.run.configure_app caps request bodies and refuses every /model route.
  8. `tracker_store_masking`: FailSafeTrackerStore.save (every store, as Agent wraps it) saves a
     copy of the tracker with PINs masked (bot/runtime/masking.py: response variable `pin`, the
     check-in PIN slot and what the client types when asked for it).
  9. `socketio_room_awaited`: SocketIOInput.blueprint's session_request handler awaits
     AsyncServer.enter_room, a coroutine since python-socketio 5.10 (RasaHQ/rasa#13027); with
     LOTSE_REDIS_URL the socket.io rooms are shared through Redis (AsyncRedisManager), so a push
     triggered on one Rasa instance reaches the client connected to another; its listener tries
     Redis again every 0.2 s after an outage (python-socketio's own waits grow to 60 s).
  10. `sanic_websocket_wait`: sanic.server.websockets.impl sees an asyncio whose wait() makes
     coroutines tasks first; Python 3.11's asyncio.wait refuses coroutines, which Sanic 21.12
     passes it.
  11. `tracker_store_failures_raise`: FailSafeTrackerStore's error callbacks raise
     TrackerStoreUnavailable instead of answering a failed load with an empty conversation and
     keeping a failed save in memory; patch 5 then tells the client to send the message again.
  12. `rule_matching_bounded`: RulePolicy._get_possible_keys checks only the rules whose latest
     state can match the conversation's latest state (its previous action and intent), and only as
     far back as the longest rule still possible; the same keys as Rasa's check of every rule
     against every state of the conversation.
  13. `past_states_replayed_once`: DialogueStateTracker.past_states keeps its replay of the
     conversation per tracker object and applies only the events added since (a changed history,
     such as a reverted utterance, starts a new replay); the same states as Rasa's replay from
     the start, handed out as copies. Training trackers and the ML-only states keep Rasa's own.
  14. `language_slots_in_rasa`: ActionExtractSlots.run sets the `language` and
     `language_explicit` slots itself (bot/lang/conversation.py: an explicit choice wins and
     sticks, else a confident detection), in the order the action server's
     action_validate_slot_mappings gave them; the domain no longer lists that action, so Rasa
     makes no action server call for it.
  15. `sql_trackers_kept`: SQLTrackerStore.retrieve and save (bot/runtime/tracker_cache.py): each
     store keeps the trackers it last saved (at most 2,000, no longer than the session expiry) where
     one equals what a fresh retrieve returns (no masked PIN in its new events, no event before the
     session's start, its new events' JSON read back as written); a retrieve hands one out (and
     forgets it) while the conversation's newest row is still the one saved with it, else loads as
     Rasa does; a save inserts its new events in one statement, counting the stored ones only when
     the newest row changed since the tracker was handed out. retrieve_full_tracker is Rasa's.
  16. `applied_events_kept`: DialogueStateTracker.applied_events keeps its walk over the events
     per tracker object and goes on over the events added since (walking again from the start when
     the deque or its earlier events changed, or a loop name the conversation never had comes);
     the same list as Rasa's. Training trackers keep Rasa's own.
  17. `new_session_start_in_rasa`: RemoteAction.run answers `action_session_start` itself while no
     slot has a value (a new conversation): a session start and a listen, what the action server's
     ActionSessionStart returns then; any other session start still asks the action server.
  18. `actions_read_the_tracker_itself`: MessageProcessor._run_action gives an action that only
     reads the tracker (ActionListen, ActionBotResponse, RemoteAction) the tracker itself instead
     of a copy replayed from every event; the policy's events to try first, where they are only
     the ensemble's DefinePrevUserUtteredFeaturization (the first prediction after each user
     message), go on it as on Rasa's copy and come off once the action ran; forms, every other
     action and any other policy events get Rasa's copy.
  19. `no_copies_for_unlogged_debug_lines`: rasa.core.processor sees a `copy` module whose
     deepcopy() hands its argument back unchanged while Rasa's structlog loggers drop debug lines
     (every deepcopy() there is an argument of a debug line); with debug lines logged it copies.
  20. `graph_run_in_order`: the processor's graph runner (rasa.core.processor.DaskGraphRunner, a
     subclass of it) runs the model's nodes in the calling thread, each after the nodes it needs,
     instead of through dask's scheduler: the same nodes with the same arguments and the same
     results and errors. Training keeps dask's runner.
  21. `action_calls_kept_alive`: RemoteAction.__init__ gives every custom action (forms' validation
     actions too) the action endpoint's kept version (bot/runtime/action_calls.py): Rasa's request
     over one aiohttp session per event loop, whose idle connections are used again for up to 2 s
     (the action server's Sanic closes them after 5 s), and the request body written as aiohttp
     writes it, the domain's part copied from its first writing (the same bytes).
  Patches 1, 2, 4, 5, 6, 7, 8, 9, 11–18 and 21 replace a Rasa function; 19 replaces a module Rasa's
  processor imports, 20 a class it imports; 2 and 3 together make the
  SQLite tracker store fast (either alone does not).
* `lock_store.py`: AtomicRedisLockStore, Rasa's Redis lock store with atomic ticket changes; not a
  patch, a lock store class that endpoints.yml names
  (`bot.runtime.lock_store.AtomicRedisLockStore`).
"""
