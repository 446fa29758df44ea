# PostgreSQL for the stacks that use it. An ordinary Dockerfile: on a Debian base without
# PostgreSQL it installs Debian's; `make images` passes a base that already has it.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
RUN test -x /usr/lib/postgresql/15/bin/postgres || (apt-get update && apt-get install -y --no-install-recommends postgresql-15 && rm -rf /var/lib/apt/lists/*)
RUN mkdir -p /var/lib/postgresql/data /run/postgresql && chown -R postgres:postgres /var/lib/postgresql /run/postgresql
COPY stacks/datastores/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:$PATH
USER postgres
EXPOSE 5432
CMD ["postgres-entrypoint"]
