"""The citation audit: every claim of an answer checked against the sources it cites.

``audit_answer`` is a pure function of (answer text, citations, tool calls) plus an optional embedder, so it can
re-audit answers produced anywhere (``copilot audit FILE.jsonl``).
"""

from __future__ import annotations

import re

import numpy as np

from copilot.citations import cited_numbers, split_claims
from copilot.numbers import Number, extract_numbers, numbered_names, numbers_match, sentences_under_headings
from copilot.periods import find_periods, find_range, format_period, overlaps, title_period, within
from copilot.types import AuditReport, Citation, ClaimAudit, CorpusKnowledge, NumberTrace, ToolCall
from prompts import DISCLAIMER, REFUSAL
from retrieval.search import lexical_tokens

SUPPORTED_AT = 0.45
PARTIAL_AT = 0.25


def _fact_kind(unit: str) -> str:
    if unit == "%":
        return "percent"
    if unit in ("pp", "bp"):
        return {"pp": "points", "bp": "bp"}[unit]
    return "money" if re.fullmatch(r"[A-Z]{3}", unit or "") else "quantity"


def _source_numbers(c: Citation) -> list[Number]:
    nums = extract_numbers(c.text, words=True)
    for f in c.facts:
        nums.append(Number(raw=str(f.value), value=f.value, kind=_fact_kind(f.unit), unit=f.unit))
    return nums


def _contexts(num: Number, c: Citation, pct_tol: float, rel_tol: float) -> list[tuple[list[str], str, str]]:
    """Where a cited source states ``num``: the periods, the text (entity, or clause) it states it for, and the
    whole sentence (or row)."""
    from copilot.compute import _clause, context_periods

    out = []
    for f in c.facts:
        if _found(num, [Number(raw="", value=f.value, kind=_fact_kind(f.unit))], pct_tol, rel_tol):
            out.append(([f.period] if f.period else [], f.entity, f.entity))
    if c.facts:
        return out
    for sentence, heading in sentences_under_headings(c.text):
        for n in extract_numbers(sentence, words=True):
            if _found(num, [n], pct_tol, rel_tol):
                periods = context_periods(sentence, n.start, n.end, c.date or None, strict=True, heading=heading)
                out.append((periods, _clause(sentence, n.start, n.end), sentence))
    return out


def _title_period(c: Citation) -> list[str]:
    return title_period(c.title, c.date or None)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _same_period(a: str, b: str) -> bool:
    """The claim gives the figure the period the source states it for: the same span (a half-year figure is not
    the year's), or either side unresolved or a range (then sharing any time is enough)."""
    from copilot.periods import within

    if a.startswith("*") or b.startswith("*") or ".." in a or ".." in b:
        return overlaps(a, b)
    if _DAY.fullmatch(a) or _DAY.fullmatch(b):  # 'On 9 October 2025' is a day of 'October 2025'
        return within(a, b) or within(b, a)
    return within(a, b) and within(b, a)


def _claim_periods(claim: str, num: Number) -> list[str]:
    """The periods a claim gives a figure: those of the figure's own clause, or of a figure-free opening clause
    ('In November, prices fell 50%'). A period elsewhere in the sentence may be about something else ('tariffs
    from 2026 and $540 million of funding')."""
    from copilot.compute import _clause, trailing_periods, year_before

    clause = _clause(claim, num.start, num.end)
    own = [p.code for p in find_periods(clause)]
    if own:
        return own
    earlier = year_before(re.sub(r"\[\d+\]", " ", claim), clause)  # 'from 8.1 days a year earlier'
    if earlier:
        return earlier
    trailing = trailing_periods(claim, num.end)  # '... KSK 78.60 per kg (EUR 6.84 per kg) in October 2024'
    if trailing:
        return trailing
    opening = re.match(r"^[^,;:]{0,60},", claim)
    if opening and opening.end() <= num.start and not any(
            n.kind not in ("year", "date") for n in extract_numbers(opening.group(0))):
        return [p.code for p in find_periods(opening.group(0))]
    return []


_NOT_MODIFIERS = {"the", "a", "an", "of", "for", "per", "and", "or", "in", "its", "their", "his", "her", "to", "by",
                  "with", "from", "on", "at", "as", "was", "were", "is", "are", "average", "total", "overall", "same",
                  "this", "that", "these", "those", "quarterly", "annual", "monthly", "reported", "stated", "which"}


def other_measure(claim: str, label: str) -> bool:
    """Does the claim give a table row's figure as another measure than the row's: 'operating margin' for a row
    labelled 'gross margin' (the same head word, another qualifier, and the row's qualifier nowhere in the claim)?"""
    words = re.findall(r"[a-z][a-z-]+", label.lower())
    if len(words) < 2:
        return False
    head, qualifiers = words[-1], set(words[:-1]) - _NOT_MODIFIERS
    said = set(re.findall(r"[a-z][a-z-]+", claim.lower()))
    if not qualifiers or qualifiers & said:
        return False
    # the word before the head is the claim's qualifier, unless it is a name's ('Sarnet Ciment despatches')
    return any(m.group(1).lower() not in _NOT_MODIFIERS and len(m.group(1)) >= 3 and m.group(1)[0].islower()
               for m in re.finditer(r"\b([A-Za-z][a-z-]+)\s+" + re.escape(head) + r"\b", claim, re.I))


def context_mismatch(claim: str, num: Number, cited: list[Citation], knowledge: CorpusKnowledge,
                     pct_tol: float, rel_tol: float, question: str = "",
                     entities: frozenset = frozenset(), known: frozenset = frozenset()) -> str | None:
    """What the cited sources state ``num`` for, when that is another period or another name than the claim's;
    None when some stating place fits the claim (or says nothing to the contrary). A claim that gives its figure
    no period answers for the question's: then a source period that does not even overlap it is another."""
    from copilot.compute import _clause, _mentions, named_entities, names_not_lowered

    claim_periods = _claim_periods(claim, num)
    inherited = not claim_periods and bool(question)
    if inherited:
        claim_periods = [p.code for p in find_periods(question) if not p.code.startswith("*")]
    bare = re.sub(r"\[\d+\]", " ", claim)
    claim_names = named_entities(bare)
    claim_proper = named_entities(bare, proper_only=True, known=known)
    asked_names = named_entities(question, proper_only=True, known=known)
    contexts = [(ctx, c) for c in cited for ctx in _contexts(num, c, pct_tol, rel_tol)]
    if not contexts:
        return None
    labels = [f.label or f.series.replace("_", " ") for c in cited for f in c.facts
              if _found(num, [Number(raw="", value=f.value, kind=_fact_kind(f.unit))], pct_tol, rel_tol)]
    if labels and all(c.facts for _, c in contexts) and all(other_measure(bare, label) for label in labels):
        return labels[0]  # the row's 'gross margin' given as the claim's 'operating margin'
    claim_numbered = numbered_names(bare)
    clause_names = named_entities(re.sub(r"\[\d+\]", " ", _clause(claim, num.start, num.end)), proper_only=True,
                                  known=known)
    reasons = []
    for (periods, about, sentence), c in contexts:
        fits = overlaps if inherited else _same_period
        if not periods and not c.facts and (inherited or num.kind in ("money", "quantity")):
            # the source's sentence gives the figure no period: the document's title may ('... results for the third
            # quarter of 2025'), and a level there is that period's (a change may be told against another: '120
            # basis points over Q3 2024')
            periods = _title_period(c)
            fits = overlaps
        if claim_periods and periods and not any(fits(a, b) for a in claim_periods for b in periods):
            reasons.append(", ".join(format_period(p) for p in periods[:2]))
            continue
        stated = numbered_names(sentence)
        other = [f"{w} {stated[w]}" for w, n in claim_numbered.items() if w in stated and stated[w] != n
                 and not re.search(rf"\b{w}\s+(?:No\.?\s*)?{re.escape(n)}\b", sentence)]
        if other:  # the claim's 'Round 6' figure is the source's 'Round 5' figure
            reasons.append(other[0])
            continue
        if c.facts and about and any(_mentions(e, n, knowledge) for n in claim_proper for e in entities - {about}) \
                and not any(_mentions(about, n, knowledge) or any(_mentions(a, n, knowledge)
                                                                  for a in knowledge.names(about))
                            for n in claim_proper):
            # a table row of another entity, where the claim's name has a row of its own (the total row's figure
            # given to one airport)
            reasons.append(about)
            continue
        # a clause that opens a sentence or follows a colon or semicolon ('...: Volume FY2024/25 was 71,200
        # tonnes') opens with a capital, not with a name
        before = sentence[:max(sentence.find(about), 0)].rstrip()
        opener = not before or before.endswith((";", ":"))
        about_names = names_not_lowered(named_entities(about.lstrip() if opener else about, proper_only=True), claim)
        # 'the Directorate' in the source is the claim's 'Varland Energy Directorate'
        short_form = any(set(a.split()) <= set(n.split()) for a in about_names for n in claim_names)
        if claim_names and about_names and not short_form and not any(_mentions(about, n, knowledge)
                                                                      for n in claim_names):
            # the claim names someone the source states other figures for, and this figure for another name
            if any(_mentions(c.text, n, knowledge) for n in claim_names):
                reasons.append(", ".join(about_names[:2]))
                continue
        title = re.sub(r"[_-]+", " ", c.title)
        whole = " ".join((c.text, title.upper() if title.islower() else title, c.publisher))  # 'emda_rules' file
        # whom the document is about: its publisher, else the names in its title (a headline's capitals are no name)
        subject = c.publisher or next(iter(named_entities(title.title() if title.islower() else title,
                                                          proper_only=True)), "")
        if not c.facts and subject and any(not _named_loosely(whole, n, knowledge)
                                           and not _named_loosely(subject, n, knowledge) for n in clause_names):
            # the figure's own clause gives it to a name that the passage never names, in a document published by
            # another
            reasons.append(subject)
            continue
        # a claim that names no one answers for the question's names: a figure from a passage that never names
        # them, in a document by or about another ('Port Aldane environmental fact sheet'), is not theirs
        if not claim_proper and not c.facts and subject and any(
                not _named_loosely(whole, n, knowledge) for n in asked_names):
            reasons.append(subject)
            continue
        return None
    return reasons[0] if reasons else None


def _named_loosely(text: str, name: str, knowledge: CorpusKnowledge) -> bool:
    """``text`` names ``name`` in some form: an alias or short form, an inflection of a one-word name ('Estravian'
    for 'Estravia'), the initials of a longer one ('US'), or the longer one for its initials."""
    from copilot.compute import _mentions

    if _mentions(text, name, knowledge):  # initials included ('US' for 'United States')
        return True
    if len(name.split()) == 1 and len(name) >= 5:
        return re.search(r"(?<![\w-])" + re.escape(name[:max(4, len(name) - 2)]), text, re.I) is not None
    return False


def _found(num: Number, candidates: list[Number], pct_tol: float, rel_tol: float) -> bool:
    for cand in candidates:
        if num.kind in ("percent", "points", "bp") and cand.kind != num.kind:
            continue
        if num.kind in ("year", "date") and cand.kind not in ("year", "date", "quantity"):
            continue
        if num.kind in ("quantity", "money") and cand.kind in ("percent", "points", "bp", "date", "year"):
            continue  # '30 sites' is not the day of '30 Sep 2025'
        if num.kind == "money" and cand.kind == "money" and num.unit and cand.unit and \
                num.unit.split("/")[0] != cand.unit.split("/")[0]:
            continue  # €450 is not $450
        if num.kind == "money" and cand.kind not in ("money",) and abs(cand.value) < 1e5:
            continue
        if {num.kind, cand.kind} == {"money", "quantity"} and (num.unit if num.kind == "quantity" else cand.unit):
            continue  # 1.26 million tonnes is not €1.26 million
        if num.kind == cand.kind == "quantity" and num.unit and cand.unit and num.unit != cand.unit:
            continue  # 1,200 MW is not 1,200 t
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
                 number_policy: str = "flag", invented_removed: int = 0,
                 knowledge: CorpusKnowledge | None = None, question: str = "") -> tuple[AuditReport, str]:
    """Audit ``text`` against ``citations``; return the report and the text (claims dropped under 'drop').

    A figure counts as traced to a cited source only where that source states it for the claim's period and name;
    a figure stated for another period or name is 'mismatched'."""
    tool_calls = tool_calls or []
    knowledge = knowledge or CorpusKnowledge()
    by_n = {c.n: c for c in citations}
    entities = frozenset(f.entity for c in citations for f in c.facts if f.entity)
    nums_of = {c.n: _source_numbers(c) for c in citations}
    tool_numbers = [Number(raw=str(v), value=v, kind="percent" if (t.unit == "%" and k == "result") else "quantity")
                    for t in tool_calls for k, v in ([("result", t.result)] + list(t.args.items()))]
    # a result written bare ('fell by 7.81') is the result; '7.81 GWh' is not a percent result
    tool_numbers += [Number(raw=str(t.result), value=t.result, kind="quantity", unit="%" if t.unit == "%" else "")
                     for t in tool_calls]
    claims = [c for c in split_claims(text) if not _is_boilerplate(c)]
    # words the sources only write as names ('kelvra' typed, 'Kelvra' in the passages) are names where a claim or
    # question opens with them
    from copilot.compute import written_as_names

    known = frozenset(written_as_names(f"{question} {text}", [t for c in citations if c.kind != "calculation"
                                                              for t in (c.text, c.title, c.publisher) if t]))

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
            context = ""
            if where:
                found_in = "tool" if all(by_n[n].kind == "calculation" for n in where) else "cited"
                if found_in == "cited" and num.kind not in ("year", "date"):
                    other = context_mismatch(claim, num, [by_n[n] for n in where if by_n[n].kind != "calculation"],
                                             knowledge, pct_tolerance, rel_tolerance, question, entities, known)
                    if other is not None:
                        found_in, context = "mismatched", other
            elif _found(num, tool_numbers, pct_tolerance, rel_tolerance):
                found_in = "tool"
            else:
                where = [n for n in by_n if n not in valid and _found(num, nums_of[n], pct_tolerance, rel_tolerance)]
                found_in = "uncited" if where else "nowhere"
                stating = [by_n[n] for n in where if by_n[n].kind != "calculation"]
                if stating and num.kind not in ("year", "date") and len(stating) == len(where):
                    # a figure from a source the sentence does not cite, which states it for another name or period
                    other = context_mismatch(claim, num, stating, knowledge, pct_tolerance, rel_tolerance,
                                             question, entities, known)
                    if other is not None:
                        found_in, context = "mismatched", other
            traces.append(NumberTrace(raw=num.raw, value=num.value, kind=num.kind, found_in=found_in, where=where,
                                      context=context))
        support = {}
        for n in valid:
            if by_n[n].kind == "calculation" and any(n in t.where for t in traces):
                support[n] = 1.0  # a calculation supports the claim that states its figures
                continue
            lex = _lexical_support(claim, by_n[n].text)
            support[n] = round(0.5 * lex + 0.5 * sims[(i, n)] if (i, n) in sims else lex, 3)
        best = max(support.values(), default=0.0)
        untraced = [t for t in traces if t.found_in in ("uncited", "nowhere") and t.kind not in ("date", "year")]

        if not cited:
            verdict, reason = "uncited", "the sentence cites no source"
        elif not valid:
            verdict, reason = "unsupported", f"cites sources that do not exist: {invalid}"
        elif mismatched := [t for t in traces if t.found_in == "mismatched"]:
            verdict, reason = "unsupported", "; ".join(f"figure {t.raw} is stated for {t.context}, not as the "
                                                       f"sentence says" for t in mismatched)
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


_CLAUSE_BREAK = re.compile(r",\s+|;\s+|\s+[\u2013\u2014-]\s+")


def trim_invented(text: str, report: AuditReport) -> tuple[str, int]:
    """Cut from each sentence the clauses whose figures are in no source ('..., an increase of 4.62%') where the
    sentence keeps a figure its cited source states; the sentence stands corrected. Returns the text and the
    number of clauses cut. A sentence whose every figure is invented is left for the refusal rules."""
    cut = 0
    for claim in report.claims:
        invented = [t.raw for t in claim.numbers if t.found_in == "nowhere" and t.kind not in ("year", "date")]
        kept_figures = [t.raw for t in claim.numbers if t.found_in in ("cited", "tool")
                        and t.kind not in ("year", "date")]
        if not invented or not kept_figures:
            continue
        marks = "".join(f"[{n}]" for n in claim.citations)
        bare = re.sub(r"\s*\[\d+\]", "", claim.text).strip().rstrip(".")
        parts = _CLAUSE_BREAK.split(bare)
        keep = [p for p in parts if not any(raw in p for raw in invented)]
        if not keep or len(keep) == len(parts) or not any(raw in p for p in keep for raw in kept_figures):
            continue
        text = text.replace(claim.text, ", ".join(keep) + (f" {marks}." if marks else "."), 1)
        cut += len(parts) - len(keep)
    return text, cut


_BOUNDARY = re.compile(r"\b(?:after|since|before|until|till|following|prior|ahead|earlier|later|previous|next|than|"
                       r"versus|vs|compared?|from|between|through|during the|trend|history|over the)\b", re.I)


def off_period(report: AuditReport, question: str, default_year: str | None = None, whole: bool = False) -> str | None:
    """When the question asks about one period (or several, each named), no sentence of the answer speaks of it,
    and every sentence that states a figure gives it for some other period, the answer is about another period:
    what it covers, else None. Questions that use a period as a boundary ('since 2024', 'compared with Q3') are
    not judged. With ``whole`` (a question for a figure), a part of the asked period does not speak of it: H1 2024
    revenue is not the revenue for 2024 (a day still does: a stock at 30 June 2025 is a Q2 2025 figure)."""
    asked = [p.code for p in find_periods(question, default_year=default_year)]
    span = find_range(question, default_year)
    if span:  # 'January to September 2025' is one stretch
        asked = [span] + [q for q in asked if not within(q, span)]
    if not asked or any(find_periods(question[m.end():m.end() + 25]) for m in _BOUNDARY.finditer(question)):
        return None  # a boundary is a word before a period ('since 2024'), not 'passed through the airports'

    def speaks_of(p: str, q: str) -> bool:
        if whole and within(q, p) and not within(p, q):
            return False  # the year's figure is not December's
        return within(q, p) or (overlaps(p, q) and (not whole or _DAY.fullmatch(p) is not None))

    stated: list[str] = []
    for claim in report.claims:
        bare = re.sub(r"\[\d+\]", " ", claim.text)
        periods = [p.code for p in find_periods(bare, default_year=default_year)]
        periods += [x for x in [find_range(bare, default_year)] if x]  # 'the first nine months of the year'
        if any(speaks_of(p, q) for p in periods for q in asked):
            return None  # some sentence speaks of the asked period ('tariffs from 2026')
        if not any(t.kind not in ("year", "date") for t in claim.numbers):
            continue
        if not periods:
            return None
        stated.extend(p for p in periods if p not in stated)
    if not stated:
        return None
    return (f"the sources give figures for {', '.join(format_period(p) for p in stated[:2])}, not for "
            f"{', '.join(format_period(q) for q in asked[:2])}")
