"""Clients of the project's own services."""
