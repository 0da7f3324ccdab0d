"""Developer tools, run from the project root (`python -m tools.<name>`); never imported by the
running service."""
