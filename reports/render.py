"""``matrix.md`` and ``report.html`` from a matrix: what people read.

The HTML page is self-contained (styles inline, figures embedded as base64 PNG) so it can
be attached to a review or a CI run and opened anywhere, offline.
"""

from __future__ import annotations

import base64
import html
from typing import Any

OUTCOME_COLUMNS = ("tasks_correct", "tasks_accepted", "tasks_lost", "data_loss_pct", "duplicate_chunks", "acknowledged_loss_chunks")


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


def matrix_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The matrix as a table: one row per stack x scenario."""
    header = [
        "stack", "scenario", "verdict", "correct / accepted", "lost", "data loss", "dup. chunks", "ack. loss",
        "health", "first ok", "in-flight resume", "in-flight done", "LLM cost", "wasted", "regen.", "TTFT p50", "E2E p50", "E2E p99",
    ]  # fmt: skip
    rows = []
    for c in matrix["cells"]:
        if "tasks_submitted" not in c:
            rows.append([c["stack"], c["scenario"], c["verdict"], (c.get("reason") or "").split(";")[0]] + [""] * (len(header) - 4))
            continue
        rows.append([
            c["stack"], c["scenario"], c["verdict"], f"{c['tasks_correct']} / {c['tasks_accepted']}", str(c["tasks_lost"]),
            _num(c["data_loss_pct"], 1, " %"), str(c["duplicate_chunks"]), str(c["acknowledged_loss_chunks"]),
            _recovery(c, "health"), _recovery(c, "first_ok"), _recovery(c, "inflight_resume"), _recovery(c, "inflight_complete"),
            _usd(c["llm_cost_usd"]), _usd(c["wasted_cost_usd"]), str(c["regenerations"]),
            _num(c["ttft_p50_s"], 2, " s"), _num(c["e2e_p50_s"], 2, " s"), _num(c["e2e_p99_s"], 2, " s"),
        ])  # fmt: skip
    return header, rows


def _md_table(header: list[str], rows: list[list[str]]) -> str:
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


def claim_rows(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = ["id", "claim", "source", "measured", "verdict"]
    return header, [[c["id"], c["claim"], c["source"], c["measured"], c["verdict"]] for c in matrix["claims"]]


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
        _md_table(*matrix_rows(matrix)),
        "",
        "Recovery times are from the fault to: every service healthy, the first request submitted after it served, "
        "the first new chunk of a request in flight at the fault, the first such request complete.",
        "",
        "## Guarantees: claimed by the seeds, measured here",
        "",
        _md_table(*guarantee_rows(matrix)),
        "",
        "## The seeds' claims",
        "",
        _md_table(*claim_rows(matrix)),
        "",
    ]
    if "regressions" in matrix:
        parts += ["## Regressions against the baseline", "", *regression_lines(matrix), ""]
    return "\n".join(parts)


def regression_lines(matrix: dict[str, Any]) -> list[str]:
    found = matrix["regressions"]["found"]
    lines = [f"Baseline `{matrix['regressions']['baseline']}`: " + (f"**{len(found)} regression(s)**." if found else "no regression.")]
    lines += [f"- {r['stack']}/{r['scenario']}: {r['metric']} {r['measured']} (baseline {r['baseline']}, allowed {r['allowed']})" for r in found]
    if matrix["regressions"]["not_in_run"]:
        lines.append("Not in this run: " + ", ".join(matrix["regressions"]["not_in_run"]))
    return lines


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;font-size:.82rem;margin:.6rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:left;vertical-align:top}
table.matrix td{white-space:nowrap}table.matrix td[colspan]{white-space:normal}
th{background:#f4f4f4;position:sticky;top:0}
td.v-ok,td.v-yes,td.v-confirmed{background:#e5f5e0}td.v-loss,td.v-no,td.v-refuted{background:#fde0dd}
td.v-failed,td.v-partial,td.v-mixed{background:#fff7bc}td.v-not-applicable,td.v-not-measured{color:#888}
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
    return '<h2 id="regressions">Regressions against the baseline</h2>\n<p>' + html.escape(items[0]).replace("**", "") + "</p><ul>" + "".join(
        f"<li>{html.escape(line[2:])}</li>" for line in items[1:] if line.startswith("- ")
    ) + "</ul>"


def report_html(matrix: dict[str, Any], figures: list[tuple[str, str, bytes]]) -> str:
    """``figures``: (id, caption, PNG bytes), embedded in order."""
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
<p>Verdict: <b>ok</b> every accepted request shown complete and correct; <b>failed</b> the stack declared some requests
failed, nothing silently lost; <b>loss</b> a request lost, truncated, duplicated or corrupt. Recovery: from the fault to
every service healthy, to the first new request served, to the first new chunk of a request in flight, to the first such
request complete.</p>
<div style="overflow-x:auto">{_html_table(header, rows, verdict_columns=(2,), css="matrix")}</div>
<h2 id="guarantees">Guarantees: the seeds' table, and what was measured</h2>
{_html_table(g_header, g_rows, verdict_columns=tuple(range(1 + stacks, len(g_header))))}
<h2 id="claims">The seeds' claims, checked</h2>
{_html_table(c_header, c_rows, verdict_columns=(4,))}
{_regressions_html(matrix)}
<h2 id="figures">Figures</h2>
{figs}
</body></html>
"""
