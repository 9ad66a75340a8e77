"""Citation numbers for reading: sources renumbered 1, 2, 3 … in the order the answer's text first cites them.

The pipeline numbers sources from [0] in rank order, so a text may cite [6] before [0] and skip [2]. ``renumber``
returns a consistent copy of the Answer (text, citations, calculations, audit, draft) with reading-order numbers,
so that what the page shows, what it links to and what it exports agree with one another.
"""

from __future__ import annotations

import re

from copilot.types import Answer

_MARK = re.compile(r"\[(\d+)\]")


def reading_order(answer: Answer) -> list[int]:
    """Source numbers in the order a reader meets them: the text, then calculations and their inputs, then the
    rest."""
    known = [c.n for c in answer.citations]
    order: list[int] = []
    for m in _MARK.finditer(answer.text):
        n = int(m.group(1))
        if n in known and n not in order:
            order.append(n)
    for c in answer.cited():
        if c.n not in order:
            order.append(c.n)
    for call in answer.tool_calls:  # a calculation is shown with its inputs whether or not the text cites it
        order += [n for n in [call.n, *call.cites] if n in known and n not in order]
    return order + [n for n in known if n not in order]


def _remap_text(text: str, mapping: dict[int, int]) -> str:
    return _MARK.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else m.group(0), text)


def renumber(answer: Answer, start: int = 1) -> Answer:
    """A copy of ``answer`` whose sources are numbered from ``start`` in reading order, consistently everywhere."""
    mapping = {old: start + i for i, old in enumerate(reading_order(answer))}
    if all(old == new for old, new in mapping.items()):
        return answer
    a = answer.model_copy(deep=True)
    a.text = _remap_text(a.text, mapping)
    if a.draft is not None:
        a.draft = _remap_text(a.draft, mapping)
    for c in a.citations:
        c.n = mapping[c.n]
        if c.kind == "calculation":
            c.text = _remap_text(c.text, mapping)  # 'Inputs from [0] and [3]'
    a.citations.sort(key=lambda c: c.n)
    for call in a.tool_calls:
        call.n = mapping.get(call.n, call.n) if call.n is not None else None
        call.cites = [mapping.get(n, n) for n in call.cites]
    if a.audit is not None:
        for claim in a.audit.claims:
            claim.text = _remap_text(claim.text, mapping)
            claim.citations = [mapping.get(n, n) for n in claim.citations]
            claim.support = {mapping.get(n, n): v for n, v in claim.support.items()}
            for trace in claim.numbers:
                trace.where = [mapping.get(n, n) for n in trace.where]
    return a
