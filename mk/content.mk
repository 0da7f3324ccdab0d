# Catalogs (gettext, Babel) and SGB II content: tooling targets and the content/i18n tests.
.PHONY: catalogs-extract catalogs-update catalogs-check content-check test-content

catalogs-extract: $(VENV)/.installed
	$(PY) -m tools.i18n_tools extract

# New keys from the code go into every language's kiosk.po; stale ones are removed.
catalogs-update: $(VENV)/.installed
	$(PY) -m tools.i18n_tools update

catalogs-check: $(VENV)/.installed
	$(PY) -m tools.i18n_tools check

content-check: $(VENV)/.installed
	$(PY) -m kiosk_api.content.check

TEST_TARGETS += test-content
test-content: install catalogs-check content-check
	$(PY) -m pytest -q -p no:cacheprovider tests/content tests/i18n tests/test_structure.py
