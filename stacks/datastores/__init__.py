"""Redis and PostgreSQL as services of a stack: images, local processes, readiness probes."""
