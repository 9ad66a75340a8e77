"""Turning an Answer into safe Streamlit markdown: document and model text is escaped, never trusted as HTML."""

from __future__ import annotations

import html
import re

from copilot.numbers import extract_numbers
from copilot.types import Answer, Citation

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$])")
MARKS = {"supported": "✅", "partial": "🟡", "unsupported": "❌", "uncited": "⚪"}


def escape_md(text: str) -> str:
    """Plain text for st.markdown: HTML escaped and markdown syntax neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def anchor(answer_id: str, n: int) -> str:
    return f"src-{answer_id}-{n}"


def answer_markdown(answer: Answer) -> str:
    """The answer text, escaped, with each [n] a link to its entry in the sources panel."""
    valid = {c.n for c in answer.citations}
    out = []
    for piece in re.split(r"(\[\d+\])", answer.text):
        m = re.fullmatch(r"\[(\d+)\]", piece)
        if m and int(m.group(1)) in valid:
            n = int(m.group(1))
            out.append(f"[\\[{n}\\]](#{anchor(answer.id, n)})")
        else:
            out.append(escape_md(piece))
    return "".join(out)


def highlighted_passage(citation: Citation, figures: list[float]) -> str:
    """The quoted passage, escaped, with the figures the audit matched highlighted."""
    text = " ".join(citation.text.split())
    spans = [(n.start, n.end) for n in extract_numbers(text) if any(abs(n.value - f) < 1e-9 or
                                                                     abs(abs(n.value) - abs(f)) < 1e-9
                                                                     for f in figures)]
    out, last = [], 0
    for start, end in spans:
        out.append(escape_md(text[last:start]))
        out.append(f":orange-background[**{escape_md(text[start:end])}**]")
        last = end
    out.append(escape_md(text[last:]))
    return "".join(out)


def matched_figures(answer: Answer, n: int) -> list[float]:
    """Figures to highlight in source [n]: those the audit traced there, and the calculation inputs taken from it."""
    figures = [t.value for c in (answer.audit.claims if answer.audit else []) for t in c.numbers if n in t.where]
    figures += [v for call in answer.tool_calls if n in call.cites for v in call.args.values()]
    return figures
