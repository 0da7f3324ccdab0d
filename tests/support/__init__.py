"""One toolkit for tests and benchmarks: ports, server processes, databases, seeding."""
