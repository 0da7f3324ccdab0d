# Lotse — `make run` starts the product, `make test` runs the whole suite. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
BOT_VENV  := .venv-bot
BOT_PY    := $(BOT_VENV)/bin/python
VAR       := var
# Every environment installs from a hashed lock in requirements/; uv and pip-audit have their own (mk/deps.mk).
TOOLS_VENV := .venv-tools
UV         := $(TOOLS_VENV)/bin/uv
KIOSK_LOCK := requirements/kiosk-api.lock
BOT_LOCK   := requirements/bot.lock
TOOLS_LOCK := requirements/tools.lock
export LOTSE_PORT ?= 8000

# Python 3.11 for the kiosk API and for Rasa: take what is on the machine, else let uv provide it.
find_python = $(shell for p in python$(1) $$HOME/.pyenv/versions/$(1)*/bin/python$(1) /usr/bin/python$(1) /usr/local/bin/python$(1); do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(1)".split("."))))' 2>/dev/null && { command -v $$p 2>/dev/null || echo $$p; } && break; done)
PY311 := $(call find_python,3.11)

# Parts add their own test targets to TEST_TARGETS and bench targets to BENCH_TARGETS.
TEST_TARGETS :=
BENCH_TARGETS :=
RUN_PREREQS :=

.PHONY: help install run run-cluster lint test test-api test-api-and-bot-model test-api-sqlite test-api-postgres test-side-by-side bench bench-api-wrk catalogs clean
help:
	@echo "make run                   install what is missing, then start Lotse on SQLite and print its URLs (logs in var/)"
	@echo "make run-cluster           2 kiosk API, 2 action servers, 2 Rasa behind HAProxy on throwaway PostgreSQL and Redis"
	@echo "make test                  install what is missing, then run the whole suite (SQLite and PostgreSQL)"
	@echo "make lint                  ruff check and ruff format --check over the repository (first step of make test)"
	@echo "make test-api              kiosk API tests: test-api-sqlite and test-api-postgres, side by side"
	@echo "make test-side-by-side     test-bot-data, test-content, test-security, test-translation and test-web at the same time (part of make test)"
	@echo "make test-api-sqlite       kiosk API tests on SQLite"
	@echo "make test-api-postgres     kiosk API tests on a throwaway PostgreSQL (pytest --db=postgres)"
	@echo "make test-bot              assistant tests against a real kiosk API, action server and Rasa servers"
	@echo "make test-bot-data         the bot's data: rasa data validate, conversation tests, held-out macro-F1"
	@echo "make test-content          catalogs-check, content-check, then the content and i18n tests"
	@echo "make test-translation      offline machine translation tests on SQLite and PostgreSQL"
	@echo "make test-web              web pages in Chromium; the chat against the trained assistant"
	@echo "make bench                 every benchmark: kiosk API, assistant, web pages (figures, not pass/fail)"
	@echo "make bench-api-wrk         kiosk API under wrk: /health, queue read, check-in vs bare FastAPI"
	@echo "make bench-bot             assistant REST latency at 10 concurrent conversations"
	@echo "make bench-bot-footprint   assistant start time, memory, environment size, cold install (BEFORE=rev to compare)"
	@echo "make bench-capacity        assistant capacity curve: open-loop conversations at rising rates vs plain Rasa, profile"
	@echo "make bench-cluster-overload  kiosk check-in latency through the cluster while the chat runs at 2x capacity"
	@echo "make bench-soak            10,000 conversations through the cluster: memory of every process, load (SOAK_ARGS)"
	@echo "make bench-web             first screen of the web pages in Chromium"
	@echo "make bot-install           the assistant's environment .venv-bot (Python 3.11, Rasa without TensorFlow)"
	@echo "make bot-train             train bot/models/lotse.tar.gz when its config, domain or data changed"
	@echo "make bot-validate          rasa data validate over domain, data and config"
	@echo "make bot-langid            language identification accuracy on the NLU examples"
	@echo "make bot-cue-words         language cue words against the training data (clashes, new words)"
	@echo "make bot-nlu-eval          intent macro-F1 per language on a held-out split"
	@echo "make bot-eval-real         understanding of the questions in tests/bot/real_questions"
	@echo "make catalogs              compile the gettext catalogs"
	@echo "make catalogs-extract      catalog keys from the code into the templates (.pot)"
	@echo "make catalogs-update       new keys into every language's catalog, stale ones removed"
	@echo "make catalogs-check        fail on stale, empty or fuzzy catalog entries"
	@echo "make content-check         fail on invalid, missing, unsourced or outdated SGB II content"
	@echo "make translations-install  offline translation packages: DIR=<.argosmodel file or directory>"
	@echo "make translations-list     the offline translation packages installed here"
	@echo "make web-assets            the web chat and axe-core browser files from npm"
	@echo "make web-browser           Chromium from Debian, for the browser tests"
	@echo "make web-speech            espeak-ng from Debian, for read-aloud"
	@echo "make screenshots           every screen, left-to-right and right-to-left, into screenshots/"
	@echo "make install               the kiosk API environment .venv, system packages, catalogs"
	@echo "make lock                  re-resolve the hashed locks in requirements/ from pyproject.toml, bot/requirements.txt"
	@echo "                           and requirements/tools.txt (LOCK_ARGS='--upgrade-package NAME' to move one pin)"
	@echo "make test-deps             the locks match their specs; pip-audit over every lock, advisories only by the allow-list"
	@echo "make clean                 remove the environments, var/ and the trained models"

# torch only as the CPU build, locked with its hash: the local wheel where the machine has it, else PyTorch's
# CPU page (a --find-links page: only torch comes from there, everything else from PyPI).
LOCAL_WHEELS   ?= /opt/wheels
TORCH_CPU_PAGE ?= https://download.pytorch.org/whl/cpu/torch/
TORCH_VERSION  := $(shell sed -n 's/^torch==\([^ ]*\).*/\1/p' $(KIOSK_LOCK) 2>/dev/null)
TORCH_WHEELS   ?= $(if $(wildcard $(LOCAL_WHEELS)/torch-$(TORCH_VERSION)-*.whl),$(LOCAL_WHEELS),$(TORCH_CPU_PAGE))

# Exactly the lock (uv pip sync removes what it does not name), every file checked against its hash, then Lotse itself.
$(VENV)/.installed: $(KIOSK_LOCK) pyproject.toml | $(TOOLS_VENV)/.installed
	@PY="$(PY311)"; if [ -z "$$PY" ]; then $(UV) python install 3.11 && PY=$$($(UV) python find 3.11); fi; \
	  [ -x $(PY) ] || $$PY -m venv $(VENV)
	$(UV) pip sync -q --python $(PY) --require-hashes --find-links $(TORCH_WHEELS) $(KIOSK_LOCK)
	$(UV) pip install -q --python $(PY) --no-deps -e .
	@touch $@

install: $(VENV)/.installed $(VENV)/.system-deps catalogs

# Debian packages: fonts for the PDFs and the kiosk pages (Arabic, Ethiopic and more); pdftoppm renders PDFs in tests.
SYSTEM_PACKAGES := fonts-dejavu-core fonts-noto-core poppler-utils
$(VENV)/.system-deps: scripts/system_deps.sh Makefile | $(VENV)/.installed
	./scripts/system_deps.sh $(SYSTEM_PACKAGES)
	@touch $@

catalogs: $(VENV)/.installed
	$(PY) -m tools.i18n_tools compile

-include mk/*.mk

run: install $(RUN_PREREQS)
	@mkdir -p $(VAR)
	./scripts/run.sh

# Several instances of everything behind HAProxy on throwaway PostgreSQL and Redis (docs/scaling.md).
run-cluster: install bot-install bot-train
	@mkdir -p $(VAR)
	./scripts/with_postgres.sh ./scripts/with_redis.sh ./scripts/run_cluster.sh

# Style first, so a lint finding fails before the slow suites start.
lint: $(VENV)/.installed
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

# These run beside each other: the security and browser tests mostly wait for their servers and pages.
SIDE_BY_SIDE := test-bot-data test-content test-security test-translation test-web
test: lint install test-api-and-bot-model $(filter-out $(SIDE_BY_SIDE),$(TEST_TARGETS)) test-side-by-side
	@echo "make test: all parts passed"

test-side-by-side: install
	$(MAKE) --no-print-directory -j5 --output-sync=target $(filter $(SIDE_BY_SIDE),$(TEST_TARGETS))

# The two databases' runs are independent (own files, ports and cluster): side by side on the 2 cores.
test-api: install
	$(MAKE) --no-print-directory -j2 test-api-sqlite test-api-postgres

# The two API runs keep about 1.35 of the 2 cores busy: the bot's model (when it is due) trains beside them.
test-api-and-bot-model: install
	$(MAKE) --no-print-directory -j3 --output-sync=target test-api-sqlite test-api-postgres bot-train

test-api-sqlite: install
	$(PY) -m pytest -q -p no:cacheprovider tests/api

# PostgreSQL: LOTSE_TEST_POSTGRES_URL if set, else a throwaway local cluster from Debian's packages.
test-api-postgres: install
	./scripts/with_postgres.sh $(PY) -m pytest -q -p no:cacheprovider --db=postgres tests/api

# wrk from Debian: a load generator that is not itself the bottleneck (bench/api_wrk.py).
bench-api-wrk: install
	./scripts/system_deps.sh wrk
	$(PY) bench/api_wrk.py
BENCH_TARGETS += bench-api-wrk

bench: install $(BENCH_TARGETS)
	./scripts/with_postgres.sh $(PY) bench/api_bench.py

clean:
	rm -rf $(VENV) $(BOT_VENV) $(TOOLS_VENV) $(VAR) bot/models
