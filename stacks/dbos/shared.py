"""What the DBOS worker and the backend agree on: names, versions, where PostgreSQL is.

The application version is pinned: DBOS's default is a hash of the workflows' source, and
a worker restarted with another version neither recovers nor dequeues the workflows of
the old one (dbos 3.4, verified), so a code change would silently strand tasks in flight.
The executor id is stable per worker for the same reason: a restarted worker recovers the
workflows that were PENDING under its own id, and only those.
"""

from __future__ import annotations

import os

APP_NAME = "llmchaos-chat"
APP_VERSION = "1"
QUEUE = "chat"
STREAM = "chunks"  # the durable stream each chat workflow writes its chunks to
WORKFLOW = "chat_workflow"


def database_url() -> str:
    return os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
