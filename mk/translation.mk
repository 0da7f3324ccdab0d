# Offline machine translation (argostranslate): install language packages from local files, run its tests.
.PHONY: translations-install translations-list test-translation

# make translations-install DIR=/path/to/packages   (a directory of .argosmodel files, or one file)
translations-install: $(VENV)/.installed
	@if [ -z "$(DIR)" ]; then echo "usage: make translations-install DIR=<.argosmodel file or directory>"; exit 2; fi
	$(PY) -m kiosk_api.cli translations install "$(DIR)"

translations-list: $(VENV)/.installed
	$(PY) -m kiosk_api.cli translations list

# Tiny packages are built on the fly; the cache is tested on SQLite and on PostgreSQL.
# -X faulthandler: a native abort at interpreter exit (seen once in ~30 runs) prints every thread's stack.
TEST_TARGETS += test-translation
test-translation: install
	$(PY) -X faulthandler -m pytest -q -p no:cacheprovider tests/translation
	./scripts/with_postgres.sh $(PY) -X faulthandler -m pytest -q -p no:cacheprovider --db=postgres tests/translation
