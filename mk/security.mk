# tests/security: each attack of the security review performed against real servers (kiosk API, action
# server, Rasa with the trained model), refused, and the honest path beside it still working.
TEST_TARGETS += test-security

# Shared rate limits need a Redis: a throwaway one, required here (by hand its tests skip without one).
test-security: install $(BOT_VENV)/.installed $(BOT_MODEL)
	LOTSE_TEST_REDIS_REQUIRED=1 ./scripts/with_redis.sh $(PY) -m pytest -q -p no:cacheprovider tests/security
