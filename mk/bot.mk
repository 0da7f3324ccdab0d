# Rasa assistant (bot/): its own Python 3.11 environment without TensorFlow, training by fingerprint, tests, benchmark.
.PHONY: bot-install bot-train bot-validate bot-langid bot-cue-words bot-nlu-eval bot-eval-real test-bot test-bot-data bench-bot bench-bot-footprint bench-capacity bench-soak bench-cluster-overload

BOT_PY311 := $(PY311)
# Rasa's training cache stays inside bot/ (git-ignored); telemetry off: no network at run time.
export RASA_TELEMETRY_ENABLED := false
export RASA_CACHE_DIRECTORY := bot/.rasa/cache
# Rasa's command line through Lotse's runtime: the patches, and the stand-in for TensorFlow (bot/runtime/).
BOT_RASA  := $(BOT_PY) -m bot.runtime.server
BOT_FILES := --domain bot/domain --data bot/data --config bot/config.yml

# Exactly the hashed lock made from bot/requirements.txt, overrides.txt and excludes.txt (make lock); uv comes from
# the tools environment. A .venv-bot on another Python (3.10 before issue 15) is made anew.
$(BOT_VENV)/.installed: $(BOT_LOCK) | $(TOOLS_VENV)/.installed
	@P="$(BOT_PY311)"; if [ -z "$$P" ]; then $(UV) python install 3.11 && P=$$($(UV) python find 3.11); fi; \
	  $(BOT_PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || $(UV) venv -q --clear -p "$$P" $(BOT_VENV)
	$(UV) pip sync -q --python $(BOT_PY) --require-hashes $(BOT_LOCK)
	@touch $@

bot-install: $(BOT_VENV)/.installed

# The model is rebuilt only when config, domain, training data or the custom component changed
# (make compares times); Rasa's training cache then retrains only the components whose inputs changed.
BOT_MODEL := bot/models/lotse.tar.gz
BOT_TRAIN_INPUTS := bot/config.yml $(BOT_LOCK) $(wildcard bot/components/*.py) $(wildcard lotse_shared/*.py content/terms/*.yml) \
	$(shell find bot/domain bot/data -name '*.yml' 2>/dev/null | sort)

$(BOT_MODEL): $(BOT_TRAIN_INPUTS) | $(BOT_VENV)/.installed
	$(BOT_RASA) train $(BOT_FILES) --out bot/models --fixed-model-name lotse
	@touch $@

bot-train: $(BOT_MODEL)

bot-validate: $(BOT_VENV)/.installed
	$(BOT_RASA) data validate $(BOT_FILES)

# Figures for bot/README.md: language identification and per-language NLU quality.
bot-langid: $(BOT_VENV)/.installed
	$(BOT_PY) -m bot.scripts.langid_accuracy

# The Latin-letter cue words against the training data: clashes, and the rule's new words.
bot-cue-words: $(BOT_VENV)/.installed
	$(BOT_PY) -m bot.scripts.cue_words --candidates

bot-nlu-eval: $(BOT_VENV)/.installed
	$(BOT_PY) -m bot.scripts.evaluate_nlu

TEST_TARGETS += test-bot test-bot-data
BENCH_TARGETS += bench-bot bench-capacity
RUN_PREREQS += bot-train

# The bot's tests start their own kiosk API (.venv), action server and Rasa servers on free ports;
# a throwaway PostgreSQL (tracker store) and Redis (lock store) for the several-instances test.
test-bot: $(BOT_VENV)/.installed $(VENV)/.installed $(BOT_MODEL)
	./scripts/system_deps.sh haproxy
	./scripts/with_postgres.sh ./scripts/with_redis.sh $(BOT_PY) -m pytest -q -p no:cacheprovider tests/bot \
	  $(addprefix --ignore=,$(BOT_DATA_TESTS))

# The checks of the bot's data that start no server: `rasa data validate`, the conversation tests and the held-out
# split's own training (about 3 minutes together from a fresh clone). make test runs them beside the browser,
# content, security and translation tests, whose last minutes leave a core idle.
BOT_DATA_TESTS := tests/bot/test_rasa_data.py tests/bot/test_nlu_holdout.py
test-bot-data: $(BOT_VENV)/.installed $(BOT_MODEL)
	$(BOT_PY) -m pytest -q -p no:cacheprovider $(BOT_DATA_TESTS)

bench-bot: $(BOT_VENV)/.installed $(VENV)/.installed $(BOT_MODEL)
	$(BOT_PY) bench/bot_bench.py

# Start time, memory after warm-up and 1,000 conversations, environment size, cold install (issue 15);
# BEFORE=<git revision> also installs the bot lock of that revision (Python 3.10 with TensorFlow) for comparison.
bench-bot-footprint: $(BOT_VENV)/.installed $(VENV)/.installed $(BOT_MODEL)
	$(BOT_PY) bench/bot_footprint.py$(if $(BEFORE), --before $(BEFORE))

# Capacity curve (issue 11): open-loop multilingual conversations at rising rates, Lotse against a plain
# Rasa bot in the same run, Rasa CPU per message, then a cProfile of Lotse's Rasa; about 7 minutes.
# CAPACITY_ARGS passes options to bench/capacity.py (e.g. CAPACITY_ARGS="--rates 120,240 --duration 30").
bench-capacity: $(BOT_VENV)/.installed $(VENV)/.installed $(BOT_MODEL)
	$(BOT_PY) bench/capacity.py $(CAPACITY_ARGS)

# Soak of the cluster (issue 11): 10,000 conversations through `make run-cluster`'s HAProxy, 2 kiosk API, 2 action
# servers and 2 Rasa on a throwaway PostgreSQL and Redis; every process's resident memory after the warm-up and at
# the end (within ±10 %?), load average, tracker store size per conversation. About 35 minutes at 300 per minute;
# not part of `make bench`. SOAK_ARGS passes options to bench/soak.py (e.g. SOAK_ARGS="--conversations 1000").
bench-soak: $(BOT_VENV)/.installed $(VENV)/.installed $(BOT_MODEL)
	./scripts/system_deps.sh haproxy postgresql redis-server
	$(BOT_PY) bench/soak.py $(SOAK_ARGS)

# The kiosk under chat overload through the cluster (issue 11): chat at twice one instance's capacity while a kiosk
# checks in; check-in p50/p95/p99 and the chat's slowest reply or busy answer. OVERLOAD_ARGS for bench/cluster_overload.py.
bench-cluster-overload: $(BOT_VENV)/.installed $(VENV)/.installed $(BOT_MODEL)
	./scripts/system_deps.sh haproxy postgresql redis-server
	$(BOT_PY) bench/cluster_overload.py $(OVERLOAD_ARGS)

# Understanding of questions written apart from the training data (tests/bot/real_questions), per language.
bot-eval-real: $(BOT_MODEL)
	$(BOT_PY) -m bot.scripts.evaluate_real
