# Dependencies: hashed locks in requirements/ (make lock), the tools environment with uv and pip-audit, and
# test-deps: every lock matches its spec, and pip-audit finds no advisory the allow-list does not explain.
.PHONY: lock test-deps

TOOLS_PY := $(TOOLS_VENV)/bin/python

# pip brings uv alone, hash-checked, out of the tools lock; uv then syncs the rest of the tools.
$(TOOLS_VENV)/.installed: $(TOOLS_LOCK)
	@P="$(or $(PY311),python3)"; [ -x $(TOOLS_PY) ] || $$P -m venv $(TOOLS_VENV)
	awk '/^[^ #]/ { keep = /^uv==/ } keep' $(TOOLS_LOCK) > $(TOOLS_VENV)/uv.lock
	$(TOOLS_VENV)/bin/pip install -q --disable-pip-version-check --require-hashes --no-deps -r $(TOOLS_VENV)/uv.lock
	$(UV) pip sync -q --python $(TOOLS_PY) --require-hashes $(TOOLS_LOCK)
	@touch $@

# Linux x86-64 like the machines Lotse runs on. Existing pins are kept unless LOCK_ARGS says otherwise
# (--upgrade, --upgrade-package NAME). torch's CPU build comes from every source that answers, so the lock
# holds the hashes of both.
LOCK_ARGS ?=
UV_COMPILE = $(UV) pip compile -q --generate-hashes --custom-compile-command 'make lock'$(if $(LOCK_ARGS), $(LOCK_ARGS))
TORCH_LOCK_SOURCES = $(if $(wildcard $(LOCAL_WHEELS)/torch-*+cpu-*.whl),--find-links $(LOCAL_WHEELS)) \
	$(shell curl -fsI -m 10 -o /dev/null $(TORCH_CPU_PAGE) 2>/dev/null && echo --find-links $(TORCH_CPU_PAGE))

lock: $(TOOLS_VENV)/.installed
	@rm -rf $(TOOLS_VENV)/before && mkdir -p $(TOOLS_VENV)/before && cp -p requirements/*.lock $(TOOLS_VENV)/before/
	$(UV_COMPILE) --universal --python-version 3.10 requirements/tools.txt -o $(TOOLS_LOCK)
	$(UV_COMPILE) --python-version 3.11 --python-platform x86_64-manylinux_2_28 $(TORCH_LOCK_SOURCES) \
	  pyproject.toml --extra test --extra translate -o $(KIOSK_LOCK)
	$(UV_COMPILE) --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  --overrides bot/overrides.txt --excludes bot/excludes.txt bot/requirements.txt -o $(BOT_LOCK)
	$(TOOLS_PY) -m tools.deps stamp
	@# A lock that came out the same keeps its time: make then reinstalls and retrains nothing.
	@for before in $(TOOLS_VENV)/before/*.lock; do \
	  cmp -s $$before requirements/$${before##*/} && touch -r $$before requirements/$${before##*/}; done; rm -rf $(TOOLS_VENV)/before

# First among the parts: it takes seconds, and a stale lock explains failures further on.
# The audit asks PyPI's vulnerability service (PIP_AUDIT_SERVICE=osv for OSV's); where the service gives no
# answer it says so loudly and passes, unless DEPS_AUDIT_REQUIRED=1.
PIP_AUDIT_SERVICE ?= pypi
TEST_TARGETS := test-deps $(TEST_TARGETS)
test-deps: $(TOOLS_VENV)/.installed
	$(TOOLS_PY) -m tools.deps check
	$(TOOLS_PY) -m tools.deps audit --pip-audit $(TOOLS_VENV)/bin/pip-audit --service $(PIP_AUDIT_SERVICE)$(if $(DEPS_AUDIT_REQUIRED), --required)
