"""Background jobs of the running service (chat pushes, retention purge): worker threads, never
the event loop."""
