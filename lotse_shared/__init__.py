"""Code the bot (Python 3.10, Rasa) and the kiosk API (Python 3.11) share: no dependency beyond
PyYAML and Babel."""
