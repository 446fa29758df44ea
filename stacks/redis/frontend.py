"""The Redis stack's Chainlit page, as the seeds draw it: the same polling page with the
cache badge of each answer (« CACHE HIT » / « NOUVELLE GÉNÉRATION ») and the hit-rate stats
under it. After F5 the task id is lost and the user asks again; an answer already in the
cache then comes back at once (seeds: « Flux après F5 », option C)."""

from stacks.common.frontend import ChatPage, PageExtras


def badge(submitted: dict) -> str:
    return "⚡ CACHE HIT" if submitted.get("cached") else "✨ NEW GENERATION"


def stats(figures: dict) -> str:
    return (f"cache: {figures.get('cache_hits', 0)} hits, {figures.get('cache_misses', 0)} misses, "
            f"hit rate {100 * figures.get('cache_hit_rate', 0.0):.0f} %")  # fmt: skip


ChatPage("redis", PageExtras(badge=badge, stats=stats, stats_path="/api/stats")).install()
