#!/bin/sh
# Initialise the data directory on first start (trust authentication: the server is only
# reachable from the stack's own network and from 127.0.0.1), then become the server.
# The appended pg_hba.conf line is synced: initdb syncs what it writes, an append does not,
# and a power cut soon after the first start took the line back (the backend was then
# refused: found by the host-kill scenario on the lazy filesystem).
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initdb -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C --no-instructions >/dev/null
    echo "host all all 0.0.0.0/0 trust" >> "$PGDATA/pg_hba.conf"
    sync "$PGDATA/pg_hba.conf"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql
