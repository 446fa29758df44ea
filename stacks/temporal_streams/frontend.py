"""The temporal_streams page: the seeds' Temporal page (status, « Chunks n/total », a link
to the Temporal UI, the workflow id kept in the address for F5), reading the chunk log in
PostgreSQL, which fills while the answer streams."""

import os

from stacks.common.frontend import ChatPage, PageExtras

ui = os.environ.get("TEMPORAL_UI_URL")
ChatPage("temporal_streams", PageExtras(progress=True, links={"Temporal UI": ui} if ui else {})).install()
