"""``matrix.md`` and ``report.html`` from a matrix: what people read.

The HTML page is self-contained (styles inline, figures embedded as base64 PNG) so it can
be attached to a review or a CI run and opened anywhere, offline.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any

from llmchaos.metrics import HOWS, LEFT_KINDS

from .regression import figure

OUTCOME_COLUMNS = ("tasks_correct", "tasks_accepted", "tasks_lost", "data_loss_pct", "duplicate_chunks", "acknowledged_loss_chunks")

VERDICT_TEXT = (
    "Verdict: **ok** every accepted request shown complete and correct, nothing taken back; **failed** the stack declared "
    "some requests failed (or refused them), nothing silently lost; **loss** a request lost, truncated, duplicated or corrupt, "
    "or a chunk a user had seen no longer returned by the final read; **error** the cell measured nothing trustworthy "
    "(fewer requests than planned, the load generator failed, LLM calls no request explains, unreadable files): its reason is shown."
)
RECOVERY_TEXT = (
    "Recovery times run from the fault moment (the target confirmed dead, stopped or frozen) to: every service healthy "
    "(health), the first canary request, our own probe submitted every 0.5 s from the fault, served whole (first ok), the "
    "first chunk asked for after the fault by a request in flight at it (in-flight resume), the first such request complete "
    "(in-flight done). Ack. loss: chunks a user was shown that the final read after the recovery no longer returned "
    "(– when nothing was read back); unreadable: tasks the stack could not serve at all after the recovery; stuck: tasks "
    "still running when read back, after every user had left."
)


def _num(value: Any, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _usd(value: float | None) -> str:
    return "–" if value is None else f"${value:.4f}"


def _recovery(cell: dict[str, Any], key: str) -> str:
    recovery = cell.get("recovery_s")
    return "–" if not recovery else _num(recovery.get(key), 1, " s")


def _measured(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in matrix["cells"] if "tasks_submitted" in c]


def _stuck(cell: dict[str, Any]) -> str:
    """Tasks the final read found neither ended nor gone: still running (or queued) after the recovery."""
    statuses = cell.get("final_status") or {}
    if not statuses or set(statuses) == {"not read"}:
        return "–"
    return str(sum(n for status, n in statuses.items() if status not in ("completed", "failed", "cancelled", "missing", "unreadable", "not read")))


def _ack(cell: dict[str, Any]) -> str:
    value = cell.get("acknowledged_loss_chunks")
    return "–" if value is None else str(value)


def matrix_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The matrix as a table: one row per stack x scenario."""
    header = [
        "stack", "scenario", "verdict", "correct / accepted", "lost", "data loss", "dup. chunks", "ack. loss", "unreadable", "stuck",
        "health", "first ok", "in-flight resume", "in-flight done", "LLM cost", "wasted", "regen.", "TTFT p50", "E2E p50", "E2E p99",
    ]  # fmt: skip
    rows = []
    for c in matrix["cells"]:
        if "tasks_submitted" not in c:
            rows.append([c["stack"], c["scenario"], c["verdict"], (c.get("reason") or "").split(";")[0]] + [""] * (len(header) - 4))
            continue
        rows.append([
            c["stack"], c["scenario"], c["verdict"], f"{c['tasks_correct']} / {c['tasks_accepted']}", str(c["tasks_lost"]),
            _num(c["data_loss_pct"], 1, " %"), str(c["duplicate_chunks"]), _ack(c), str(c.get("unreadable_tasks", "–")), _stuck(c),
            _recovery(c, "health"), _recovery(c, "first_ok"), _recovery(c, "inflight_resume"), _recovery(c, "inflight_complete"),
            _usd(c["llm_cost_usd"]), _usd(c["wasted_cost_usd"]), str(c["regenerations"]),
            _num(c["ttft_p50_s"], 2, " s"), _num(c["e2e_p50_s"], 2, " s"), _num(c["e2e_p99_s"], 2, " s"),
        ])  # fmt: skip
    return header, rows


def experience_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """What the users lived through, per measured cell."""
    header = [
        "stack", "scenario", "failed polls", "failed submits", "time in error", "waits > 2 s", "longest gap p50", "longest gap p99",
        "longest gap max", "TTFT p50 / p99 (accepted)", "TTFT p50 (completed)", "E2E p50 / p99 (accepted)", "E2E p50 / p99 (completed)",
    ]  # fmt: skip
    rows = []
    for c in _measured(matrix):
        rows.append([
            c["stack"], c["scenario"], str(c.get("failed_polls", "–")), str(c.get("failed_submits", "–")), _num(c.get("error_s"), 1, " s"),
            _num(c.get("no_progress_s"), 1, " s"), _num(c.get("chunk_gap_max_p50_s"), 2, " s"), _num(c.get("chunk_gap_max_p99_s"), 2, " s"),
            _num(c.get("chunk_gap_max_s"), 2, " s"), f"{_num(c.get('ttft_p50_s'))} / {_num(c.get('ttft_p99_s'))} s",
            _num(c.get("ttft_completed_p50_s"), 2, " s"), f"{_num(c.get('e2e_p50_s'))} / {_num(c.get('e2e_p99_s'))} s",
            f"{_num(c.get('e2e_completed_p50_s'))} / {_num(c.get('e2e_completed_p99_s'))} s",
        ])  # fmt: skip
    return header, rows


PAGES_TEXT = (
    "People in a real browser (headless Chromium) on each stack's own page, beside the load: each asked a question and "
    "pressed F5 once half of the answer was on screen; a page that forgot the question after F5 was asked it again. "
    "Outcomes and data loss are judged on the text the page rendered (as words); LLM calls are the calls their requests "
    "cost (re-generations: calls beyond the first that generated an answer again). Screenshots: just before and just after "
    "the first F5 of each cell."
)


def page_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """What the browser users' pages showed, per cell that had any."""
    header = ["stack", "scenario", "pages correct", "F5 pressed", "lost / truncated / duplicated / corrupt", "data loss", "LLM calls",
              "re-generations", "TTFT p50", "E2E p50"]  # fmt: skip
    rows = []
    for c in _measured(matrix):
        p = c.get("pages")
        if not p:
            continue
        o = p["outcomes"]
        rows.append([
            c["stack"], c["scenario"], f"{p['correct']}/{p['accepted']}", str(p["refreshes"]),
            f"{o['lost']} / {o['truncated']} / {o['duplicated']} / {o['corrupt']}", _num(p["data_loss_pct"], 1, " %"), str(p["llm_calls"]),
            str(p["regenerations"]), _num(p.get("ttft_p50_s"), 2, " s"), _num(p.get("e2e_p50_s"), 2, " s"),
        ])  # fmt: skip
    return header, rows


CUT_TEXT = (
    "A power cut (host-kill) runs the stack's durable volumes on the lazy filesystem: every write not followed by an fsync "
    "of its file, and every create, rename or unlink not followed by a sync, is gone when the power comes back. Beside each "
    "cell, the same kill without the lazy filesystem (its compare_with scenario: the kernel's page cache survives a "
    "SIGKILL), so what the lost writes cost is the difference between the two. Outcomes: tasks correct / accepted, lost, "
    "chunks users saw that the final read no longer returned (ack. loss), the tasks' statuses read back. On the disk: "
    "unsynced bytes and namespace changes the cuts dropped, and the files the stack had written that came back missing, "
    "empty, truncated, with other bytes (reverted) or back after a removal, with the volume that held them. Last, what "
    "the datastores' own logs said when they started again, after the kill alone and after the cut (lines counted over the "
    "repetitions: PostgreSQL's crash recovery and WAL replay, Redis's append-only file loaded or cut short)."
)


def _outcome(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "not in this run"
    if "tasks_submitted" not in cell:
        return cell.get("verdict", "–")
    statuses = ", ".join(f"{n} {s}" for s, n in (cell.get("final_status") or {}).items())
    return (f"{cell['verdict']}: {cell['tasks_correct']}/{cell['tasks_accepted']} correct, {cell['tasks_lost']} lost, "
            f"ack. loss {_ack(cell)} ({statuses or 'nothing read back'})")  # fmt: skip


def _bytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"


def said(cell: dict[str, Any] | None) -> str:
    """What the cell's datastores said on starting again (its ``recovery_log``), in a few words."""
    found = (cell or {}).get("recovery_log")
    if not found:
        return "–"
    return "; ".join(f"{service}: " + (", ".join(f"{n} {name}" for name, n in seen["said"].items() if n) or "none of its recovery lines")
                     for service, seen in found.items())  # fmt: skip


def cut_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per cell with a power cut: its outcome beside its kill-only twin's, what the disk lost,
    and what the datastores said on starting again after each."""
    header = ["stack", "scenario", "kill only", "power cut", "cuts", "dropped", "files left " + " / ".join(LEFT_KINDS), "by volume",
              "datastores said (kill only)", "datastores said (power cut)"]  # fmt: skip
    by_name = {(c["stack"], c["scenario"]): c for c in matrix["cells"]}
    rows = []
    for c in _measured(matrix):
        cut = c.get("power_cut")
        if not cut:
            continue
        left = cut["left"]
        twin = c.get("compare_with")
        volumes = "; ".join(f"{v}: " + ", ".join(f"{n} {k}" for k, n in kinds.items() if n) for v, kinds in left["by_volume"].items() if any(kinds.values()))
        rows.append([
            c["stack"], c["scenario"], f"{twin}: {_outcome(by_name.get((c['stack'], twin)))}" if twin else "–", _outcome(c), str(cut["cuts"]),
            f"{_bytes(cut['unsynced_bytes'])} in {cut['files_with_unsynced_data']} files, {cut['namespace_ops_dropped']} namespace changes",
            " / ".join(str(left[k]) for k in LEFT_KINDS) + f" of {left['files_compared']} compared",
            volumes or "nothing damaged",
            said(by_name.get((c["stack"], twin))) if twin else "–", said(c),
        ])  # fmt: skip
    return header, rows


def _optional_markdown(title: str, text: str, table: tuple[list[str], list[list[str]]]) -> list[str]:
    """A section with its explanation and table, or nothing when the table has no row."""
    header, rows = table
    return [f"## {title}", "", text, "", md_table(header, rows), ""] if rows else []


def _optional_html(anchor: str, title: str, text: str, table: tuple[list[str], list[list[str]]]) -> str:
    header, rows = table
    if not rows:
        return ""
    return f'<h2 id="{anchor}">{html.escape(title)}</h2>\n<p>{html.escape(text)}</p>\n<div style="overflow-x:auto">{_html_table(header, rows, css="matrix")}</div>'


CUT_TITLE = "What a power cut left on the disks"


def first_shots(matrix: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Per cell with pages, its first screenshot pair before/after F5: (caption, shot)."""
    found = []
    for c in _measured(matrix):
        for shot in (c.get("pages") or {}).get("shots", []):
            if "before" in shot and "after" in shot:
                found.append((f"{c['stack']} / {c['scenario']}: {shot['before_chars']} characters on screen before F5, {shot['after_chars']} after", shot))
                break
    return found


def _pages_markdown(matrix: dict[str, Any]) -> list[str]:
    header, rows = page_rows(matrix)
    if not rows:
        return []
    shots = [f"- {caption}: [before]({s['before']}), [after]({s['after']})" for caption, s in first_shots(matrix)]
    return ["## What real pages showed after F5", "", PAGES_TEXT, "", md_table(header, rows), "", *shots, ""]


def _pages_html(matrix: dict[str, Any], shots: dict[str, bytes]) -> str:
    """``shots``: PNG bytes by their path in the run directory (missing ones are left out)."""
    header, rows = page_rows(matrix)
    if not rows:
        return ""

    def img(path: str, alt: str) -> str:
        data = shots.get(path)
        return f'<img alt="{html.escape(alt)}" style="width:49%" src="data:image/png;base64,{base64.b64encode(data).decode()}">' if data else ""

    pairs = "\n".join(
        f"<figure>{img(s['before'], 'before F5')} {img(s['after'], 'after F5')}<figcaption>{html.escape(caption)} (left: before, right: after)</figcaption></figure>"
        for caption, s in first_shots(matrix)
    )
    return (f'<h2 id="pages">What real pages showed after F5</h2>\n<p>{html.escape(PAGES_TEXT)}</p>\n'
            f'<div style="overflow-x:auto">{_html_table(header, rows, css="matrix")}</div>\n{pairs}')  # fmt: skip


def audit_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Final reads, the canary and where the money went, per measured cell."""
    header = [
        "stack", "scenario", "final status of the users' tasks", "ack. loss", "canary served / sent", "canary cost",
        "LLM calls", "provider retries", "stale cache hits", "unattributed calls",
    ]  # fmt: skip
    rows = []
    for c in _measured(matrix):
        statuses = ", ".join(f"{n} {status}" for status, n in (c.get("final_status") or {}).items()) or "–"
        canary = c.get("canaries") or {}
        rows.append([
            c["stack"], c["scenario"], statuses, _ack(c), f"{canary.get('correct', 0)} / {canary.get('requests', 0)}" if canary.get("requests") else "–",
            _usd(c.get("canary_cost_usd")), str(c["llm_calls"]), str(c.get("provider_retries", "–")), str(c.get("stale_cache_hits", "–")),
            str(c.get("unattributed_calls", "–")),
        ])  # fmt: skip
    return header, rows


HITS_TEXT = (
    "Where each cell's first fault hit the requests in flight (accepted before the fault moment, not ended): how many "
    "chunks the stack had served their pages by that moment (min / median / max), and the first chunk served to each "
    "afterwards (min / median / max): continued at the next chunk and on to a complete answer; stopped (the next chunk, "
    "saved before the fault, then nothing); restarted (the answer began again, under a new task or from chunk 0); skipped "
    "(chunks in between never shown); or never. Re-generations are the LLM calls, in the provider's ledger, that "
    "generated a request's answer again."
)


def _range(figure: dict[str, Any] | None) -> str:
    if not figure:
        return "–"
    return f"{_num(figure['min'], 0)} / {_num(figure['median'], 1)} / {_num(figure['max'], 0)}"


def hit_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per cell with a fault: where it hit the pages in flight, and where they went on."""
    header = ["stack", "scenario", "fault", "in flight", "chunks shown at the fault", "first chunk after", *HOWS, "regen.", "in-flight resume"]
    rows = []
    for c in _measured(matrix):
        hits = c.get("hit_points")
        if c.get("recovery_s") is None:
            continue
        if not hits:
            rows.append([c["stack"], c["scenario"], c.get("fault") or "–", "0"] + ["–"] * (2 + len(HOWS)) + [str(c["regenerations"]), _recovery(c, "inflight_resume")])
            continue
        rows.append([
            c["stack"], c["scenario"], c.get("fault") or "–", str(hits["inflight"]), _range(hits["chunks_shown"]), _range(hits["resumed_at"]),
            *(str(hits[how]) for how in HOWS), str(c["regenerations"]),
            _recovery(c, "inflight_resume"),
        ])  # fmt: skip
    return header, rows


SPREAD_COLUMNS = (
    ("correct", "tasks_correct", 0, ""), ("lost", "tasks_lost", 0, ""), ("data loss", "data_loss_pct", 1, " %"),
    ("regen.", "regenerations", 0, ""), ("LLM calls", "llm_calls", 0, ""), ("health", "recovery_health_s", 1, " s"),
    ("first ok", "recovery_first_ok_s", 1, " s"), ("in-flight done", "recovery_inflight_complete_s", 1, " s"),
    ("TTFT p50", "ttft_p50_s", 2, " s"), ("E2E p50", "e2e_p50_s", 2, " s"),
)  # fmt: skip


def _spread(figure: dict[str, Any] | None, digits: int, unit: str) -> str:
    if not figure:
        return "–"
    if figure["min"] == figure["max"]:
        return _num(figure["median"], digits, unit)
    return f"{_num(figure['median'], digits)} [{_num(figure['min'], digits)}–{_num(figure['max'], digits)}]{unit}"


def spread_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per cell measured in several repetitions: each figure's median [min–max] over them."""
    header = ["stack", "scenario", "repetitions"] + [label for label, *_ in SPREAD_COLUMNS]
    rows = []
    for c in matrix["cells"]:
        if "spread" in c:
            rows.append([c["stack"], c["scenario"], str(c["repetitions"])] + [_spread(c["spread"].get(key), d, u) for _, key, d, u in SPREAD_COLUMNS])
    return header, rows


DESIGNS_TEXT = (
    "The designs side by side, on the figures an architect weighs (per repetition: the median over repetitions when "
    "there are several). From the baseline: time to first token and LLM cost. From worker-kill (workers killed "
    "mid-generation, back by their restart policy): the answers generated again, the money that cost, the polls of "
    "users' pages that failed while the workers were down, and when the requests in flight resumed. n/a: the stack "
    "has no worker; –: not measured in this run."
)
DESIGN_FIGURES = (  # (scenario, figure, column, digits, unit)
    ("baseline", "ttft_p50_s", "TTFT p50 (baseline)", 2, " s"),
    ("baseline", "llm_cost_usd", "LLM cost (baseline)", None, "usd"),
    ("worker-kill", "regenerations", "re-generations (worker-kill)", 0, ""),
    ("worker-kill", "wasted_cost_usd", "wasted (worker-kill)", None, "usd"),
    ("worker-kill", "failed_polls", "failed polls (worker-kill)", 0, ""),
    ("worker-kill", "recovery_inflight_resume_s", "in flight resumed (worker-kill)", 1, " s"),
)


def design_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """One row per stack of the run: the figures of ``DESIGN_FIGURES``, read from its cells."""
    cells = {(c["stack"], c["scenario"]): c for c in matrix["cells"]}
    stacks = list(dict.fromkeys(c["stack"] for c in matrix["cells"]))
    rows = []
    for stack in stacks:
        row = [stack]
        for scenario, name, _, digits, unit in DESIGN_FIGURES:
            cell = cells.get((stack, scenario))
            if cell is not None and cell.get("verdict") == "not applicable":
                row.append("n/a")
                continue
            value = None if cell is None or "tasks_submitted" not in cell else figure(cell, name)
            row.append(_usd(value) if unit == "usd" else _num(round(value) if digits == 0 and value is not None else value, digits or 2, unit))
        rows.append(row)
    return ["stack", *(column for _, _, column, _, _ in DESIGN_FIGURES)], rows


def md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def guarantee_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    stacks = list(dict.fromkeys(c["stack"] for c in matrix["cells"]))
    header = ["guarantee"] + [f"{s}: claimed" for s in stacks] + [f"{s}: measured" for s in stacks]
    rows = []
    for g in matrix["guarantees"]:
        rows.append([g["guarantee"]] + [g["claimed"].get(s, "–") for s in stacks] + [g["measured"].get(s, {}).get("value", "–") for s in stacks])
    return header, rows


CLAIMS_TEXT = (
    "Each claim of the seeds, with its source section, their words, and the rule that decides it from the cells of the "
    "stack it is about. Verdict: **confirmed**; **refuted**; **mixed** it holds in part (the measured text says which); "
    "**not measured** the run lacks the scenario, or no scenario can test it yet; **not comparable** the scenario measured "
    "differs from the seeds' story in a way that decides the claim (the measured text says how, with the numbers). "
    "Zero loss is strict: every accepted request complete and correct, nothing a user saw taken back."
)
CONTRADICTIONS_TEXT = "Where the seeds say two things that cannot both hold, both are checked: each pair with its two verdicts."


def claim_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """One row per claim: the rule and the seeds' words beside what was measured."""
    header = ["id", "claim", "source", "quote", "rule", "measured", "verdict"]
    return header, [[c["id"], c["claim"], c["source"], f"« {c['quote']} »" if c.get("quote") else "", c.get("rule", ""), c["measured"], c["verdict"]] for c in matrix["claims"]]


def contradiction_pairs(matrix: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each pair of claims that contradict each other, once, in the order of the claims."""
    by_id = {c["id"]: c for c in matrix["claims"]}
    order = {claim_id: i for i, claim_id in enumerate(by_id)}
    pairs = {tuple(sorted((c["id"], other), key=order.get)): None for c in matrix["claims"] for other in c.get("contradicts", []) if other in by_id}
    return [(by_id[a], by_id[b]) for a, b in pairs]


def _side(claim: dict[str, Any]) -> str:
    return f"{claim['claim'].rstrip('.')} (`{claim['id']}`: **{claim['verdict']}**)"


def _side_html(claim: dict[str, Any]) -> str:
    return f"{html.escape(claim['claim'].rstrip('.'))} (<code>{html.escape(claim['id'])}</code>: <b>{html.escape(claim['verdict'])}</b>)"


def contradiction_lines(matrix: dict[str, Any]) -> list[str]:
    return [f"- {_side(a)} vs {_side(b)}" for a, b in contradiction_pairs(matrix)]


def _contradictions_markdown(matrix: dict[str, Any]) -> list[str]:
    lines = contradiction_lines(matrix)
    return ["### Contradictions in the seeds", "", CONTRADICTIONS_TEXT, "", *lines, ""] if lines else []


def _contradictions_html(matrix: dict[str, Any]) -> str:
    pairs = contradiction_pairs(matrix)
    if not pairs:
        return ""
    items = "".join(f"<li>{_side_html(a)} vs {_side_html(b)}</li>" for a, b in pairs)
    return f'<h3 id="contradictions">Contradictions in the seeds</h3>\n<p>{html.escape(CONTRADICTIONS_TEXT)}</p><ul>{items}</ul>'


def markdown(matrix: dict[str, Any]) -> str:
    run = matrix["run"]
    parts = [
        "# llmchaos comparison matrix",
        "",
        f"Run `{run['directory']}`: profile {run['profile']}, runtime {run['runtime']}, seed {run['seed']}, "
        f"{run['repeat']} repetition(s), {run['started']} to {run['finished']}.",
        "",
        "## Matrix",
        "",
        md_table(*matrix_rows(matrix)),
        "",
        VERDICT_TEXT,
        "",
        RECOVERY_TEXT,
        "",
        *_optional_markdown("Spread over repetitions", SPREAD_TEXT, spread_rows(matrix)),
        "## Where the faults hit",
        "",
        HITS_TEXT,
        "",
        md_table(*hit_rows(matrix)),
        "",
        "## The designs compared",
        "",
        DESIGNS_TEXT,
        "",
        md_table(*design_rows(matrix)),
        "",
        "## What users lived through",
        "",
        md_table(*experience_rows(matrix)),
        "",
        "## Final reads, the canary, and where the money went",
        "",
        md_table(*audit_rows(matrix)),
        "",
        *_optional_markdown(CUT_TITLE, CUT_TEXT, cut_rows(matrix)),
        *_pages_markdown(matrix),
        "## Guarantees: claimed by the seeds, measured here",
        "",
        md_table(*guarantee_rows(matrix)),
        "",
        "## The seeds' claims",
        "",
        CLAIMS_TEXT,
        "",
        md_table(*claim_rows(matrix)),
        "",
        *_contradictions_markdown(matrix),
    ]
    if "regressions" in matrix:
        parts += ["## Regressions against the baseline", "", *regression_lines(matrix), ""]
    return "\n".join(parts)


SPREAD_TEXT = (
    "The matrix pools the repetitions (counts and money summed, latency over every request, recovery times their "
    "median); here each figure of one repetition, as its median [min–max] over the repetitions."
)




def regression_lines(matrix: dict[str, Any]) -> list[str]:
    found = matrix["regressions"]["found"]
    lines = [f"Baseline `{matrix['regressions']['baseline']}`: " + (f"**{len(found)} regression(s)**." if found else "no regression.")]
    lines += [f"- {r['stack']}/{r['scenario']}: {r['metric']} {r['measured']} (baseline {r['baseline']}, allowed {r['allowed']})" for r in found]
    if matrix["regressions"]["not_in_run"]:  # a paragraph of its own, not a continuation of the list
        lines += ["", "Not in this run: " + ", ".join(matrix["regressions"]["not_in_run"])]
    if matrix["regressions"].get("versions_differ"):  # absent from matrices written before it was
        lines += ["", "Versions that differ from the baseline's run: " + ", ".join(matrix["regressions"]["versions_differ"])]
    return lines


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;font-size:.82rem;margin:.6rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:left;vertical-align:top}
table.matrix td{white-space:nowrap}table.matrix td[colspan]{white-space:normal}
th{background:#f4f4f4;position:sticky;top:0}
td.v-ok,td.v-yes,td.v-confirmed{background:#e5f5e0}td.v-loss,td.v-no,td.v-refuted{background:#fde0dd}
td.v-failed,td.v-partial,td.v-mixed{background:#fff7bc}td.v-not-applicable,td.v-not-measured{color:#888}td.v-not-comparable{background:#eef}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85rem;color:#555}
.meta{color:#555;font-size:.9rem}
"""


def _html_table(header: list[str], rows: list[list[str]], verdict_columns: tuple[int, ...] = (), css: str = "") -> str:
    out = [f"<table{f' class={chr(34)}{css}{chr(34)}' if css else ''}><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>"]
    for row in rows:
        cells = []
        while len(row) > 1 and row[-1] == "":  # a note spans the empty columns after it
            row = row[:-1]
        span = len(header) - len(row) + 1
        for i, value in enumerate(row):
            cls = f' class="v-{html.escape(str(value).split(" ")[0].lower().replace(" ", "-"))}"' if i in verdict_columns else ""
            if i in verdict_columns and str(value).lower().startswith("not "):
                cls = f' class="v-{html.escape(str(value).lower().replace(" ", "-")[:14])}"'
            colspan = f' colspan="{span}"' if span > 1 and i == len(row) - 1 else ""
            cells.append(f"<td{cls}{colspan}>{html.escape(str(value))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _regressions_html(matrix: dict[str, Any]) -> str:
    if "regressions" not in matrix:
        return ""
    items = regression_lines(matrix)
    notes = [line for line in items[1:] if line and not line.startswith("- ")]  # not in this run, versions
    return '<h2 id="regressions">Regressions against the baseline</h2>\n<p>' + html.escape(items[0]).replace("**", "") + "</p><ul>" + "".join(
        f"<li>{html.escape(line[2:])}</li>" for line in items[1:] if line.startswith("- ")
    ) + "</ul>" + "".join(f"<p>{html.escape(note)}</p>" for note in notes)


def _md_inline(text: str) -> str:
    """``**bold**`` of the shared texts as HTML, everything else escaped."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text))


def report_html(matrix: dict[str, Any], figures: list[tuple[str, str, bytes]], shots: dict[str, bytes] | None = None) -> str:
    """``figures``: (id, caption, PNG bytes), embedded in order; ``shots``: the pages'
    screenshots by their path in the run directory."""
    run = matrix["run"]
    header, rows = matrix_rows(matrix)
    g_header, g_rows = guarantee_rows(matrix)
    c_header, c_rows = claim_rows(matrix)
    stacks = (len(g_header) - 1) // 2
    figs = "\n".join(
        f'<figure id="{html.escape(fid)}"><img alt="{html.escape(caption)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for fid, caption, data in figures
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>llmchaos report: {html.escape(str(run['directory']))}</title><style>{CSS}</style></head>
<body>
<h1>llmchaos: measured comparison of LLM chat backends under failure</h1>
<p class="meta">Run <code>{html.escape(str(run['directory']))}</code>, profile {html.escape(str(run['profile']))}, runtime
{html.escape(str(run['runtime']))}, seed {html.escape(str(run['seed']))}, {html.escape(str(run['repeat']))} repetition(s),
{html.escape(str(run['started']))} to {html.escape(str(run['finished']))}. Every number below was measured in this run.</p>
<h2 id="matrix">Matrix</h2>
<p>{_md_inline(VERDICT_TEXT)}</p>
<p>{_md_inline(RECOVERY_TEXT)}</p>
<div style="overflow-x:auto">{_html_table(header, rows, verdict_columns=(2,), css="matrix")}</div>
{_optional_html("spread", "Spread over repetitions", SPREAD_TEXT, spread_rows(matrix))}
<h2 id="hits">Where the faults hit</h2>
<p>{html.escape(HITS_TEXT)}</p>
<div style="overflow-x:auto">{_html_table(*hit_rows(matrix), css="matrix")}</div>
<h2 id="designs">The designs compared</h2>
<p>{html.escape(DESIGNS_TEXT)}</p>
<div style="overflow-x:auto">{_html_table(*design_rows(matrix), css="matrix")}</div>
<h2 id="experience">What users lived through</h2>
<p>Per cell, over the users' requests (the canary's are apart): failed polls and submits; time in error, from a failed
operation to the request's next success or end; waits longer than 2 s between two pieces of news on a page (accepted, a new
chunk, the end), each counted whole; the longest wait between two new chunks of each request (its median, 99th percentile
and maximum over requests); latency over every accepted request (lost ones at the moment their user gave up) and over the
completed ones.</p>
<div style="overflow-x:auto">{_html_table(*experience_rows(matrix), css="matrix")}</div>
<h2 id="audit">Final reads, the canary, and where the money went</h2>
<p>After the recovery every task ever accepted is read back from its first chunk (the final status of the users' tasks
below; unreadable: the stack could not serve it; missing: it no longer knows it). Every LLM call is attributed to the
request that caused it, by task or by the answer it generated; calls refused before any token are free provider retries;
the canary's calls are counted apart from the users'.</p>
<div style="overflow-x:auto">{_html_table(*audit_rows(matrix), css="matrix")}</div>
{_optional_html("power-cut", CUT_TITLE, CUT_TEXT, cut_rows(matrix))}
{_pages_html(matrix, shots or {})}
<h2 id="guarantees">Guarantees: the seeds' table, and what was measured</h2>
{_html_table(g_header, g_rows, verdict_columns=tuple(range(1 + stacks, len(g_header))))}
<h2 id="claims">The seeds' claims, checked</h2>
<p>{_md_inline(CLAIMS_TEXT)}</p>
{_html_table(c_header, c_rows, verdict_columns=(len(c_header) - 1,))}
{_contradictions_html(matrix)}
{_regressions_html(matrix)}
<h2 id="figures">Figures</h2>
{figs}
</body></html>
"""
