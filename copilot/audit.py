"""The citation audit: every claim of an answer checked against the sources it cites.

``audit_answer`` is a pure function of (answer text, citations, tool calls) plus an optional embedder, so it can
re-audit answers produced anywhere (``copilot audit FILE.jsonl``).
"""

from __future__ import annotations

import re

import numpy as np

from copilot.citations import cited_numbers, split_claims
from copilot.numbers import Number, extract_numbers, numbers_match
from copilot.types import AuditReport, Citation, ClaimAudit, NumberTrace, ToolCall
from prompts import DISCLAIMER, REFUSAL
from retrieval.search import lexical_tokens

SUPPORTED_AT = 0.45
PARTIAL_AT = 0.25


def _source_numbers(c: Citation) -> list[Number]:
    nums = extract_numbers(c.text, words=True)
    if c.row is not None:
        kind = "percent" if c.row.unit == "%" else ("money" if c.row.unit == "USD" else "quantity")
        nums.append(Number(raw=str(c.row.value), value=c.row.value, kind=kind))
    return nums


def _found(num: Number, candidates: list[Number], pct_tol: float, rel_tol: float) -> bool:
    for cand in candidates:
        if num.kind == "percent" and cand.kind != "percent":
            continue
        if num.kind in ("year", "date") and cand.kind not in ("year", "date", "quantity"):
            continue
        if num.kind in ("quantity", "money") and cand.kind == "percent":
            continue
        if num.kind == "money" and cand.kind not in ("money",) and abs(cand.value) < 1e5:
            continue
        if numbers_match(num.value, cand.value, num.kind if num.kind != "date" else "quantity", pct_tol, rel_tol):
            return True
    return False


def _lexical_support(claim: str, source: str) -> float:
    words = [t for t in lexical_tokens(re.sub(r"\[\d+\]", " ", claim)) if not re.fullmatch(r"[\d.]+", t)]
    if not words:
        return 1.0
    have = set(lexical_tokens(source))
    stems = {w[:4] for w in have}
    hits = sum(1 for w in words if w in have or w[:4] in stems)
    return hits / len(words)


def _is_boilerplate(claim: str) -> bool:
    bare = re.sub(r"\[\d+\]", "", claim).strip()
    return bare in (REFUSAL, DISCLAIMER) or bare.rstrip(".") == REFUSAL.rstrip(".")


def audit_answer(text: str, citations: list[Citation], tool_calls: list[ToolCall] | None = None, *,
                 embedder=None, pct_tolerance: float = 0.5, rel_tolerance: float = 0.0,
                 number_policy: str = "flag", invented_removed: int = 0) -> tuple[AuditReport, str]:
    """Audit ``text`` against ``citations``; return the report and the text (claims dropped under 'drop')."""
    tool_calls = tool_calls or []
    by_n = {c.n: c for c in citations}
    nums_of = {c.n: _source_numbers(c) for c in citations}
    tool_numbers = [Number(raw=str(v), value=v, kind="percent" if (t.unit == "%" and k == "result") else "quantity")
                    for t in tool_calls for k, v in ([("result", t.result)] + list(t.args.items()))]
    tool_numbers += [Number(raw=str(t.result), value=t.result, kind="quantity") for t in tool_calls]
    claims = [c for c in split_claims(text) if not _is_boilerplate(c)]

    sims: dict[tuple[int, int], float] = {}
    if embedder is not None and claims and citations:
        vecs = embedder.embed([re.sub(r"\[\d+\]", "", c) for c in claims] + [c.text for c in citations])
        cv, sv = vecs[: len(claims)], vecs[len(claims):]
        matrix = np.clip(cv @ sv.T, 0.0, 1.0)
        sims = {(i, citations[j].n): float(matrix[i, j]) for i in range(len(claims)) for j in range(len(citations))}

    audits: list[ClaimAudit] = []
    good_citations = total_citations = 0
    for i, claim in enumerate(claims):
        cited = cited_numbers(claim)
        valid = [n for n in cited if n in by_n]
        invalid = [n for n in cited if n not in by_n]
        traces: list[NumberTrace] = []
        for num in extract_numbers(claim):
            where = [n for n in valid if _found(num, nums_of[n], pct_tolerance, rel_tolerance)]
            if where:
                found_in = "tool" if all(by_n[n].kind == "calculation" for n in where) else "cited"
            elif _found(num, tool_numbers, pct_tolerance, rel_tolerance):
                found_in = "tool"
            else:
                where = [n for n in by_n if n not in valid and _found(num, nums_of[n], pct_tolerance, rel_tolerance)]
                found_in = "uncited" if where else "nowhere"
            traces.append(NumberTrace(raw=num.raw, value=num.value, kind=num.kind, found_in=found_in, where=where))
        support = {}
        for n in valid:
            if by_n[n].kind == "calculation" and any(n in t.where for t in traces):
                support[n] = 1.0  # a calculation supports the claim that states its figures
                continue
            lex = _lexical_support(claim, by_n[n].text)
            support[n] = round(0.5 * lex + 0.5 * sims[(i, n)] if (i, n) in sims else lex, 3)
        best = max(support.values(), default=0.0)
        untraced = [t for t in traces if t.found_in in ("uncited", "nowhere") and t.kind not in ("date",)]

        if not cited:
            verdict, reason = "uncited", "the sentence cites no source"
        elif not valid:
            verdict, reason = "unsupported", f"cites sources that do not exist: {invalid}"
        elif any(t.found_in == "nowhere" for t in untraced):
            bad = ", ".join(t.raw for t in untraced if t.found_in == "nowhere")
            verdict, reason = "unsupported", f"figure {bad} is in no source and no calculation"
        elif untraced:
            bad = ", ".join(f"{t.raw} (in [{t.where[0]}])" for t in untraced)
            verdict, reason = "partial", f"figure {bad} comes from a source the sentence does not cite"
        elif traces and best >= PARTIAL_AT:
            verdict, reason = "supported", "every figure is in a cited source or a calculation"
        elif best >= SUPPORTED_AT:
            verdict, reason = "supported", f"cited source matches the wording (score {best:.2f})"
        elif best >= PARTIAL_AT:
            verdict, reason = "partial", f"cited source only partly matches the wording (score {best:.2f})"
        else:
            verdict, reason = "unsupported", f"cited sources do not match the claim (best score {best:.2f})"
        if invalid and verdict == "supported":
            verdict, reason = "partial", reason + f"; also cites nonexistent {invalid}"

        claim_numbers = [t for t in traces if t.found_in in ("cited", "tool")]
        for n in valid:
            total_citations += 1
            in_source = any(n in t.where for t in claim_numbers)
            if support[n] >= PARTIAL_AT or in_source:
                good_citations += 1
        total_citations += len(invalid)
        audits.append(ClaimAudit(index=i, text=claim, citations=cited, invalid_citations=invalid, numbers=traces,
                                 support=support, verdict=verdict, reason=reason))

    stated = [t for a in audits for t in a.numbers if t.kind != "date"]
    report = AuditReport(
        claims=audits,
        citation_precision=round(good_citations / total_citations, 3) if total_citations else None,
        claim_support_rate=round(sum(a.verdict == "supported" for a in audits) / len(audits), 3) if audits else None,
        numbers_stated=len(stated),
        numbers_traced=sum(t.found_in in ("cited", "tool") for t in stated),
        invented_citations_removed=invented_removed,
    )
    if number_policy == "drop":
        drop = [a for a in audits if any(t.found_in == "nowhere" for t in a.numbers)]
        for a in drop:
            text = text.replace(a.text, "").strip()
        text = re.sub(r"\s{2,}", " ", text)
        report.dropped_claims = len(drop)
    return report, text
