"""Offline machine translation (argostranslate) for the desk, with a glossary of official terms."""
