"""Choose and run a calculation for a question: the model proposes a tool and inputs, code checks them.

The check knows the corpus tables: each input must be a figure that a numbered source states, the tool must fit
what the question asks, and inputs must be in a sensible order (the earlier period is ``old``). Where the model's
proposal fails a check, a plan built from the typed table rows among the sources is used instead, if one exists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from copilot.errors import LLMUnavailable, ToolInputError
from copilot.numbers import MONTHS, extract_numbers, format_number, sentences, states_value, unit_after
from copilot.tools import TOOLS, run_tool, tool_call_schema
from copilot.types import Citation, FactRow, ToolCall

_MONTHS = [m.lower() for m in MONTHS]

# Question patterns -> the calculation they ask for, most specific first.
INTENT_PATTERNS: list[tuple[str, str]] = [
    ("implied_prior", r"\b(given|implied|implies|imply|back out)\b.*\d+(?:\.\d+)?\s?(?:%|percent)"
                      r"|\d+(?:\.\d+)?\s?(?:%|percent)\s+(?:rise|increase|jump|gain|growth|decline|drop|fall)"
                      r".*\b(before|prior|previous|earlier|in (?:" + "|".join(_MONTHS) + r"))\b"),
    ("part_of", r"\b(value|worth|dollars?)\b.*\b(went to|go(?:es)? to|flow(?:ed|ing)? to|destined for|"
                r"share (?:of|for|to)|attributable|exports? to|shipments? to|exported to|shipped to)\b"),
    ("share", r"\b(what|which) (share|percentage|proportion|fraction|portion|percent)\b|\bshare of\b|"
              r"\bpercent(?:age)? of (?:the |all |china's )?(?:total|overall|exports)\b"),
    ("pct_change", r"percent(?:age)? change|% change|by what percent|growth rate|"
                   r"percent(?:age)? (?:increase|decrease|decline|rise|drop|fall)|how much .* in percent"),
    ("ratio", r"\bhow many times\b|\bratio\b|\btimes (?:larger|bigger|more|as)\b"),
    ("difference", r"\bhow (?:many|much) (?:more|fewer|less|higher|lower|bigger|smaller)\b|\bdifference\b|"
                   r"\bgap\b|\bby how (?:many|much) did\b|\bexceed(?:ed)?\b.*\bby how\b"),
    ("add", r"\bcombined\b|\btogether\b|\bsum of\b|\badded up\b"),
]

_ENTITY_SYNONYMS = {
    "United States": [r"\bUS\b", r"\bU\.S\.?", r"\bUSA\b", r"united states", r"\bamerica"],
    "all destinations": [r"\btotal\b", r"\boverall\b", r"all destinations", r"\bworldwide\b", r"\bglobal(?:ly)?\b"],
}


def detect_intent(question: str) -> str | None:
    for name, pattern in INTENT_PATTERNS:
        if re.search(pattern, question, re.I):
            return name
    return None


def _entity_position(entity: str, question: str) -> int | None:
    patterns = _ENTITY_SYNONYMS.get(entity) or [re.escape(re.sub(r"\s*\(.*?\)", "", entity))]
    ticker = re.search(r"\(([A-Z]{1,6})\)", entity)
    if ticker:
        patterns = patterns + [rf"\b{ticker.group(1)}\b"]
    positions = []
    for p in patterns:
        flags = 0 if p.startswith(r"\bUS") or p.startswith(r"\bU\.") or ticker and ticker.group(1) in p else re.I
        m = re.search(p, question, flags)
        if m:
            positions.append(m.start())
    return min(positions) if positions else None


def question_periods(question: str) -> list[tuple[int, str]]:
    """Periods named in the question with their positions: 'October 2025' -> '2025-10', '2024' -> '2024'."""
    out = []
    years = [(m.start(), m.group(0)) for m in re.finditer(r"\b(19|20)\d{2}\b", question)]
    for m in re.finditer(r"\b(" + "|".join(_MONTHS) + r")\b(?:\s+(\d{4}))?", question, re.I):
        year = m.group(2) or (years[0][1] if years else "")
        out.append((m.start(), f"{year}-{_MONTHS.index(m.group(1).lower()) + 1:02d}" if year else
                    f"*-{_MONTHS.index(m.group(1).lower()) + 1:02d}"))
    month_years = {p[1][:4] for p in out}
    out += [(pos, y) for pos, y in years if y not in month_years]
    return sorted(out)


def _period_matches(row_period: str, wanted: str) -> bool:
    if wanted.startswith("*-"):
        return row_period[4:7] == wanted[1:]
    return row_period == wanted or row_period.startswith(wanted + "-") or row_period.startswith(wanted + "..")


@dataclass
class _Mention:
    row: FactRow
    n: int
    position: int


def _mentioned_rows(question: str, sources: list[Citation], use_periods: bool = True) -> list[_Mention]:
    periods = question_periods(question) if use_periods else []
    out = []
    for c in sources:
        if c.row is None:
            continue
        pos = _entity_position(c.row.entity, question)
        if pos is None:
            continue
        if periods and not any(_period_matches(c.row.period, p) for _, p in periods):
            continue
        period_pos = min((pp for pp, p in periods if _period_matches(c.row.period, p)), default=pos)
        out.append(_Mention(c.row, c.n, pos * 1000 + period_pos))
    return out


def rules_plan(intent: str, question: str, sources: list[Citation]) -> tuple[dict[str, float], list[int]] | None:
    """A calculation plan from typed table rows whose entity (and period, if named) the question mentions."""
    # an implied prior value is for a period no row states; match its rows by entity alone
    rows = _mentioned_rows(question, sources, use_periods=intent != "implied_prior")
    levels = [m for m in rows if m.row.unit != "%"]
    pcts = [m for m in rows if m.row.unit == "%"]
    q_pct = [n for n in extract_numbers(question) if n.kind == "percent"]

    def pair(items):
        # two rows of one series, each a different (entity, period)
        by_series: dict[str, list[_Mention]] = {}
        for m in sorted(items, key=lambda m: m.position):
            key = (m.row.entity, m.row.period)
            group = by_series.setdefault(m.row.series, [])
            if key not in [(g.row.entity, g.row.period) for g in group]:
                group.append(m)
        for group in by_series.values():
            if len(group) >= 2:
                return group[0], group[1]
        # two different measures in the same unit, named by the question ('India's programme vs US funding')
        ordered = sorted(items, key=lambda m: m.position)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if a.row.unit == b.row.unit and a.row.series != b.row.series and a.row.entity != b.row.entity:
                    return a, b
        return None

    if intent in ("difference", "ratio", "add"):
        # a difference of percentages only when the question speaks of percent or points
        asks_pct = re.search(r"%|percent|points?\b|\bshares?\b", question, re.I)
        wanted_unit = "t" if re.search(r"\btons?\b|\btonnes?\b", question, re.I) else None
        got = pair(pcts) if asks_pct else pair([m for m in levels if wanted_unit in (None, m.row.unit)])
        if got:
            a, b = got
            return {"a": a.row.value, "b": b.row.value}, [a.n, b.n]
    elif intent == "pct_change":
        for series in {m.row.series for m in levels}:
            group = [m for m in levels if m.row.series == series]
            entities = {m.row.entity for m in group}
            for entity in entities:
                same = sorted({m.row.period: m for m in group if m.row.entity == entity}.values(),
                              key=lambda m: m.row.period)
                if len(same) >= 2:
                    return {"old": same[0].row.value, "new": same[-1].row.value}, [same[0].n, same[-1].n]
    elif intent == "share":
        for m in levels:
            if m.row.entity == "all destinations":
                continue
            total = next((t for c in sources if (t := c.row) and t.series == m.row.series and
                          t.period == m.row.period and t.entity == "all destinations"), None)
            if total is not None:
                tn = next(c.n for c in sources if c.row is total)
                return {"part": m.row.value, "total": total.value}, [m.n, tn]
    elif intent == "implied_prior":
        for p in pcts:
            if q_pct and not any(abs(abs(q.value) - abs(p.row.value)) < 1e-9 for q in q_pct):
                continue
            level = next((c for c in sources if c.row and c.row.unit != "%" and c.row.entity == p.row.entity
                          and c.row.period == p.row.period), None)
            if level is not None:
                return {"current": level.row.value, "pct": p.row.value}, [level.n, p.n]
    elif intent == "part_of":
        for p in pcts:
            total = next((c for c in sources if c.row and c.row.unit == "USD" and c.row.period == p.row.period), None)
            if total is not None:
                return {"total": total.row.value, "pct": p.row.value}, [total.n, p.n]
    return None


_NOT_NAMES = {m.lower() for m in MONTHS} | {"what", "which", "who", "how", "given", "by", "in", "the", "did", "was",
                                            "is", "are", "were", "roughly", "about", "approximately", "compare"}


def named_entities(question: str) -> list[str]:
    """Capitalised names in the question ('Japan', 'MP Materials', 'US'), months and question words left out."""
    names = []
    for m in re.finditer(r"\b[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*)*", question):
        words = [w for w in re.sub(r"'s\b", "", m.group(0)).split() if w.lower().strip(".") not in _NOT_NAMES]
        if words:
            names.append(" ".join(words))
    return names


def _mentions(text: str, name: str) -> bool:
    for entity, patterns in _ENTITY_SYNONYMS.items():
        if entity == "United States" and any(re.fullmatch(p, name, re.I if "united" in p or "america" in p else 0)
                                             for p in patterns):
            return any(re.search(p, text, 0 if p.startswith(r"\bU") else re.I) for p in patterns)
    return re.search(rf"\b{re.escape(name)}", text, re.I) is not None


def _contexts(value: float, sources: list[Citation]) -> list[str]:
    """Where ``value`` is stated: the table row, else the clause of the sentence that states it (the whole sentence
    when the clause names nobody: 'down from 656 tons in October')."""
    out = []
    for c in sources:
        if c.kind == "calculation":
            continue
        if c.row is not None and c.row.states(value):
            out.append(f"{c.row.entity} {c.row.label}")
            continue
        for sentence in sentences(c.text):
            if not states_value(sentence, value):
                continue
            clauses = [cl for cl in re.split(r"[,;:]|\b(?:while|whereas|but)\b", sentence) if states_value(cl, value)]
            out += [cl if named_entities(cl) else sentence for cl in clauses] or [sentence]
    return out


def _check_subject(name: str, args: dict[str, float], question: str, sources: list[Citation]) -> None:
    """The figure a share or an implied value is about must be stated for the most specific name in the question."""
    subject = {"share": "part", "implied_prior": "current"}.get(name)
    names = named_entities(question)
    if subject is None or not names:
        return
    every_sentence = [s for c in sources for s in sentences(c.text)]
    rarest = min(names, key=lambda n: sum(_mentions(s, n) for s in every_sentence))
    if not any(_mentions(ctx, rarest) for ctx in _contexts(args[subject], sources)):
        raise ToolInputError(f"{args[subject]:g} is not stated for {rarest}")


def _locate(value: float, sources: list[Citation]) -> list[int]:
    """The [n] whose row or text states ``value`` (percent signs compared loosely)."""
    return [c.n for c in sources if c.kind != "calculation"
            and ((c.row is not None and c.row.states(value)) or states_value(c.text, value))]


def validate(name: str, args: dict[str, float], intent: str | None, question: str,
             sources: list[Citation]) -> list[int]:
    """Raise ToolInputError unless the call is sound; return the [n] each input came from."""
    if intent is not None and name != intent:
        raise ToolInputError(f"{name} does not answer a {intent} question")
    tool = TOOLS[name]
    cites = []
    q_numbers = {abs(n.value) for n in extract_numbers(question) if n.kind == "percent"}
    for arg in tool.args:
        where = _locate(args[arg], sources)
        if not where:
            if arg == "pct" and abs(args[arg]) in q_numbers:
                continue  # a premise the question states ('given the 35% rise')
            raise ToolInputError(f"input {arg}={args[arg]:g} is not stated in any numbered source")
        cites.append(where[0])
    if name == "share" and abs(args["part"]) > abs(args["total"]):
        raise ToolInputError("part is larger than total")
    _check_subject(name, args, question, sources)
    if name in ("implied_prior", "part_of"):
        level = args["current" if name == "implied_prior" else "total"]
        if any(c.row and c.row.unit == "%" and c.row.value == level for c in sources) and not any(
                c.row and c.row.unit != "%" and c.row.value == level for c in sources):
            raise ToolInputError("the base value is a percentage, not a level")
    run_tool(name, args)  # raises on undefined arithmetic
    return sorted(set(cites))


@dataclass
class Proposal:
    name: str
    args: dict[str, float]


def propose_with_model(llm, question: str, sources: list[Citation], max_tokens: int = 80) -> Proposal | None:
    from prompts import render

    facts = numeric_facts(sources)
    if not facts:
        return None
    messages = [{"role": "system", "content": render("TOOL_SYSTEM")},
                {"role": "user", "content": render("TOOL_USER", facts=facts, question=question)}]
    try:
        reply = llm.chat(messages, max_tokens=max_tokens, json_schema=tool_call_schema())
        data = json.loads(reply.text)
    except LLMUnavailable:
        raise
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("tool") not in TOOLS:
        return None
    tool = TOOLS[data["tool"]]
    try:
        args = {a: float(data[a]) for a in tool.args}
    except (KeyError, TypeError, ValueError):
        return None
    return Proposal(tool.name, args)


def numeric_facts(sources: list[Citation], limit: int = 14) -> str:
    """The numbered figures the model may choose from: table rows first, then sentences with numbers."""
    lines = [f"[{c.n}] {c.text.split(' Source:')[0]}" for c in sources if c.row is not None]
    for c in sources:
        if c.row is None and c.kind == "text":
            for sentence in re.split(r"(?<=[.!?])\s+", c.text):
                if any(n.kind in ("quantity", "percent", "money") for n in extract_numbers(sentence)):
                    lines.append(f"[{c.n}] {sentence.strip()[:220]}")
    return "\n".join(lines[:limit])


def _unit_of(args: dict[str, float], cites: list[int], sources: list[Citation], tool) -> str:
    if tool.result_unit == "%":
        return "%"
    if tool.result_unit == "ratio":
        return "x"
    first = args[tool.args[0]]
    for n in cites:
        c = next((s for s in sources if s.n == n), None)
        if c is None:
            continue
        if c.row is not None and c.row.unit != "%":
            return c.row.unit
        for num in extract_numbers(c.text):
            if num.value == first and (unit := unit_after(c.text, num)):
                return unit
    return ""


_FALL = re.compile(r"\b(declin\w*|drop\w*|fall|fell|fallen|decreas\w*|down|lower|shr[iu]nk\w*|slump\w*|plung\w*)\b", re.I)
_RISE = re.compile(r"\b(ris\w*|rose|increas\w*|jump\w*|grow\w*|grew|gain\w*|up|higher|surg\w*|climb\w*)\b", re.I)


def signed_change(question: str, pct: float) -> float:
    """The sign of a percent change as the question words it: 'the 11% decline' is -11, 'the 35% rise' is +35."""
    fall, rise = bool(_FALL.search(question)), bool(_RISE.search(question))
    if fall and not rise:
        return -abs(pct)
    if rise and not fall:
        return abs(pct)
    return pct


def make_call(name: str, args: dict[str, float], cites: list[int], sources: list[Citation], chosen_by: str,
              question: str = "") -> ToolCall:
    tool = TOOLS[name]
    if name == "implied_prior" and question:
        args = dict(args, pct=signed_change(question, args["pct"]))
    result = run_tool(name, args)
    unit = _unit_of(args, cites, sources, tool)
    fmt = {a: f"{v:,.10g}" for a, v in args.items()} | {"result": f"{result:,.4g}" if abs(result) < 1000
                                                        else f"{result:,.2f}".rstrip("0").rstrip(".")}
    return ToolCall(name=name, args=args, result=result, formula=tool.formula.format(**fmt), unit=unit, cites=cites,
                    chosen_by=chosen_by)


def compute(question: str, sources: list[Citation], llm) -> list[ToolCall]:
    """Zero or one calculation for the question, checked against the sources before it is run."""
    intent = detect_intent(question)
    if intent is None:
        return []
    plan = rules_plan(intent, question, sources)
    proposal = propose_with_model(llm, question, sources)
    if proposal is not None:
        try:
            cites = validate(proposal.name, proposal.args, intent, question, sources)
            same_inputs = plan is not None and sorted(map(abs, plan[0].values())) == sorted(
                map(abs, proposal.args.values()))
            if same_inputs:
                return [make_call(intent, plan[0], plan[1], sources, "model", question)]  # the rows fix the order
            if plan is None:
                return [make_call(proposal.name, proposal.args, cites, sources, "model", question)]
        except ToolInputError:
            pass
    if plan is not None:
        return [make_call(intent, plan[0], plan[1], sources, "rules", question)]
    return []


def calculation_citation(call: ToolCall, n: int) -> Citation:
    inputs = " and ".join(f"[{i}]" for i in call.cites) or "the question"
    result = format_number(call.result, call.unit if call.unit not in ("x",) else "")
    text = f"Calculation ({call.name}): {call.formula}. Result: {result}{'x' if call.unit == 'x' else ''}. Inputs from {inputs}."
    return Citation(n=n, doc_id="calculation", kind="calculation", title=f"Calculation: {call.name}",
                    publisher="computed by the copilot", text=text)
