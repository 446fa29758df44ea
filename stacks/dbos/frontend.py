"""The DBOS page: the seeds' Temporal page for a DBOS workflow (status, « Chunks n/total »,
the workflow id kept in the browser's localStorage for F5: the seeds' option B), reading the durable stream in PostgreSQL.
DBOS has no local web UI to link to."""

from stacks.common.frontend import ChatPage, PageExtras

ChatPage("dbos", PageExtras(progress=True)).install()
