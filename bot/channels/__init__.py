"""Messenger channels (WhatsApp Cloud API, Telegram, SMS through Twilio) and what they share.

Every channel is pointed at its platform's API by configuration (credentials), so the tests point
the production code at local stand-ins (tests/support/standins)."""
