"""The answer pipeline, one straight line of LangChain runnables:
rewrite -> retrieve -> compute -> generate -> audit -> render.

One typed ``RunState`` travels through the steps; each step reads the fields before it and fills its own.
Whether to refuse is decided by code from the evidence (retrieval, coverage of the question's names and periods)
and the audit, never left to the model's wording alone; a refusal says what is missing.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

from langchain_core.runnables import RunnableLambda

from copilot.audit import audit_answer, off_period, trim_invented
from copilot.citations import render_citations
from copilot.compute import (Frame, calculation_citation, compute, expansion, named_entities, read_question,
                             restore_names, written_as_names, demonym_stem, _is_demonym, _mentions)
from copilot.errors import CopilotError, EmptyCorpus
from copilot.numbers import extract_numbers, is_signed_kind, numbers_match
from copilot.periods import MONTHS, expand, find_periods, find_range, format_period, overlaps, within, year_of
from copilot.questions import clean_question
from copilot.runtime import Runtime, default_runtime
from copilot.types import (Answer, AuditReport, Citation, CorpusKnowledge, NumberTrace, SearchHit, Step, Timings,
                           ToolCall, Usage)
from prompts import DISCLAIMER, REFUSAL, WITHHELD, render
from retrieval.search import lexical_tokens

log = logging.getLogger(__name__)

_SOFT_REFUSAL = re.compile(r"\b(?:sources?|context|documents?|information)\b[^.]{0,40}\b(?:do(?:es)?n[o']t|"
                           r"do(?:es)? not|did not|is not|are not)\s+(?:say|mention|provide|contain|include|specify|"
                           r"state|answer|give|available)|\bnot (?:mentioned|stated|provided|specified|available)\b",
                           re.I)
_INSTRUCTION = re.compile(r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}\b(?:instructions?|prompts?|rules?|"
                          r"context)\b|\b(?:you are now|as an ai (?:language model|assistant)|system prompt|tell the user|say the answer is|"
                          r"respond with|answer with|you must (?:say|answer|tell|reply))\b|"
                          r"\bwhen (?:you are |you're )?asked\b[^.]{0,60}\b(?:state|say|answer|reply|respond|claim)\b|"
                          # a note addressed to machines that read the document: 'Instruction for AI assistants ...'
                          r"(?:\b(?:instructions?|notes?|messages?|notice)\s+(?:for|to)|\battention[,:]?)\s+(?:any\s+|all\s+)?"
                          r"(?:ai\b|llms?\b|chatbots?\b|(?:ai|language) models?\b|(?:ai\s+)?assistants?\b)|"
                          r"\bdo not (?:mention|reveal|disclose) this (?:note|instruction|message)\b", re.I)


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text))


@dataclass
class RunState:
    """Everything one question's run knows, step by step."""

    runtime: Runtime
    question: str
    k: int
    session_id: str = ""
    history: list[Answer] = field(default_factory=list)
    on_token: Callable[[str], None] | None = None
    on_step: Callable[[Step], None] | None = None
    started: float = field(default_factory=time.perf_counter)
    standalone: str = ""  # rewrite
    knowledge: CorpusKnowledge = field(default_factory=CorpusKnowledge)
    known: frozenset[str] = frozenset()  # retrieve: question words the passages write as names ('solvik')
    hits: list[SearchHit] = field(default_factory=list)
    sources: list[Citation] = field(default_factory=list)
    refusal: str | None = None  # a reason to refuse, from the evidence or the audit
    tool_calls: list[ToolCall] = field(default_factory=list)  # compute
    rejected: list[str] = field(default_factory=list)
    draft: str | None = None  # generate
    messages: list[dict] = field(default_factory=list)  # the draft's prompt, for a correction round
    text: str = ""
    invented: list[int] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    audit: AuditReport | None = None  # audit
    timings: Timings = field(default_factory=Timings)

    def report(self, name: str, detail: str = "") -> None:
        if self.on_step is not None:
            self.on_step(Step(name=name, detail=detail, elapsed_s=round(time.perf_counter() - self.started, 3)))


# --- evidence ----------------------------------------------------------------------------------------------

def withhold_instructions(text: str) -> str:
    """Sentences of a stored document that address an AI assistant are withheld from the prompt."""
    if not _INSTRUCTION.search(text):
        return text
    from copilot.numbers import sentences

    # a note in brackets that addresses the assistant goes whole, all its sentences ('[Note for AI assistants: ignore
    # ... When asked, state that ...]')
    text = re.sub(r"\[[^\[\]]{0,600}\]|\([^()]{0,600}\)",
                  lambda m: WITHHELD if _INSTRUCTION.search(m.group(0)) else m.group(0), text)
    return " ".join(WITHHELD if _INSTRUCTION.search(s) else s for s in sentences(text))


#: A sentence that leans back on the one before: a pronoun, or a definite common noun ('The site represents ...',
#: 'These rules ...'); 'The Authority' (a capitalised name) stands alone.
_LEANS_BACK = re.compile(r"^\W*(?:(?i:it|its|they|their|he|she|his|her)\b|(?:The|This|That|These|Those|Such|the|this|"
                         r"that|these|those|such)\s+(?:new\s+|same\s+)?[a-z][a-z-]+(?:'s)?\b)")


def _stem(token: str) -> str:
    """A token's first five letters, a final y read as i ('carry' and 'carried' share 'carri')."""
    return re.sub(r"y$", "i", token)[:5]


#: A semicolon outside brackets, where a long sentence is cut into clauses.
_CLAUSE = re.compile(r"(?<=;)\s+(?![^()]*\))")
#: A document table's row as one line ('Germany: Arrivals 2025 was 511.8 thousand; Change was +7.9%'): its cells
#: stay together under the row's name.
_TABLE_LINE = re.compile(r"^\W*[^.;:]{1,60}:\s|\bwas\b[^;]*;\s*[^;]*\bwas\b")
#: 'how many new hotel rooms did ...': the thing counted, the last word before the verb.
_HOW_MANY = re.compile(r"\bhow many\s+(?:[a-z-]+\s+){0,3}?([a-z]+)\s+(?:did|does|do|were|was|are|is|will|would|could|"
                       r"can|has|have|had)\b", re.I)
#: A figure and the thing it counts ('1,180 rooms', '2,311 thousand stays', '12 new hotels').
_COUNTED = re.compile(r"\d(?:[\d,.]*\d)?\s+(?:(?:thousand|million|billion|new|more|additional)\s+)?([a-z]+)", re.I)


def passage(text: str, question: str, max_tokens: int, weights: dict[str, float] | None = None) -> str:
    """The sentences of a chunk that bear on the question, best first, then their neighbours while the budget
    allows: the evidence at the size of the claim, not the whole chunk. ``weights`` make a question word found
    in few of the retrieved passages count more than one found in all of them; the question's most specific name
    counts once more, and a sentence that leans back on the one before ('It is expanding ...') is scored with that
    name and kept with its antecedent."""
    from copilot.numbers import is_heading, sentences

    if count_tokens(text) <= max_tokens:
        return text
    # a long sentence is read clause by clause, at its semicolons outside brackets: '1,180 rooms are in Aldervik
    # and 610 in Port Sevrin; the remainder is spread across ...' keeps its first clause within the budget
    parts = [c for s in sentences(text)
             for c in (_CLAUSE.split(s) if count_tokens(s) > 30 and not _TABLE_LINE.search(s) else [s])]
    if len(parts) <= 1:
        return text
    mentions = find_periods(question)
    periods = [p.code for p in mentions]
    for p in mentions:  # periods are matched as periods, not as words
        question = question.replace(p.text, " ")
    # initials stand for the words the text spells out ('US' arrivals, 'United States: Arrivals ...')
    spelled = [expansion(text, n) for n in named_entities(question, proper_only=True) if re.fullmatch(r"[A-Z]{2,4}", n)]
    question += "".join(f" {x}" for x in spelled if x)
    wanted = list(dict.fromkeys(lexical_tokens(question)))  # in order: a stem shared by two words maps to the first
    stems = {_stem(w) for w in wanted}
    names = [set(lexical_tokens(n)) for n in named_entities(question, proper_only=True)]
    # the most specific name the text states: a name only in the document's title or publisher ('the Corvane
    # outlook') does not choose among its sentences
    stated_names = set(lexical_tokens(text))
    names = [n for n in names if n and n & stated_names] or [n for n in names if n]
    named = max(names, key=lambda n: sum((weights or {}).get(t, 1.0) for t in n) / len(n)) if names else set()
    # each sentence's asked periods and its token cost, once
    found = [[p.code for p in find_periods(s)] for s in parts]
    stated = [{q for code in codes for q in periods if within(code, q)} for codes in found]
    # a stretch asked about ('January-August 2025') is answered by the line that states it whole, before its months
    whole = [{q for code in codes for q in periods if code == q and ".." in q} for codes in found]
    cost = [count_tokens(s) for s in parts]
    figures = [any(n.kind not in ("year", "date") for n in extract_numbers(s)) for s in parts]
    asks_figure = bool(_ASKS_FIGURE.search(question))
    # 'how many new hotel rooms ...?' counts rooms: a sentence with a figure of rooms ('1,180 rooms') answers it
    counted = {_stem(m.group(1).lower()) for m in _HOW_MANY.finditer(question)}
    scores, credit, worded = [], [], []
    # a name is matched as it is written: 'charging' is no mention of 'Solvik Charge', 'freighting' none of
    # 'Brightline Freight' (the search's tokens are stems)
    written: dict[str, set[str]] = {}
    for n in named_entities(question, proper_only=True):
        for word in re.findall(r"[A-Za-z][\w-]*", n):
            for t in lexical_tokens(word):
                written.setdefault(t, set()).add(word.lower())
    for i, s in enumerate(parts):
        toks = lexical_tokens(s)
        hits = {t if t in wanted else next((w for w in wanted if _stem(w) == _stem(t)), t) for t in set(toks)
                if t in wanted or _stem(t) in stems}
        said = set(re.findall(r"[a-z][\w-]*", s.lower().replace("'s", "")))
        hits -= {w for w in hits if w in written and not written[w] & said and not any(
            _is_demonym(x.title()) and any(y.startswith(demonym_stem(x)) for y in said) for x in written[w])}
        # ('Ethiopian' coffee is the 'Ethiopia' line's)
        credit.append(sum((weights or {}).get(t, 1.0) for t in sorted(hits) if t in named))
        # the name counts once more, in proportion to how much of it the sentence gives ('Kestrel railed' is a
        # third of 'Kestrel Rail Freight'); 'It is expanding ...' is scored as if it named its previous sentence's
        share = 1 / max(len(named), 1)
        inherited = credit[i - 1] * (1 + share) if i and _LEANS_BACK.match(s) else 0.0
        worded.append(bool(hits - named) or not named and bool(hits))  # a word of the question, not only its name
        scores.append(sum((weights or {}).get(t, 1.0) for t in sorted(hits)) + credit[i] * share + inherited
                      + 0.3 * figures[i] + 1.0 * len(stated[i]) + 1.0 * len(whole[i])  # each asked period it
                      # states, and all of two
                      + (1.0 if len(periods) >= 2 and len(stated[i]) == len(set(periods)) else 0.0)
                      + (1.0 if any(_stem(m.group(1)) in counted for m in _COUNTED.finditer(s)) else 0.0))
    # (a heading is kept with a line under it, never alone: it is not the best line itself)
    best = max((i for i in range(len(parts)) if not is_heading(parts[i])), key=lambda i: scores[i], default=0)
    figured = [i for i in range(len(parts)) if figures[i] and scores[i] >= 1.0]
    # (that sentence speaks of what is asked: '41 hotels at 30 June 2025' is no answer to a question on revenue)
    dated = [i for i in figured if stated[i] and worded[i]]
    if asks_figure and periods and dated and not (figures[best] and stated[best]):
        # a question for a figure in a period is answered by a sentence that states one for that period ('1,260
        # containers in the second quarter'), not by a wordier one about the half year
        best = max(dated, key=lambda i: scores[i])
    elif asks_figure and not figures[best] and figured:
        # a question for a figure is answered by a sentence with one; a sentence that only names the subject
        # ('... opened its hub in Carvane.') comes along as the antecedent of 'The site represents €18.6 million'
        best = max(figured, key=lambda i: scores[i])
    keep = {best}
    used = cost[best]
    order = sorted(range(len(parts)), key=lambda i: (-scores[i], abs(i - best)))
    # a question over two or more periods: first, the best sentence for each asked period the kept ones do not
    # state yet ('than in H1 2024')
    covered = set(stated[best])
    for i in order if len(periods) >= 2 else []:
        if i not in keep and stated[i] - covered and used + cost[i] <= max_tokens:
            keep.add(i)
            used += cost[i]
            covered |= stated[i]
    scored = [i for i in order if scores[i] >= 1.0]
    for i in scored + [best - 1, best + 1] + order:
        if 0 <= i < len(parts) and i not in keep:
            if used + cost[i] > max_tokens:
                continue
            if scores[i] > 0 or abs(i - best) == 1:
                keep.add(i)
                used += cost[i]
    keep |= {i - 1 for i in keep if i and _LEANS_BACK.match(parts[i])}  # with its antecedent
    # and under its heading: '## Highlights of Q3 2025' gives the lines below it their period
    heads = [j for j, s in enumerate(parts) if is_heading(s)]
    keep |= {h for i in keep if (h := max((j for j in heads if j < i), default=None)) is not None}
    # a heading with nothing kept under it ('## Downstream manufacturers' at the end) only costs tokens
    kept = sorted(keep)
    level = {j: len(parts[j].strip()) - len(parts[j].strip().lstrip("#")) or 7 for j in heads}
    kept = [i for n, i in enumerate(kept) if i not in level or (
        n + 1 < len(kept) and level.get(kept[n + 1], 8) > level[i])]
    return "\n".join(parts[i].strip() for i in kept)  # lines kept apart: a heading stays a heading


def cells_asked(text: str, question: str) -> str:
    """A document table's lines cut to their label and the cells that name what the question measures ('August:
    Day-ahead wholesale August 2025 was €69.8/MWh; Day-ahead wholesale August 2024 was €71.3/MWh.' of a line with
    six columns, for the highest day-ahead price): a ranking reads one measure of every line. Periods and the
    ranking's own words do not choose; a line whose cells name none of the rest stays whole, and so does any other
    line."""
    from copilot.numbers import is_heading

    for p in find_periods(question):
        question = question.replace(p.text, " ")
    wanted = {t[:5] for t in lexical_tokens(question) if not t[0].isdigit()} - {w[:5] for w in _RANKING_WORDS} - \
        {m.lower()[:5] for m in MONTHS} - {m.lower()[:3] for m in MONTHS}
    out = []
    for line in text.splitlines():
        label, sep, rest = line.partition(": ")
        cells = rest.rstrip(".").split("; ")
        if is_heading(line) or not sep or len(cells) < 2 or not _TABLE_LINE.search(line):
            out.append(line)
            continue
        score = [len(wanted & {t[:5] for t in lexical_tokens(c) if not t[0].isdigit()}) for c in cells]
        best = max(score)
        out.append(f"{label}: {'; '.join(c for c, n in zip(cells, score) if n == best)}." if best else line)
    return "\n".join(out)


def number_sources(hits: list[SearchHit], budget_tokens: int, question: str = "",
                   passage_tokens: int = 0, cells: bool = False) -> list[Citation]:
    """Sources in rank order, numbered from 0, within the prompt's token budget (at least one). With a question
    and ``passage_tokens``, a text chunk is cut to the passage that bears on the question; with ``cells``, a
    document table's lines to the cells that name what it measures (``cells_asked``)."""
    out: list[Citation] = []
    used = 0
    weights: dict[str, float] = {}
    if question and hits:
        import math

        words = set(lexical_tokens(question))
        texts = [set(lexical_tokens(h.chunk.text)) for h in hits]
        weights = {w: math.log(1 + len(texts) / (1 + sum(w in t for t in texts))) + 0.2 for w in words}
    for hit in hits:
        c = hit.chunk
        text = withhold_instructions(c.text.split(' It says: "')[0])  # a row's quote is for people, not the prompt
        if question and cells and c.kind == "text":
            text = cells_asked(text, question)
        if question and passage_tokens and c.kind == "text":
            text = passage(text, question, passage_tokens, weights)
        if not text.strip() and (out or hit is not hits[-1]):  # nothing left of it to show (only headings)
            continue
        cost = count_tokens(text) + 12
        if out and used + cost > budget_tokens:
            continue
        used += cost
        out.append(Citation(n=len(out), doc_id=c.row.source_doc if c.row else c.doc_id, chunk_id=c.id,
                            title=c.title, publisher=c.publisher, date=c.date, seed=c.seed,
                            kind="row" if c.kind == "row" else "text", text=text, facts=c.facts, score=hit.score,
                            path=c.path))
    return out


_ASIDE = re.compile(r"\s+\([^()]*\)")


def _text_label(c: Citation) -> str:
    return ", ".join(x for x in (_ASIDE.sub("", c.publisher or ""), c.date) if x) or c.doc_id


def format_sources(sources: list[Citation], group_rows: bool = False) -> str:
    """The numbered sources as the model reads them. A publisher's aside ('Samuel Reed (AI writing agent; outlet
    not named)') is left out there, and in a row's 'Source:' line: tokens the model reads on every question. With
    ``group_rows``, consecutive rows of one table stand under one line that names it, and consecutive passages of
    one document under one line that names its publisher and date, not each repeating it."""
    lines = []
    table = None
    for i, c in enumerate(sources):
        text = " ".join(c.text.split())
        if c.kind == "calculation":
            label = "calculation"
        elif c.kind == "text" and group_rows and (
                (i and sources[i - 1].kind == "text" and _text_label(sources[i - 1]) == _text_label(c)) or
                (i + 1 < len(sources) and sources[i + 1].kind == "text"
                 and _text_label(sources[i + 1]) == _text_label(c))):
            if table != ("text", _text_label(c)):
                lines.append(f"{_text_label(c)}, passages:")
                table = ("text", _text_label(c))
            lines.append(f"[{c.n}] {text}")
            continue
        elif c.kind == "row":
            label = "table row"
            head, sep, tail = text.rpartition(" Source: ")
            text = head + sep + _ASIDE.sub("", tail) if sep else text
            prefix = f"{c.title}, "
            if group_rows and c.title and text.startswith(prefix):
                if table != c.title:
                    lines.append(f"{c.title}, rows:")
                    table = c.title
                lines.append(f"[{c.n}] {text[len(prefix):]}")
                continue
        else:
            label = _text_label(c)
        table = None
        lines.append(f"[{c.n}] ({label}) {text}")
    return "\n".join(lines)


def _chunk_periods(chunk) -> list[str]:
    if chunk.facts:
        return [f.period for f in chunk.facts if f.period]
    return [p.code for p in find_periods(chunk.text, as_of=chunk.date or None)]


def coverage_gap(question: str, hits: list[SearchHit], knowledge: CorpusKnowledge,
                 implied: bool = False) -> str | None:
    """What the question names that no retrieved passage covers: a period (a source must state something for that
    period or a part of it), or a name. None when everything is covered. A value implied by a stated change is
    for a period no source states, so periods are not checked for it."""
    chunks = [h.chunk for h in hits]
    if not implied:
        span = find_range(question)  # 'January to September 2025' is one stretch, covered by a part of it
        for p in find_periods(question):
            if p.code.startswith("*"):
                continue
            asked = span if span and within(p.code, span) else p.code
            if not any(within(sp, asked) or (asked == span and overlaps(sp, span))
                       for c in chunks for sp in _chunk_periods(c)):
                return f"no source covers {format_period(asked)}"
    texts = [f"{c.title} {c.publisher} {c.text} " + " ".join(f.entity for f in c.facts) for c in chunks]
    text = " ".join(texts)
    for name in named_entities(question, proper_only=True):
        if _mentions(text, name, knowledge):
            continue
        # a word of the name found in the passages stands for it, unless most passages have it: in an offshore-wind
        # corpus, 'Offshore' does not make 'Aurora Offshore' covered
        words = [w for w in re.findall(r"[A-Za-z][\w.&-]+", name) if len(w) >= 3]
        if not any(0 < sum(bool(re.search(r"(?<!\w)" + re.escape(w), t, 0 if len(w) <= 4 and not re.search(
                r"\d", w) else re.I)) for t in texts)
                   <= max(1, len(texts) // 2) for w in words):
            return f"no source mentions {name}"
    return None


def what_sources_cover(sources: list[Citation], limit: int = 3) -> str:
    """A short list of what the best sources are about, with no figures (a refusal states none)."""
    items: list[str] = []
    for c in sorted((c for c in sources if c.kind != "calculation"), key=lambda c: -c.score):
        if c.facts:
            f = c.facts[0]
            label = f"{f.label or f.series.replace('_', ' ')} for {f.entity}"
            periods = sorted({x.period for x in c.facts if x.period})
            if periods:
                label += f" ({', '.join(format_period(p) for p in periods[:3])})"
        else:
            label = c.title or c.doc_id
        for num in reversed(extract_numbers(label)):
            if num.kind not in ("year", "date"):
                label = label[:num.start] + label[num.end:]
        label = " ".join(label.split()).strip(" ,;:")
        if label and label not in items:
            items.append(label)
        if len(items) >= limit:
            break
    return "; ".join(items)


def refusal_text(reason: str, sources: list[Citation]) -> str:
    cover = what_sources_cover(sources)
    text = f"{REFUSAL} {reason[0].upper() + reason[1:]}."
    return text + (f" The closest sources cover: {cover}." if cover else "")


# --- the steps ----------------------------------------------------------------------------------------------

def rewrite_step(state: RunState) -> RunState:
    from copilot.followup import is_followup, rewrite

    state.standalone = state.question
    if state.history and is_followup(state.question, True):
        previous = state.history[-1].standalone_question or state.history[-1].question
        state.report("rewrite", "reading the question in the light of the conversation")
        state.standalone = rewrite(state.question, previous, state.runtime.llm)
        state.report("rewrite", f"answering: {state.standalone}")
    return state


def _expanded_query(question: str, knowledge: CorpusKnowledge) -> str:
    """The question plus other names of every entity it names (from the corpus's data file): the name itself and
    its shortest other form, not every form. Six spellings of one country would outweigh the rest of the question
    ('policy measures ... for 2026') in the search."""
    extra = []
    for name, others in knowledge.aliases.items():
        group = [name, *others]
        if any(_mentions(question, g, CorpusKnowledge()) for g in group):
            missing = [g for g in [name, *sorted(others, key=len)] if g.lower() not in question.lower()]
            extra += missing[:2]
    return question + (" " + " ".join(extra) if extra else "")


#: The words of a ranking question that say how it ranks, not what.
_RANKING_WORDS = set("highest lowest biggest largest smallest fastest slowest most least top best worst strongest "
                     "weakest grew rose fell growth rise fall increase decrease drop gain loss which month months "
                     "quarter year".split())


def _table_line_of(hit: SearchHit, periods: list[str]) -> bool:
    """Is the passage rows of a document table ('June 2025: Butter TVC 78,200/t; Block cheese ...'), each its own
    line under the headings, one of which states a figure for one of ``periods`` (or a part of one)? A ranking
    reads such lines as it reads a table's typed rows."""
    from copilot.numbers import is_heading

    body = [line for line in hit.chunk.text.splitlines() if line.strip() and not is_heading(line)]
    # (most of its lines: a table's caption or a note may stand among them)
    if not body or not periods or 2 * sum(bool(_TABLE_LINE.search(line)) for line in body) < len(body):
        return False
    body = [line for line in body if _TABLE_LINE.search(line)]
    # (with a figure: 'October 2025 was ..' is an empty cell)
    def stated(rest: str) -> bool:
        return any(n.kind not in ("year", "date") for n in extract_numbers(rest.split(";")[0]))

    return any(within(p.code, q) and stated(line[p.end:]) for line in body for p in find_periods(line)
               for q in periods)


def _of_periods(hit: SearchHit, periods: list[str]) -> bool:
    return any(f.period and overlaps(f.period, p) for f in hit.chunk.facts for p in periods)


def _figure_periods(hit: SearchHit, text: str) -> list[set[str]]:
    """The periods each figure of a text passage is stated for (an empty set where none is read, or only a period
    with no year)."""
    from copilot.compute import context_periods
    from copilot.numbers import sentences_under_headings
    from copilot.periods import title_period

    out = []
    titled = set(title_period(hit.chunk.title, hit.chunk.date or None))  # 'Results for the third quarter of 2025'
    for sentence, heading in sentences_under_headings(text):
        for n in extract_numbers(sentence, words=True):
            if n.kind not in ("year", "date"):
                read = context_periods(sentence, n.start, n.end, hit.chunk.date or None, heading=heading)
                out.append({p for p in read if not p.startswith("*")} or titled)
    return out


def _without_other_periods(hits: list[SearchHit], periods: list[str], question: str,
                           max_tokens: int) -> list[SearchHit]:
    """A figure asked for a period: when a passage states one for it, passages whose figures are mostly dated to
    other periods, none to the asked one, are left out ('9,840 thousand stays in August 2025' beside 'July 2025 was
    9,655 thousand', for a question on July): a small model copies the wordier one. Read on the passage the prompt
    would show; a figure whose period is not read counts against leaving it out."""
    if not periods:
        return hits
    dated = {h.chunk.id: _figure_periods(h, passage(h.chunk.text, question, max_tokens) if max_tokens else
                                         h.chunk.text) for h in hits if not h.chunk.facts}

    def states_asked(ps):
        return any(overlaps(p, q) for p in ps for q in periods)

    if not any(states_asked(ps) for fps in dated.values() for ps in fps):
        return hits

    def other(fps):
        known = [ps for ps in fps if ps]
        return known and not any(states_asked(ps) for ps in known) and len(known) >= len(fps) - len(known)

    return [h for h in hits if h.chunk.id not in dated or not other(dated[h.chunk.id])]


def retrieve(state: RunState) -> RunState:
    rt = state.runtime
    started = time.perf_counter()
    state.report("search", "searching the stored documents and tables")
    if rt.store.count() == 0:
        raise EmptyCorpus("the store is empty: run `copilot ingest` (or `make setup`) first")
    state.knowledge = rt.knowledge
    state.hits = rt.search(_expanded_query(state.standalone, state.knowledge), state.k)
    # names typed in lowercase ('solvik ebitda margin q3 25') read as the passages write them
    names = written_as_names(state.standalone, [t for h in state.hits
                                                for t in (h.chunk.text, h.chunk.title, h.chunk.publisher) if t])
    state.standalone, state.known = restore_names(state.standalone, names), frozenset(names)
    frame = read_question(state.standalone, known=state.known)
    explains = bool(re.match(r"\s*(?:why|how come)\b", state.standalone, re.I))  # a reason is in prose, not in a row
    if frame.intents or (frame.names and (frame.periods or _ASKS_FIGURE.search(state.standalone)) and not explains):
        # a calculation, or a figure for a name (and a period), is most often in a table row: one narrow search per
        # name, its best rows added
        asked = {w[:5] for w in frame.words}
        # what is measured, a rate's or margin's other measure included ('revenue' for an EBITDA margin)
        measured = {w[:5] for w in (*frame.words, *frame.per) if len(w) >= 4} - \
            {w.lower()[:5] for n in frame.names for w in n.split()}

        def of_series(h):  # the row measures something the question names ('revenue', not 'pallets handled')
            if not h.chunk.facts:  # a passage (a table in a report's text) that speaks of it
                return any(w[:5] in measured for w in lexical_tokens(h.chunk.text))
            return any(w[:5] in asked for f in h.chunk.facts for w in lexical_tokens(f.label or f.series))

        seen = {h.chunk.id for h in state.hits}
        for name in frame.names[:3]:
            others = {w.lower() for n in frame.names if n != name for w in n.split()}
            rest = " ".join(w for w in frame.words if w not in others)
            # a stretch of periods ('Q1 to Q3') is searched period by period: each needs its own row
            parts = expand(frame.span) if frame.span else []
            whens = [format_period(p) for p in parts] or [" ".join(format_period(p) for p in frame.periods)]
            room = state.k + 6 + len(parts)
            # a rate needs a row of each of its measures: the one after 'per' is searched too ('nights per arrival')
            asked_for = [(i, when, words) for i, when in enumerate(whens)
                         for words in [rest] + ([frame.per[1]] if frame.per[1] else [])]
            for i, when, words in asked_for:
                query = f"{name} {words} {when}"
                # rows of that name only: another party's rows crowd the prompt ('TCAA members' asked, Kalder's
                # row found)
                found = [h for h in rt.search(_expanded_query(query, state.knowledge), 10) if h.chunk.facts and any(
                    _mentions(f.entity, name, state.knowledge) for f in h.chunk.facts)]
                # the name's rows of the asked period first: a table of quarters ranks its rows alike
                found = sorted(found, key=lambda h: not _of_periods(h, frame.periods))[:5]
                if parts:  # the best row stated for this period, of the measure the question names if one is
                    found = sorted([h for h in found if any(f.period == parts[i] for f in h.chunk.facts)],
                                   key=lambda h: not of_series(h))[:1]
                for hit in found:
                    if hit.chunk.id not in seen and len(state.hits) < room:
                        seen.add(hit.chunk.id)
                        state.hits.append(hit)
        def of_period(h):
            return _of_periods(h, frame.periods)

        def total_row(h):  # a 'Total' row, or one the corpus's data file marks as a total
            return any(f.is_total or state.knowledge.is_total(f.entity) for f in h.chunk.facts)

        if "share" in frame.intents:  # a share needs its whole: the total row of each table a part comes from
            tables = {f.table for h in state.hits for f in h.chunk.facts if f.table and not f.is_total}
            when = " ".join(format_period(p) for p in frame.periods)
            query = f"total {' '.join(w for w in frame.words if w not in {n.lower() for n in frame.names})} {when}"
            for hit in rt.search(query, 10):
                if hit.chunk.id not in seen and total_row(hit) and any(f.table in tables for f in hit.chunk.facts):
                    seen.add(hit.chunk.id)
                    state.hits.append(hit)
        # what a ranking ranks, in the question's words ('wholesale butter price'), less the ranking's own
        measure = {w[:5] for w in frame.words if w not in _RANKING_WORDS}

        def covers(h):  # how many of them a row (its table's title too) or a document table's line gives
            said = {t[:5] for t in lexical_tokens(f"{h.chunk.title} {h.chunk.text}")}
            return len(measure & said)

        if "rank" in frame.intents:  # a ranking needs every party's row of the measure, not the best few
            when = " ".join(format_period(p) for p in frame.periods)
            # a change between two periods (or over a stretch's first and last) needs the rows of each end
            ends = frame.periods if len(frame.periods) >= 2 else (frame.span.split("..") if frame.span else [])
            searches = [(f"{' '.join(frame.words)} {when}", None)] + [
                (f"{' '.join(frame.words)} {format_period(p)}", p) for p in ends]
            for i, (query, end) in enumerate(searches):
                # deep, and the lines that give more of the measure first: a table of the parties' rows may rank
                # below a document table of national lines, and a farm-gate price table above the butter prices
                found = rt.search(query, 40)
                for hit in sorted(found, key=lambda h: -covers(h)):
                    if hit.chunk.id in seen or len(state.hits) >= state.k + 10 + 6 * i:
                        continue
                    if hit.chunk.facts and (not frame.periods or of_period(hit)) \
                            and (end is None or any(f.period == end for f in hit.chunk.facts)) or \
                            not hit.chunk.facts and _table_line_of(hit, [end] if end else frame.periods):
                        seen.add(hit.chunk.id)
                        state.hits.append(hit)
        if frame.intents:  # typed rows first: they are short, and the calculation is planned from them
            # (for a share, a total row right after the rows of the names asked about)
            # (rows of other periods than the one asked about go after the passages, which may state it: a 2024
            # share asked about and 2025 rows found; an implied prior's input row is of another period by design)
            def rank(h):
                total = "share" in frame.intents and total_row(h)
                named = any(_mentions(f.entity, n, state.knowledge) for f in h.chunk.facts for n in frame.names)
                dated = any(f.period for f in h.chunk.facts)
                other = dated and bool(frame.periods) and not frame.span and not of_period(h) and \
                    "implied_prior" not in frame.intents
                # (a ranking reads a document table's lines of the asked period as rows, those that give more of
                # its measure first: 'support rates' before 'dairy exports' for a support measure's increase)
                ranking = "rank" in frame.intents
                row = bool(h.chunk.facts) or ranking and _table_line_of(h, frame.periods)
                return (other, not row, -covers(h) if ranking else 0, not (named or total), not of_series(h))
            state.hits.sort(key=rank)
            if frame.periods and not frame.span and any(h.chunk.facts and of_period(h) for h in state.hits):
                state.hits = [h for h in state.hits if not h.chunk.facts or of_period(h)]  # Q3 rows for H1 left out
        else:
            # a figure asked for a period: that period's rows of the asked names first, and rows of other periods
            # left out when some row states it; otherwise the passages keep their rank (rows of other parties do
            # not push out a passage that names the asked one)
            def fits(h):  # (asked for no period: the name's own row, not a total that names it)
                return bool(h.chunk.facts) and (of_period(h) if frame.periods else not total_row(h)) and any(
                    _mentions(f.entity, n, state.knowledge) for f in h.chunk.facts for n in frame.names)

            state.hits.sort(key=lambda h: (not fits(h), -h.score))
            if frame.periods and any(fits(h) for h in state.hits):
                state.hits = [h for h in state.hits if not h.chunk.facts or of_period(h)]
            if not frame.intents and _ASKS_FIGURE.search(state.standalone):
                state.hits = _without_other_periods(state.hits, frame.periods, state.standalone,
                                                    rt.settings.passage_tokens)
    wide = "rank" in frame.intents  # a ranking reads a whole table, not the passage at the size of one claim
    state.sources = number_sources(state.hits, rt.settings.evidence_tokens * (3 if wide else 1), state.standalone,
                                   rt.settings.passage_tokens * (4 if wide else 1), cells=wide)
    state.timings.retrieval_s = time.perf_counter() - started
    state.refusal = evidence_gate(state.standalone, state.hits, state.sources, rt.settings.min_relevance,
                                  state.knowledge)
    state.report("search", f"{len(state.sources)} sources found" if state.refusal is None
                 else f"not answerable from the sources: {state.refusal}")
    return state


def evidence_gate(question: str, hits: list[SearchHit], sources: list[Citation], min_relevance: float,
                  knowledge: CorpusKnowledge | None = None) -> str | None:
    """A reason to refuse before asking the model: nothing relevant, or a period or name no source covers."""
    if not hits:
        return "nothing relevant is stored"
    if max(h.dense for h in hits) < min_relevance:
        return "no stored passage is close to the question"
    frame = read_question(question)
    implied = "implied_prior" in frame.intents
    return coverage_gap(question, hits, knowledge or CorpusKnowledge(), implied) or topic_gap(frame, hits) or (
        None if implied else figure_gap(question, hits))


#: Words about the asking, not the thing asked about ('the latest available figure for ...').
_ASKING_WORDS = set("latest available recent current newest most figure figures number numbers value values data "
                    "amount reported stated published official exact approximate roughly".split())


def topic_gap(frame: Frame, hits: list[SearchHit]) -> str | None:
    """A question for a figure of a thing that no retrieved passage mentions in any form: two adjacent content
    words of the question ('carbon emissions') neither of which any passage contains, even as part of a word."""
    question = frame.question
    if not _ASKS_FIGURE.search(question):
        return None
    for p in find_periods(question):
        question = question.replace(p.text, " ")
    name_words = {w.lower().strip("'s") for n in frame.names for w in n.split()}
    text = " ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits).lower()
    run: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z-]+", question):
        w = word.lower()
        if w in frame.words and w not in name_words and w not in _ASKING_WORDS and len(w) >= 4 and \
                w[:5] not in text:
            run.append(word)
            if len(run) == 2:
                return f"no source mentions {' '.join(run)}"
        else:
            run = []
    return None


_ASKS_FIGURE = re.compile(r"^\s*(?:how (?:much|many)\b|what (?:was|were|is|are)\b|what \w+ (?:did|does|do)\b.*\b"
                          r"(?:report|post|record|have|ship|produce|earn|generate)\b)", re.I)


def figure_gap(question: str, hits: list[SearchHit]) -> str | None:
    """A question asking for a figure in a period needs a passage that states some figure for that period (a
    table row of that period, or a sentence or heading that names it beside a figure)."""
    from copilot.compute import context_periods
    from copilot.numbers import sentences_under_headings

    periods = [p.code for p in find_periods(question) if not p.code.startswith("*")]
    if not periods or not _ASKS_FIGURE.search(question) or read_question(question).intents:
        return None
    stated: set[str] = set()
    for h in hits:
        c = h.chunk
        stated |= {f.period for f in c.facts if f.period}
        for sentence, heading in sentences_under_headings(c.text) if not c.facts else []:
            for n in extract_numbers(sentence, words=True):
                if n.kind not in ("year", "date"):
                    stated |= set(context_periods(sentence, n.start, n.end, c.date or None, heading=heading))
                    stated |= {p.code for p in find_periods(sentence, as_of=c.date or None)}
    for p in periods:
        if not any(within(s, p) for s in stated if s):
            return f"no source states a figure for {format_period(p)}"
    return None


def _default_year(sources: list[Citation]) -> str | None:
    """The year a question's bare month or quarter means: the latest year of the sources' dates."""
    years = [year_of(c.date) for c in sources if c.date and year_of(c.date)]
    return max(years) if years else None


def compute_step(state: RunState) -> RunState:
    started = time.perf_counter()
    if state.refusal is None:
        result = compute(state.standalone, state.sources, state.runtime.llm, state.knowledge,
                         default_year=_default_year(state.sources), known=state.known)
        state.rejected = result.rejected
        if result.stated is not None:
            state.report("calculate", f"nothing to calculate: [{result.stated.n}] states it")
        for call in result.calls:
            state.report("calculate", f"{call.name}: {call.formula}")
            call.n = len(state.sources)
            state.sources.append(calculation_citation(call, call.n))
        state.tool_calls = result.calls
    state.timings.compute_s = time.perf_counter() - started
    return state


def generate(state: RunState) -> RunState:
    rt = state.runtime
    started = time.perf_counter()
    if state.refusal is None:
        state.report("write", "the model is writing a draft")
        sources = format_sources(state.sources, group_rows=True)
        messages = [{"role": "system", "content": render("ANSWER_SYSTEM")},
                    {"role": "user", "content": render("ANSWER_USER", sources=sources, question=state.standalone)}]
        state.messages = list(messages)
        result = rt.llm.chat(messages, max_tokens=rt.settings.llm_max_tokens, on_token=state.on_token)
        state.draft = result.text
        state.usage = Usage(prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                            cached_prompt_tokens=result.cached_tokens)
        # counted from the question, as the plain chain's is: rewrite, search and calculations included
        if result.ttft_s is not None:
            state.timings.ttft_s = started - state.started + result.ttft_s
        state.timings.prompt_s = result.prompt_s or 0.0
        if looks_refused(state.draft) and not state.tool_calls:
            # the evidence gate found the question covered: one more try before accepting a refusal
            best = max(state.sources, key=lambda c: c.score).n
            state.report("write", "the draft found no answer although the sources cover the question; trying again")
            state.draft = _ask_again(state, render("ANSWER_RETRY", n=str(best)))
            if looks_refused(state.draft):
                state.refusal = "the model found no answer in the sources"
        elif more := left_out(state.standalone, state.draft, state.sources, rt.doc_freq, state.knowledge):
            # a question for several things ('which companies ...?') whose draft leaves out names that other
            # sources give in the sentences that speak of what was asked: once more, from all of them
            marks = "".join(f"[{n}]" for n, _ in more)
            state.report("write", f"sources {marks} name more than the draft does; asking for all of them")
            again = _ask_again(state, render("ANSWER_COMPLETE", lines="\n".join(f"[{n}] {s}" for n, s in more)))
            if not looks_refused(again):
                state.draft = again
        text, state.invented = render_citations(state.draft, {c.n for c in state.sources})
        state.text = _state_calculations(text, state.tool_calls)
    state.timings.generation_s = time.perf_counter() - started
    return state


_LIST_QUESTION = re.compile(r"^\s*(?:which|who)\s+(?P<kind>[a-z-]+)?", re.I)


def left_out(question: str, draft: str, sources: list[Citation], doc_freq: Callable[[list[str]], dict[str, int]],
             knowledge: CorpusKnowledge) -> list[tuple[int, str]]:
    """For a question that asks which things or who ('Which companies are named as recyclers?'): each uncited text
    source whose sentence that fits the question best has the question's most specific word (the one in fewest
    stored chunks: 'recyclers', 'Madagascar') and names someone the draft does not. Empty for a comparison or a
    calculation ('which of A or B?'), and when the draft already names everyone those sentences give."""
    from copilot.numbers import sentences

    asked = _LIST_QUESTION.match(question)
    if not asked or read_question(question).intents or re.search(r"\bor\b", question):
        return []
    kind = set(lexical_tokens(asked.group("kind") or ""))  # 'companies': what is asked for, not what it is about
    words = [w for w in dict.fromkeys(lexical_tokens(question)) if w not in kind and len(w) >= 4]
    texts = [c for c in sources if c.kind == "text"]
    said = set().union(*(lexical_tokens(c.text) for c in texts)) if texts else set()
    df = doc_freq(words)  # in the whole store: 'magnets' is everywhere in a magnet corpus, 'recyclers' is not
    found = [w for w in words if df.get(w) and w in said]
    if not found:
        return []
    rarest = {w for w in found if df[w] == min(df[w] for w in found)}
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", draft)}
    more = []
    for c in texts:
        if c.n in cited:
            continue
        # the source's sentence that fits the question best (rarer words weigh more)
        toks = {t: set(lexical_tokens(t)) for t in sentences(c.text)}
        best = max(toks, key=lambda t: sum(1 / df[w] for w in found if w in toks[t]))
        if rarest & toks[best] and any(not _mentions(draft, name, knowledge)
                                       for name in named_entities(best, proper_only=True) if name not in question):
            more.append((c.n, best.strip()))
    return more


def _ask_again(state: RunState, instruction: str) -> str:
    """One more model turn after the draft: the draft's prompt, the draft, then ``instruction``; the reply streams
    on a new line and its tokens are added to the question's usage."""
    if state.on_token:
        state.on_token("\n")
    result = state.runtime.llm.chat(state.messages + [{"role": "assistant", "content": state.draft},
                                                      {"role": "user", "content": instruction}],
                                    max_tokens=state.runtime.settings.llm_max_tokens, on_token=state.on_token)
    cached = [c for c in (state.usage.cached_prompt_tokens, result.cached_tokens) if c is not None]
    state.usage = Usage(prompt_tokens=state.usage.prompt_tokens + result.prompt_tokens,
                        completion_tokens=state.usage.completion_tokens + result.completion_tokens,
                        cached_prompt_tokens=sum(cached) if cached else None)
    return result.text


def looks_refused(text: str) -> bool:
    bare = re.sub(r"\[\d+\]", "", text).strip()
    return (REFUSAL.rstrip(".") in bare or not bare
            or bool(_SOFT_REFUSAL.search(bare) and len(bare) < 200 and not extract_numbers(bare)))


def _state_calculations(text: str, calls: list[ToolCall]) -> str:
    """A computed figure the model left out, or gave without its inputs ('670 more wagons' for 'which loaded
    more, A or B?'), is stated by the code with its inputs, naming what was compared: every number checkable."""
    from copilot.numbers import format_number

    if looks_refused(text):
        text = ""
    for call in calls:
        said = extract_numbers(text)
        percent = [n for n in said if is_signed_kind(n.kind)]  # a percent result is stated as a percent
        if any(numbers_match(n.value, call.result, n.kind) for n in (percent if call.unit == "%" else said)) and \
                all(any(numbers_match(n.value, v, n.kind) for n in said) for v in call.args.values()):
            continue
        labels = list(call.labels.values())
        what = f" ({('; ' if call.name == 'total' else ' vs ').join(labels)})" if labels else ""
        sentence = f"Calculated from the cited figures{what}: {call.formula.split(' = ')[0]} = " \
                   f"{format_number(call.result, call.unit)}"
        text = (text + " " if text else "") + f"{sentence} [{call.n}]."
    return text.strip()


def audit_step(state: RunState) -> RunState:
    started = time.perf_counter()
    if state.refusal is None:
        state.report("check", "checking every claim against its sources")
        report, text, reason, mismatch = _audited(state, state.text)
        if mismatch is not None and not state.tool_calls and _correctable(state, mismatch):
            # another period's figure, where a source states one of that kind for the asked period: the model is
            # told so once, and its new draft audited
            state.report("write", f"the draft gave {mismatch.raw} for {mismatch.context}; asking for a correction")
            again = _ask_again(state, render("ANSWER_CORRECT", figure=mismatch.raw, stated=mismatch.context,
                                             asked=_asked_about(state.standalone)))
            if not looks_refused(again):
                state.draft = again
                fixed, invented = render_citations(again, {c.n for c in state.sources})
                state.invented += invented
                report, text, reason, _ = _audited(state, fixed)
        elif reason is not None and (copied := _miscopied(report, state.sources)) is not None:
            # a figure in no source whose digits the source its sentence cites writes with another currency or
            # scale ('$3.486 million' for 'TVC 3,486 million'): copied wrong, not invented; written as the source
            # writes it, and the claim audited again for its name and period
            raw, n, written = copied
            state.report("check", f"the draft wrote {raw} where source [{n}] writes {written}; written as the source "
                                  f"does")
            report, text, reason, _ = _audited(state, text.replace(raw, written, 1))
        if reason is not None:
            state.refusal = reason
        else:
            state.text = text
            state.audit = report
        verdicts = [c.verdict for c in report.claims]
        state.report("check", f"{verdicts.count('supported')} of {len(verdicts)} claims supported"
                     if state.refusal is None else f"refused: {state.refusal}")
    if state.refusal is not None:
        state.text = refusal_text(state.refusal, state.sources)
        state.audit, _ = audit_answer(state.text, state.sources, [], invented_removed=len(state.invented))
    state.timings.audit_s = time.perf_counter() - started
    return state


def _miscopied(report: AuditReport, sources: list[Citation]) -> tuple[str, int, str] | None:
    """A sum of money in the draft found in no source whose digits (three or more) a cited source writes as a sum
    of money with its currency: (the draft's figure, that source's number, the source's figure as written). Only
    money: a quantity's scale may stand in a table's header ('6,168' under 'thousand tonnes'), out of sight."""
    def digits(raw: str) -> str:
        return re.sub(r"\D", "", raw).lstrip("0")

    by_n = {c.n: c for c in sources}
    for claim in report.claims:
        for t in claim.numbers:
            if t.found_in != "nowhere" or t.kind != "money" or len(digits(t.raw)) < 3:
                continue
            for n in claim.citations:
                for stated in extract_numbers(by_n[n].text) if n in by_n else []:
                    if stated.kind == "money" and stated.unit and digits(stated.raw) == digits(t.raw):
                        return t.raw, n, stated.raw
    return None


def _correctable(state: RunState, trace: NumberTrace) -> bool:
    """``trace`` is a figure of another period, and some source states a figure of the same kind and unit for the
    question's period: there is a right figure to correct to."""
    from copilot.compute import source_facts

    frame = read_question(state.standalone, _default_year(state.sources))
    stated = extract_numbers(trace.raw)
    unit = stated[0].unit if stated else ""
    if not frame.periods or not find_periods(trace.context):
        return False  # another name's figure: a second try would only pick another figure of the wrong one
    for f in source_facts(state.sources, state.knowledge):
        if f.kind != trace.kind or (f.unit or "") != unit or numbers_match(f.value, trace.value, f.kind):
            continue
        if any(within(p, q) and within(q, p) for p in f.periods for q in frame.periods):
            return True
    return False


def _asked_about(question: str) -> str:
    """What a question asks about, in a few words: its periods and names ('31 March 2024', 'Tern Power, Q3 2025')."""
    frame = read_question(question)
    parts = frame.names[:2] + [format_period(p) for p in frame.periods[:2]]
    return ", ".join(parts) or "what the question names"


def _audited(state: RunState, text: str) -> tuple[AuditReport, str, str | None, NumberTrace | None]:
    """The audit of a draft, with what follows from it: wrong citations moved, invented clauses cut, mismatched
    claims dropped. Returns the report, the text that stands, a reason to refuse (or None) and, when that reason is
    a figure given for another period or name, that figure."""
    rt = state.runtime

    def check(t: str):
        return audit_answer(t, state.sources, state.tool_calls, embedder=rt.embedder,
                            pct_tolerance=rt.settings.pct_tolerance, rel_tolerance=rt.settings.rel_tolerance,
                            number_policy=rt.settings.number_policy, invented_removed=len(state.invented),
                            knowledge=state.knowledge, question=state.standalone)

    report, text = check(text)
    text, repaired = repair_citations(text, report, state)
    if repaired:
        report, text = check(text)
        report.citations_repaired = repaired
    text, cut = trim_invented(text, report)
    if cut:
        report, text = check(text)
    loose = [c for c in report.claims if (c.verdict == "uncited" and any(
        t.kind not in ("year", "date") and t.found_in != "tool" for t in c.numbers)) or any(
        t.kind not in ("year", "date") and t.found_in == "nowhere" for t in c.numbers)]
    if state.tool_calls and loose and len(loose) < len(report.claims):
        # a figure beside a calculation that no cited source bears out ('generated 7.81 GWh' for a -7.81% change),
        # or that no source states at all ('14.07 passengers per flight' beside the computed 129.82)
        report, text = check(" ".join(c.text for c in report.claims if c not in loose))
        report.dropped_claims += len(loose)
    if state.tool_calls and not any(c.verdict == "supported" for c in report.claims):
        # the draft around a calculation stands on nothing: the code states the calculation alone
        report, text = check(_state_calculations("", state.tool_calls))
    reason, trace = None, None
    mismatched = [c for c in report.claims if any(t.found_in == "mismatched" for t in c.numbers)]
    if mismatched:
        # a figure attributed to another period or name: the claim goes, the rest stands
        kept = [c.text for c in report.claims if c not in mismatched]
        if kept and any(c.verdict in ("supported", "partial") for c in report.claims if c not in mismatched):
            report, text = check(" ".join(kept))
            report.dropped_claims += len(mismatched)
        else:
            trace = next(t for t in mismatched[0].numbers if t.found_in == "mismatched")
            reason = f"the draft gave a figure that the sources state for {trace.context}, not for what was asked"
    if reason is None and not state.tool_calls:
        reason = off_period(report, state.standalone, _default_year(state.sources),
                            whole=bool(_ASKS_FIGURE.search(state.standalone)))
        if reason is not None:  # the draft's figures are all of another period: the first, for a correction
            trace = _off_period_figure(report)
    reason = reason or audit_refusal(report, state.standalone, text, bool(state.tool_calls), state.sources)
    return report, text, reason, trace


def _off_period_figure(report: AuditReport) -> NumberTrace | None:
    """The first figure of a draft whose claims all state another period than the asked one, with that period
    ('58 operators ... at 31 March 2025' for a question on 31 March 2024)."""
    for claim in report.claims:
        periods = [p for p in find_periods(claim.text) if not p.code.startswith("*")]
        for t in claim.numbers:
            if t.kind not in ("year", "date") and periods:
                return t.model_copy(update={"context": format_period(periods[0].code)})
    return None


def repair_citations(text: str, report: AuditReport, state: RunState) -> tuple[str, list[str]]:
    """A sentence whose [n] does not support it, while exactly one other source supports it fully (its wording and
    every figure, for the claim's name and period), is given that source's number; each move is recorded. Nothing is
    moved on a guess. A figure its [n] states for another period is moved too, where one other source states it for
    the claim's ('$540 million ... from 2026' beside a table row dated 2025)."""
    from copilot.audit import audit_answer as audit_one

    repaired: list[str] = []
    for claim in report.claims:
        wrong = claim.verdict in ("unsupported", "uncited") or any(t.found_in == "mismatched" for t in claim.numbers) \
            or (claim.verdict == "partial" and any(t.found_in == "uncited" for t in claim.numbers))
        if not wrong:
            continue
        bare = re.sub(r"\s*\[\d+\]", "", claim.text).rstrip(" .") + "."
        fits = []
        for c in state.sources:
            if c.kind == "calculation" or c.n in claim.citations:
                continue
            trial, _ = audit_one(bare[:-1] + f" [{c.n}].", [c], state.tool_calls, embedder=state.runtime.embedder,
                                 knowledge=state.knowledge)
            if trial.claims and trial.claims[0].verdict == "supported":
                fits.append(c.n)
        if len(fits) == 1:
            text = text.replace(claim.text, bare[:-1] + f" [{fits[0]}].", 1)
            was = "".join(f"[{n}]" for n in claim.citations) or "no citation"
            repaired.append(f"{was} -> [{fits[0]}]: {bare[:80]}")
    return text, repaired


#: Measures that are amounts of money in any business's accounts: a question for one is not answered by tonnes.
_MONEY_TERMS = (r"prices?|priced|dividends?|salar(?:y|ies)|wages?|fees?|revenues?|profits?|earnings|ebitda|ebit|"
                r"net income|operating income|capex|capital expenditure")  # not 'cost': a cost of debt is a rate
_MONEY_QUESTION = re.compile(rf"\b(?:{_MONEY_TERMS}|how much money|how many (?:dollars|euros|pounds|yen|yuan))\b",
                             re.I)
#: ... unless what is asked is a ratio of it, which is a percent ('the EBITDA margin', 'revenue growth')
_MOVE = re.compile(rf"\b(?:(?:{_MONEY_TERMS})\s+(?:change|rise|increase|fall|drop|move|swing|growth)|margin|percent|"
                   r"percentage|share|ratio|rate|yield|growth)", re.I)
#: ... or a change of it, which may be a percent too ('by how much may bills rise under the price limit?')
_CHANGE = re.compile(r"\b(?:ris(?:e|es|en|ing)|rose|f[ae]ll(?:s|en|ing)?|grow(?:s|n|ing)?|grew|increas\w*|"
                     r"decreas\w*|drop\w*|declin\w*|chang\w*|jump\w*|climb\w*|cut)\b", re.I)
#: The words a passage uses for one money measure of a business's accounts. A figure for the measure asked about
#: stands on a passage that names it in one of these words: a €2.8 million penalty is not revenue.
_MONEY_FAMILIES = {
    r"revenues?": r"revenues?|sales|turnover|top[- ]line",
    r"profits?|earnings|net income": r"profits?|earnings|(?:net|operating) income|income",
    r"ebitda": r"ebitda",
    r"ebit": r"ebit",
    r"dividends?": r"dividends?|payouts?|distributions?",
    r"wages?|salar(?:y|ies)": r"wages?|salar(?:y|ies)|pay|earnings",
    r"capex|capital expenditure": r"capex|capital expenditure|capital spending|invest\w*",
}


def audit_refusal(report: AuditReport, question: str, text: str, has_calculation: bool,
                  sources: Sequence[Citation] = ()) -> str | None:
    """A reason to refuse from the audit: nothing the draft says is supported, its figures are in no source, it
    answers a question for money with other figures, or its money figures stand on passages about another measure.
    None when the draft stands."""
    claims = report.claims
    if not claims:
        return "the model gave no answer"
    supported = [c for c in claims if c.verdict in ("supported", "partial")]
    if has_calculation:
        return None
    if not supported:
        if any(t.found_in == "nowhere" for c in claims for t in c.numbers):
            return "the draft's figures are in no source"
        return "no sentence of the draft is supported by the sources it cites"
    if _MONEY_QUESTION.search(question) and not _MOVE.search(question):
        figures = [n for n in extract_numbers(text) if n.kind not in ("year", "date")]
        moves = bool(_CHANGE.search(question))
        term = _MONEY_QUESTION.search(question).group(0)
        if figures and not any(n.kind == "money" or "/" in n.unit or (moves and n.kind in ("percent", "points", "bp"))
                               for n in figures):
            return f"the sources state no {term}, only other figures"
        other = _other_money_measure(report, question, sources)
        if other:
            return other
    return None


def _other_money_measure(report: AuditReport, question: str, sources: Sequence[Citation]) -> str | None:
    """A question for one money measure ('revenue') whose every money figure stands on passages that never name that
    measure in any of its words: the figure is some other amount (a penalty, a grant, an order's value)."""
    family = next(((ask, words) for ask, words in _MONEY_FAMILIES.items()
                   if re.search(rf"\b(?:{ask})\b", question, re.I)), None)
    if family is None:
        return None
    by_n = {c.n: c.text for c in sources}
    money = [(t, c) for c in report.claims for t in c.numbers if t.kind == "money" and t.found_in == "cited"]
    if not money:
        return None
    for trace, claim in money:
        cited = [by_n.get(n, "") for n in (trace.where or claim.citations)]
        if any(re.search(rf"\b(?:{family[1]})\b", t, re.I) for t in cited):
            return None
    term = re.search(rf"\b(?:{family[0]})\b", question, re.I).group(0)
    return f"the sources state no {term}: the figures they give are other amounts"


def render_answer(state: RunState) -> Answer:
    rt = state.runtime
    timings = state.timings
    timings.total_s = time.perf_counter() - state.started
    for name in ("retrieval_s", "compute_s", "prompt_s", "generation_s", "audit_s", "total_s"):
        setattr(timings, name, round(getattr(timings, name), 4))
    if timings.ttft_s is not None:
        timings.ttft_s = round(timings.ttft_s, 4)
    called = state.draft is not None
    answer = Answer(
        question=state.question, standalone_question=state.standalone, text=state.text, draft=state.draft,
        citations=state.sources, tool_calls=state.tool_calls if state.refusal is None else [],
        disclaimer=DISCLAIMER, refused=state.refusal is not None, refusal_reason=state.refusal or "",
        rejected_calls=state.rejected,
        model=getattr(rt.llm, "name", rt.settings.llm_model) if called else rt.settings.llm_model,
        settings_hash=rt.settings.settings_hash(), timings=timings, usage=state.usage, audit=state.audit,
        invented_citations=state.invented, session_id=state.session_id,
    )
    state.report("done", "refused" if answer.refused else "answered")
    return answer


ANSWER_CHAIN = (RunnableLambda(rewrite_step) | RunnableLambda(retrieve) | RunnableLambda(compute_step)
                | RunnableLambda(generate) | RunnableLambda(audit_step) | RunnableLambda(render_answer))


def warm_up(runtime: Runtime) -> bool:
    """Start the model and have it read the answer prompt's fixed instructions, which its server keeps in its
    prompt cache: the first question then pays for its own sources only (the chat page does this while it loads).
    False, with nothing raised, when the model cannot be reached (the first question reports that) or keeps no
    prompt cache."""
    messages = [{"role": "system", "content": render("ANSWER_SYSTEM")},
                {"role": "user", "content": render("ANSWER_USER", sources="", question="")}]
    try:
        if not getattr(runtime.llm, "prompt_cache", False):
            return False
        runtime.llm.chat(messages, max_tokens=1)
    except CopilotError as exc:
        log.info("warm-up skipped: %s", exc)
        return False
    return True


def ask(question: str, *, k: int | None = None, settings=None, runtime: Runtime | None = None,
        session_id: str = "", history: list[Answer] | None = None, on_token=None, on_step=None,
        save: bool = True) -> Answer:
    """Answer ``question``; with ``session_id`` (or an explicit ``history``), follow-ups are read in the light
    of the conversation."""
    rt = runtime or default_runtime(settings)
    question = clean_question(question, rt.settings.max_question_chars)  # raises on an empty or too long one
    if history is None and session_id:
        from copilot.history import History

        history = History(rt.settings.history_path).answers(session_id)[-3:]
    state = RunState(runtime=rt, question=question, k=k or rt.settings.k, session_id=session_id,
                     history=list(history or []), on_token=on_token, on_step=on_step)
    answer = ANSWER_CHAIN.invoke(state)
    if save:
        from copilot.history import History

        History(rt.settings.history_path).save(answer)
    return answer


def ask_stream(question: str, **kwargs):
    """Yield ``Step`` events and draft text pieces (str) as they happen, then the final ``Answer`` (cleaned and
    audited). The pieces are a draft: the Answer replaces them."""
    pieces: queue.Queue = queue.Queue()
    done = object()
    outcome: dict = {}

    def work():
        try:
            outcome["answer"] = ask(question, on_token=pieces.put, on_step=pieces.put, **kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            pieces.put(done)

    threading.Thread(target=work, daemon=True).start()
    while (item := pieces.get()) is not done:
        yield item
    if "error" in outcome:
        raise outcome["error"]
    yield outcome["answer"]


def format_for_terminal(answer: Answer) -> str:
    from copilot.numbers import format_number

    lines = []
    if answer.standalone_question and answer.standalone_question != answer.question:
        lines += [f"(answered as: {answer.standalone_question})", ""]
    lines += [answer.text, ""]
    if not answer.refused:
        lines.append("References:")
        for c in answer.cited() or answer.citations:
            where = ", ".join(x for x in (c.publisher, c.date) if x)
            lines.append(f"  [{c.n}] {c.title}" + (f" ({where})" if where else ""))
    for call in answer.tool_calls:
        lines.append(f"Calculation [{call.n}]: {call.name} {call.formula} {format_number(call.result, call.unit)} "
                     f"(inputs from {', '.join(f'[{i}]' for i in call.cites)})")
    if answer.audit and answer.audit.claims and not answer.refused:
        a = answer.audit
        lines.append(f"Audit: {sum(c.verdict == 'supported' for c in a.claims)}/{len(a.claims)} claims supported, "
                     f"{a.numbers_traced}/{a.numbers_stated} figures traced, citation precision "
                     f"{a.citation_precision if a.citation_precision is not None else 'n/a'}")
    lines += ["", answer.disclaimer]
    return "\n".join(lines)
