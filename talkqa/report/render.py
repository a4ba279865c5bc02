"""The filled-in checklist as Markdown and as one self-contained HTML page (inline
styles, nothing loaded from anywhere: the checklists are confidential)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from talkqa.report.status import QA, Check, DataflowStatus, ItemStatus, SectionStatus

MD_REASON = 300  # characters of a failure's reason in a Markdown cell


def markdown(flows: list[DataflowStatus], run: Mapping[str, str]) -> str:
    out = ["# Checklist status", "", _run_line(run), ""]
    out += [f"- {flow.summary()}" for flow in flows]
    for flow in flows:
        out += [
            "",
            f"## {flow.title}",
            "",
            f"Checklist `{flow.document}`, generated {flow.generated or 'on an unknown date'}.",
            "",
            f"**{flow.summary()}**",
        ]
        for section in flow.sections:
            out += _md_section(section)
    return "\n".join(out) + "\n"


def _run_line(run: Mapping[str, str]) -> str:
    if not run:
        return "No run facts found beside the results."
    return "Run: " + ", ".join(f"{k} {v}" for k, v in run.items() if k in ("mode", "environment"))


def _md_section(section: SectionStatus) -> list[str]:
    origin = " (added by QA)" if section.origin == QA else ""
    out = [
        "",
        f'<a id="{section.anchor}"></a>',
        f"### {section.heading}{origin}: {section.status}",
        "",
        section.statement,
    ]
    if section.note:
        out += ["", f"_{section.note}_"]
    for item in section.items:
        out += ["", f"**{item.title}**{_md_origin(item.origin)}: {item.status}"]
        if item.rows:
            out += ["", "| Row | Status | Reason | Origin |", "|---|---|---|---|"]
            out += [
                f"| {_cell(c.label)} | {c.status} | {_cell(_short(c.reason))} | {c.origin} |"
                for c in item.checks
            ]
        elif item.checks and item.checks[0].reason:
            out += ["", f"> {_cell(_short(item.checks[0].reason))}"]
    return out


def _md_origin(origin: str) -> str:
    return " (added by QA)" if origin == QA else ""


def _short(reason: str) -> str:
    """The gist of a reason: its first two lines (where it failed and what differed),
    without the comparison table that follows."""
    text = " ".join([line.strip() for line in reason.splitlines() if line.strip()][:2])
    return text if len(text) <= MD_REASON else text[: MD_REASON - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- HTML ----------------------------------------------------------------------------------

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1,h2,h3{line-height:1.2}section{border-top:1px solid #ccc;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;
text-align:left;vertical-align:top}.status{font-weight:600;white-space:nowrap}
.passed{color:#176b2c}.failed{color:#b00020}.not-run,.skipped{color:#8a6d00}
.not-automated{color:#666}.qa{font-size:.85em;color:#555;background:#eef;padding:0 .3em}
pre{white-space:pre-wrap;font-size:.85em;background:#f6f6f6;padding:.5em;margin:.3em 0}
"""


def html(flows: list[DataflowStatus], run: Mapping[str, str]) -> str:
    body = ["<h1>Checklist status</h1>", f"<p>{escape(_run_line(run))}</p>", "<ul>"]
    body += [f'<li class="summary">{escape(flow.summary())}</li>' for flow in flows]
    body.append("</ul>")
    for flow in flows:
        body += [
            f'<article class="dataflow"><h2>{escape(flow.title)}</h2>',
            f"<p>Checklist <code>{escape(flow.document)}</code>, generated "
            f"{escape(flow.generated or 'on an unknown date')}.</p>",
            f'<p class="summary"><strong>{escape(flow.summary())}</strong></p>',
        ]
        body += [_html_section(section) for section in flow.sections]
        body.append("</article>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Checklist status</title>"
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _status(status: str) -> str:
    return f'<span class="status {status.replace(" ", "-")}">{escape(status)}</span>'


def _qa(origin: str) -> str:
    return ' <span class="qa">added by QA</span>' if origin == QA else ""


def _html_section(section: SectionStatus) -> str:
    parts = [
        f'<section id="{section.anchor}" class="section" data-status="{section.status}">',
        f"<h3>{escape(section.heading)}{_qa(section.origin)}: {_status(section.status)}</h3>",
        f"<p>{escape(section.statement)}</p>",
    ]
    if section.note:
        parts.append(f"<p><em>{escape(section.note)}</em></p>")
    parts += [_html_item(item) for item in section.items]
    parts.append("</section>")
    return "\n".join(parts)


def _html_item(item: ItemStatus) -> str:
    head = (
        f'<div class="item" data-item="{escape(item.item)}" data-status="{item.status}">'
        f"<p><strong>{escape(item.title)}</strong>{_qa(item.origin)}: {_status(item.status)}</p>"
    )
    if not item.rows:
        check = item.checks[0] if item.checks else None
        return head + (_reason(check) if check else "") + "</div>"
    rows = "".join(_html_row(check) for check in item.checks)
    table = f"<table><tr><th>Row</th><th>Status</th><th>Reason</th></tr>{rows}</table>"
    return head + table + "</div>"


def _html_row(check: Check) -> str:
    return (
        f'<tr class="row" data-status="{check.status}"><td>{escape(check.label)}'
        f"{_qa(check.origin)}</td><td>{_status(check.status)}</td><td>{_reason(check)}</td></tr>"
    )


def _reason(check: Check) -> str:
    if not check.reason:
        return ""
    first = escape(check.reason.splitlines()[0])
    return f"<details><summary>{first}</summary><pre>{escape(check.reason)}</pre></details>"
