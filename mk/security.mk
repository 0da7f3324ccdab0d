# tests/security: each attack of the security review performed against real servers (kiosk API, action
# server, Rasa with the trained model), refused, and the honest path beside it still working.
TEST_TARGETS += test-security

test-security: install $(BOT_VENV)/.installed $(BOT_MODEL)
	$(PY) -m pytest -q -p no:cacheprovider tests/security
