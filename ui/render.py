"""An Answer as safe HTML for ``st.html`` (and safe markdown for labels).

Document and model text is never trusted as HTML: every piece of it goes through ``esc`` here, and Streamlit
sanitises ``st.html`` again with DOMPurify. The page's own markup is the only markup.
"""

from __future__ import annotations

import html
import re

from copilot.numbers import extract_numbers, format_number
from copilot.types import Answer, Citation, FactRow, Step, ToolCall
from retrieval.tables import format_period

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$])")
_MARK = re.compile(r"(\[\d+\])")

VERDICTS = {  # verdict -> (badge text, legend)
    "supported": ("supported", "the cited source states this, figures included"),
    "partial": ("partly supported", "the cited source backs part of this; check the rest"),
    "unsupported": ("not supported", "the cited source does not back this, or a figure is in no source"),
    "uncited": ("no source", "this sentence cites no source"),
}
HEDGES = {"approx": "about", "below": "below", "above": "above", "over": "over", "under": "under"}
STEP_LABELS = {"rewrite": "Reading the conversation", "search": "Searching the documents and tables",
               "calculate": "Calculating", "write": "Writing a draft", "check": "Checking every claim",
               "done": "Done"}

CSS = """<style>
.cp-answer p{margin:0 0 .5rem 0;line-height:1.55}
.cp-cite{font-size:.78em;vertical-align:super;text-decoration:none;padding:0 .08em;font-weight:600}
.cp-muted{color:#5f6368;font-size:.85rem}
.cp-asked{color:#5f6368;font-size:.85rem;margin:.1rem 0 .5rem 0}
.cp-draft{border:1px dashed #b0b4ba;border-radius:.4rem;padding:.5rem .7rem;color:#5f6368;background:#fafafa}
.cp-draft b{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:#80868b}
.cp-calc{border:1px solid #d6dae0;border-radius:.4rem;padding:.45rem .7rem;margin:.3rem 0 .6rem 0;background:#f7f9fc}
.cp-calc code{font-size:.8rem;color:#3c4043;background:none}
.cp-badges{margin:.2rem 0 .4rem 0;display:flex;flex-wrap:wrap;gap:.35rem;align-items:center}
.cp-badge{display:inline-block;border-radius:.7rem;padding:.05rem .55rem;font-size:.75rem;font-weight:600;
  border:1px solid transparent;white-space:nowrap}
.cp-supported{background:#e6f4ea;color:#0d652d;border-color:#a8dab5}
.cp-partial{background:#fef7e0;color:#8a5300;border-color:#f5d77e}
.cp-unsupported{background:#fce8e6;color:#a50e0e;border-color:#f4b4ae}
.cp-uncited{background:#f1f3f4;color:#3c4043;border-color:#dadce0}
.cp-hedge{font-style:italic}
details.cp-sources,details.cp-details{margin:.3rem 0;font-size:.9rem}
details.cp-sources>summary,details.cp-details>summary{cursor:pointer;color:#1a56c4;font-weight:600}
.cp-sources ol{list-style:none;padding-left:0;margin:.3rem 0}
.cp-sources li{margin:.15rem 0}
.cp-sources li details>summary{cursor:pointer;overflow-wrap:anywhere}
.cp-sources blockquote{margin:.25rem 0 .4rem .6rem;padding-left:.6rem;border-left:3px solid #dadce0;color:#3c4043;
  overflow-wrap:anywhere}
.cp-sources mark{background:#ffe8b3;padding:0 .1em}
.cp-details table{border-collapse:collapse;width:100%;font-size:.82rem}
.cp-details th{white-space:nowrap}
.cp-details td,.cp-details th{border-bottom:1px solid #eceff1;padding:.2rem .3rem;text-align:left;vertical-align:top;
  overflow-wrap:anywhere}
.cp-disclaimer{color:#80868b;font-size:.75rem;margin:.4rem 0 0 0}
.cp-doc{margin:.1rem 0 .05rem 0;font-size:.85rem;overflow-wrap:anywhere}
</style>"""


def escape_md(text: str) -> str:
    """Plain text for st.markdown and widget labels: HTML escaped and markdown syntax neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def esc(text) -> str:
    """Plain text for HTML: escaped, and '$' made an entity so nothing reads it as math."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def anchor(answer_id: str, n: int) -> str:
    return f"src-{answer_id}-{n}"


# --- figures and rows, in words --------------------------------------------------------------------------------

def value_text(value: float, unit: str) -> str:
    """582, 't' -> '582 t'; 1, 'years' -> '1 year'; money and percents as the copilot writes them."""
    text = format_number(value, unit)
    if unit.endswith("s") and len(unit) > 2 and abs(value) == 1:
        text = text[: -1]  # '1 years' -> '1 year'
    return text


def hedged(value: float, unit: str, qualifier: str) -> str:
    """A figure with the source's hedge kept: 'about 582 t', 'below 50 t'."""
    word = HEDGES.get(qualifier.lower(), "")
    text = value_text(value, unit)
    if word:
        return f"{word} {text}"
    return f"{text} ({qualifier})" if qualifier else text


def period_text(period: str) -> str:
    m = re.fullmatch(r"(\d{4})-(Q[1-4]|H[12])", period)
    if m:
        return f"{m.group(2)} {m.group(1)}"
    return format_period(period)


def row_phrase(row: FactRow) -> str:
    """'rare-earth magnet exports from China, United States, November 2025: about 582 t'."""
    label = row.label or row.series.replace("_", " ")
    return f"{label}, {row.entity}, {period_text(row.period)}: {hedged(row.value, row.unit, row.qualifier)}"


def facts_phrase(facts: list[FactRow]) -> str:
    """One table row's figures: 'Acme, 2025: revenue $2 million; margin 12%'."""
    if len(facts) == 1:
        return row_phrase(facts[0])
    groups: dict[tuple[str, str], list[FactRow]] = {}
    for f in facts:
        groups.setdefault((f.entity, f.period), []).append(f)
    return "; ".join(f"{entity}, {period_text(period)}: " + ", ".join(
        f"{f.label or f.series.replace('_', ' ')} {hedged(f.value, f.unit, f.qualifier)}" for f in fs)
        for (entity, period), fs in groups.items())


def date_text(date: str) -> str:
    return format_period(date) if date else ""


# --- calculations ---------------------------------------------------------------------------------------------

def input_labels(call: ToolCall, answer: Answer) -> dict[str, str]:
    """A readable name for each input: the pipeline's own label when it gives one, else the cited row or source
    that states the figure ('Japan, November 2025: 305 t [3]')."""
    given = dict(getattr(call, "labels", None) or {})
    out: dict[str, str] = {}
    for arg, value in call.args.items():
        label = ""
        for n in call.cites:
            c = answer.citation(n)
            if c is None:
                continue
            if given.get(arg):  # the pipeline's own name for the input, with the source that states it
                if any(f.states(value) for f in c.facts) or quote_around(c.text, value):
                    label = f"{given[arg]} [{n}]"
                    break
                continue
            r = next((f for f in c.facts if f.states(value)), None)
            if r is not None:
                label = f"{r.entity}, {period_text(r.period)}: {hedged(r.value, r.unit, r.qualifier)} [{n}]"
                break
            quote = quote_around(c.text, value)
            if quote:  # a passage, or the sentence a row record quotes: name the row's entity too
                label = (f"{c.row.entity}: " if c.row is not None else "") + f"“{quote}” [{n}]"
                break
        out[arg] = label or given.get(arg) or f"{value:,.10g}"
    return out


def quote_around(text: str, value: float, before: int = 4, after: int = 3) -> str:
    """The words around the first place ``text`` states ``value`` ('about 582 tons in November'), the source's hedge
    kept; '' when the text does not state it."""
    flat = " ".join(text.split())
    figures = extract_numbers(flat)
    for i, x in enumerate(figures):
        if x.value != value and abs(x.value) != abs(value):
            continue
        left_start = figures[i - 1].end if i else 0
        left = re.split(r"[,;:.!?]\s", flat[left_start:x.start])[-1].split()[-before:]
        preps = [j for j, w in enumerate(left) if w.lower() in ("to", "from", "at", "of", "by", "was", "were")]
        if preps:
            left = left[preps[-1] + 1:]
        right = re.split(r"[,;:.!?](?:\s|$)", flat[x.end:])[0]
        return " ".join([*left, flat[x.start:x.end] + right[: len(right) - len(right.lstrip())]
                         + " ".join(right.split()[:after])]).strip(" ,;:.!?\"'“”‘’")
    return ""


def _qualifiers(call: ToolCall, answer: Answer) -> set[str]:
    quals = set()
    for n in call.cites:
        c = answer.citation(n)
        for fact in c.facts if c is not None else []:
            if fact.qualifier and any(fact.states(v) for v in call.args.values()):
                quals.add(fact.qualifier.lower())
    return quals


def calculation_sentence(call: ToolCall, answer: Answer) -> str:
    """What a calculation compares, in words: 'United States … 582 t minus Japan … 305 t = about 277 t'."""
    lab = input_labels(call, answer)
    quals = _qualifiers(call, answer)
    result = value_text(call.result, "" if call.unit == "x" else call.unit) + ("x" if call.unit == "x" else "")
    if "approx" in quals:
        result = f"about {result}"
    forms = {
        "difference": "{a} minus {b}", "add": "{a} plus {b}", "ratio": "{a} divided by {b}",
        "pct_change": "change from {old} to {new}", "share": "{part} as a share of {total}",
        "implied_prior": "the value before a {pct}% change to {current}", "part_of": "{pct}% of {total}",
    }
    try:
        text = forms[call.name].format(**lab) if call.name in forms else call.formula
    except KeyError:
        text = call.formula
    sentence = f"{text} = {result}"
    if quals & {"below", "under", "above", "over"}:
        sentence += " (an input is a bound, not an exact figure)"
    return sentence


def calculation_html(call: ToolCall, answer: Answer) -> str:
    chosen = "checked against the cited rows" if call.chosen_by == "rules" else "proposed by the model, checked by code"
    return (f'<div class="cp-calc"><b>Calculation [{call.n}]</b>: {esc(calculation_sentence(call, answer))}'
            f'<br><span class="cp-muted"><code>{esc(call.formula)}</code> · computed by code, {esc(chosen)}</span>'
            f"</div>")


# --- the answer ----------------------------------------------------------------------------------------------

def _cite_title(c: Citation) -> str:
    head = source_heading(c)
    passage = " ".join(c.text.split())
    return f"[{c.n}] {head}: {passage[:400]}{'…' if len(passage) > 400 else ''}"


def text_html(answer: Answer) -> str:
    """The answer text, escaped, each valid [n] a link to its source with the passage on hover."""
    paragraphs = [p for p in re.split(r"\n\s*\n", answer.text.strip()) if p.strip()] or [""]
    out = []
    for para in paragraphs:
        parts = []
        for piece in _MARK.split(para):
            m = re.fullmatch(r"\[(\d+)\]", piece)
            c = answer.citation(int(m.group(1))) if m else None
            if c is not None:
                parts.append(f'<a class="cp-cite" href="#{esc(anchor(answer.id, c.n))}" title="{esc(_cite_title(c))}">'
                             f"[{c.n}]</a>")
            else:
                parts.append(esc(piece).replace("\n", "<br>"))
        out.append(f"<p>{''.join(parts)}</p>")
    return "".join(out)


def badge(verdict: str, count: int | None = None) -> str:
    text, legend = VERDICTS.get(verdict, (verdict, ""))
    label = f"{text} {count}" if count is not None else text
    return f'<span class="cp-badge cp-{esc(verdict)}" title="{esc(legend)}">{esc(label)}</span>'


def badges_html(answer: Answer) -> str:
    claims = answer.audit.claims if answer.audit else []
    if not claims:
        return ""
    counts = {v: sum(c.verdict == v for c in claims) for v in VERDICTS}
    marks = "".join(badge(v, n) for v, n in counts.items() if n)
    return f'<div class="cp-badges"><span class="cp-muted">Checked {len(claims)} claim' \
           f'{"s" if len(claims) != 1 else ""}:</span>{marks}</div>'


def source_heading(c: Citation) -> str:
    """One line naming a source: no file names, seeds or chunk ids."""
    if c.kind == "calculation":
        return "Calculation by the copilot"
    where = " · ".join(x for x in (c.publisher, date_text(c.date)) if x)
    if c.facts:
        return f"Table row: {facts_phrase(c.facts)}" + (f" (from {c.title})" if c.title else "")
    return (c.title or "Untitled document") + (f" · {where}" if where else "")


def matched_figures(answer: Answer, n: int) -> list[float]:
    """Figures to highlight in source [n]: those the audit traced there, and the calculation inputs taken from it."""
    figures = [t.value for c in (answer.audit.claims if answer.audit else []) for t in c.numbers if n in t.where]
    figures += [v for call in answer.tool_calls if n in call.cites for v in call.args.values()]
    return figures


def highlighted_passage(citation: Citation, figures: list[float]) -> str:
    """The exact passage, escaped, with the figures the audit matched in <mark>."""
    text = " ".join(citation.text.split())
    spans = [(x.start, x.end) for x in extract_numbers(text)
             if any(abs(x.value - f) < 1e-9 or abs(abs(x.value) - abs(f)) < 1e-9 for f in figures)]
    out, last = [], 0
    for start, end in spans:
        out += [esc(text[last:start]), f"<mark>{esc(text[start:end])}</mark>"]
        last = end
    out.append(esc(text[last:]))
    return "".join(out)


def shown_sources(answer: Answer) -> list[Citation]:
    """The sources a reader can meet on the page: those the text cites, and every calculation shown with its
    inputs (even one the text leaves uncited)."""
    out = list(answer.cited())
    for call in answer.tool_calls:
        for n in [call.n, *call.cites]:
            c = answer.citation(n) if n is not None else None
            if c is not None and c not in out:
                out.append(c)
    return out


def sources_html(answer: Answer) -> str:
    cited = shown_sources(answer)
    if not cited:
        return ""
    items = []
    for c in sorted(cited, key=lambda c: c.n):
        items.append(f'<li id="{esc(anchor(answer.id, c.n))}"><details><summary title="{esc(" ".join(c.text.split()))}">'
                     f"[{c.n}] {esc(source_heading(c))}</summary>"
                     f"<blockquote>{highlighted_passage(c, matched_figures(answer, c.n))}</blockquote></details></li>")
    return (f'<details class="cp-sources"><summary>Sources ({len(cited)})</summary>'
            f'<ol>{"".join(items)}</ol></details>')


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0%}"


def details_html(answer: Answer) -> str:
    """Developer detail, behind a toggle: claim by claim, counters, model, settings hash, timings."""
    rows = []
    for claim in answer.audit.claims if answer.audit else []:
        support = ", ".join(f"[{n}] {s:.2f}" for n, s in sorted(claim.support.items())) or "-"
        figures = ", ".join(f"{t.raw} ({t.found_in})" for t in claim.numbers) or "-"
        rows.append(f"<tr><td>{badge(claim.verdict)}</td><td>{esc(claim.text)}</td><td>{esc(claim.reason)}</td>"
                    f"<td>{esc(support)}</td><td>{esc(figures)}</td></tr>")
    parts = ['<details class="cp-details"><summary>details</summary>']
    if rows:
        parts.append("<table><tr><th>check</th><th>claim</th><th>why</th><th>support</th><th>figures</th></tr>"
                     + "".join(rows) + "</table>")
    a = answer.audit
    if a is not None:
        parts.append(f'<p class="cp-muted">claims supported {_pct(a.claim_support_rate)} · citation precision '
                     f"{_pct(a.citation_precision)} · figures traced {a.numbers_traced}/{a.numbers_stated} · "
                     f"invented citations removed {a.invented_citations_removed}</p>")
    legend = " ".join(f"{badge(v)} {esc(text)}." for v, (_, text) in VERDICTS.items())
    parts.append(f'<p class="cp-muted">{legend}</p>')
    t = answer.timings
    parts.append(f'<p class="cp-muted">model {esc(answer.model)} · settings {esc(answer.settings_hash)} · '
                 f"{t.total_s:.1f} s (search {t.retrieval_s:.1f}, writing {t.generation_s:.1f}, check "
                 f"{t.audit_s:.1f}) · answer {esc(answer.id)}</p></details>")
    return "".join(parts)


def answer_head_html(answer: Answer) -> str:
    """The text, what it was answered as, why it was refused, the calculations and the audit badges."""
    parts = ['<div class="cp-answer">', text_html(answer)]
    asked = " ".join(answer.standalone_question.split())
    if asked and asked.lower() != " ".join(answer.question.split()).lower():
        parts.append(f'<p class="cp-asked">Answered as: {esc(asked)}</p>')
    if answer.refused and answer.refusal_reason:
        parts.append(f'<p class="cp-muted">Why: {esc(answer.refusal_reason)}</p>')
    parts += [calculation_html(call, answer) for call in answer.tool_calls if call.n is not None]
    parts += [badges_html(answer), "</div>"]
    return "".join(parts)


def answer_tail_html(answer: Answer) -> str:
    """Sources (collapsed), details (collapsed) and one compact disclaimer."""
    return (f'<div class="cp-answer">{sources_html(answer)}{details_html(answer)}'
            f'<p class="cp-disclaimer">{esc(answer.disclaimer)}</p></div>')


def draft_html(text: str) -> str:
    return f'<div class="cp-draft"><b>Draft, not yet checked</b><br>{esc(text)}</div>'


def step_label(step: Step) -> str:
    name = STEP_LABELS.get(step.name, step.name)
    return f"{name}: {step.detail} ({step.elapsed_s:.1f} s)" if step.detail else f"{name} ({step.elapsed_s:.1f} s)"


def plain_text(answer: Answer) -> str:
    """The answer as plain text for copying: text, sources, disclaimer."""
    lines = [answer.text]
    cited = shown_sources(answer)
    if cited:
        lines += ["", "Sources:"] + [f"[{c.n}] {source_heading(c)}" for c in sorted(cited, key=lambda c: c.n)]
    return "\n".join(lines + ["", answer.disclaimer])
