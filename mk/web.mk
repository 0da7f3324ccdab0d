# Web pages (kiosk_api/web): vendored browser files from npm, browser tests in the system Chromium, screenshots.
.PHONY: web-assets web-browser web-speech web-proxy test-web screenshots bench-web

WEB_DIR    := kiosk_api/web
WEB_VENDOR := $(WEB_DIR)/static/vendor

# npm ci from the lock file; only the two built files are copied out of node_modules (both git-ignored).
# The widget's stylesheet imports a web font from Google: that line is cut, the page's own fonts apply.
$(WEB_VENDOR)/.installed: $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	@command -v npm >/dev/null || ./scripts/system_deps.sh nodejs npm
	cd $(WEB_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(WEB_VENDOR)
	sed 's#@import url(https://fonts.googleapis.com/[^)]*);##g' $(WEB_DIR)/node_modules/rasa-webchat/lib/index.js > $(WEB_VENDOR)/rasa-webchat.js
	! grep -q 'fonts.googleapis.com/css' $(WEB_VENDOR)/rasa-webchat.js
	cp $(WEB_DIR)/node_modules/axe-core/axe.min.js $(WEB_VENDOR)/axe.min.js
	@touch $@

web-assets: $(WEB_VENDOR)/.installed

# Chromium from Debian; Playwright drives it by path (no browser download).
web-browser:
	./scripts/system_deps.sh chromium

# The cluster's proxy: the chat page's busy message is tested behind it (tests/web/test_chat_busy.py).
web-proxy:
	./scripts/system_deps.sh haproxy

# Offline read-aloud of kiosk screens.
web-speech:
	./scripts/system_deps.sh espeak-ng

RUN_PREREQS += web-assets web-speech
TEST_TARGETS += test-web

# The chat test talks to the real assistant: it needs the trained model (bot.mk).
test-web: install web-assets web-browser web-speech web-proxy bot-train
	$(PY) -m pytest -q -p no:cacheprovider tests/web

# Every screen, left-to-right and right-to-left, into screenshots/ (git-ignored).
screenshots: install web-assets web-browser web-speech
	$(PY) -m tests.web.screenshots screenshots

BENCH_TARGETS += bench-web
bench-web: install web-assets web-browser
	$(PY) bench/web_first_screen.py
