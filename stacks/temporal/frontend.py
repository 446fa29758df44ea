"""The Temporal stack's Chainlit page, as the seeds draw it: the workflow's status and
progress (« Chunks 47/100 »), a link to the Temporal UI, and the workflow id kept in the
page's address (« http://localhost:8501?task_id=… »), so that F5 reads the same workflow
again. The seeds' page shows nothing during the LLM call: the workflow saves its chunks
only once the call is over."""

import os

from stacks.common.frontend import ChatPage, PageExtras

ui = os.environ.get("TEMPORAL_UI_URL")
ChatPage("temporal", PageExtras(progress=True, links={"Temporal UI": ui} if ui else {})).install()
