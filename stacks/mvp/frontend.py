"""The MVP's Chainlit page, as the seeds draw it: ask, watch the chunks stream in (polled
every 0.2 s). The task id lives in the session only: after F5 the page is empty and the
user asks again (seeds: « SOLUTION MVP: User doit re-demander avec MÊME prompt »)."""

from stacks.common.frontend import ChatPage

ChatPage("mvp").install()
