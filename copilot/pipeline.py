"""The answer pipeline, one straight line of LangChain runnables: retrieve -> compute -> generate -> audit -> render.

Each step takes and returns a plain state dict; none reaches into another's internals.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from functools import lru_cache

from langchain_core.runnables import RunnableLambda

from copilot.audit import audit_answer
from copilot.citations import render_citations
from copilot.compute import calculation_citation, compute, detect_intent, question_periods
from copilot.errors import EmptyCorpus
from copilot.numbers import MONTHS, extract_numbers, format_number, numbers_match
from copilot.questions import clean_question
from copilot.runtime import Runtime, default_runtime
from copilot.settings import Settings
from copilot.types import Answer, Citation, SearchHit, Step, Timings, Usage
from prompts import DISCLAIMER, REFUSAL, render

_SOFT_REFUSAL = re.compile(r"\b(?:sources?|context|documents?)\b[^.]{0,40}\b(?:do(?:es)?n[o']t|do(?:es)? not)\s+"
                           r"(?:say|mention|provide|contain|include|specify|state|answer|give)", re.I)


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text))


def number_sources(hits: list[SearchHit], budget_tokens: int) -> list[Citation]:
    """Sources in rank order, numbered from 0, within the prompt's token budget (at least one)."""
    out: list[Citation] = []
    used = 0
    for hit in hits:
        c = hit.chunk
        cost = count_tokens(c.text) + 12
        if out and used + cost > budget_tokens:
            continue
        used += cost
        out.append(Citation(n=len(out), doc_id=c.row.source_doc if c.row else c.doc_id, chunk_id=c.id,
                            title=c.title, publisher=c.publisher, date=c.date, seed=c.seed,
                            kind="row" if c.kind == "row" else "text", text=c.text, row=c.row, score=hit.score))
    return out


def format_sources(sources: list[Citation]) -> str:
    lines = []
    for c in sources:
        if c.kind == "calculation":
            label = "calculation"
        elif c.kind == "row":
            label = "table row"
        else:
            label = ", ".join(x for x in (c.publisher, c.date) if x) or c.doc_id
        lines.append(f"[{c.n}] ({label}) {' '.join(c.text.split())}")
    return "\n".join(lines)


def evidence_gate(question: str, hits: list[SearchHit], sources: list[Citation], min_relevance: float) -> str | None:
    """A reason to refuse before asking the model, from evidence: nothing relevant, or a period no source covers.

    A question that asks for a value implied by a stated change names a period no source covers by design, so the
    period check does not apply to it."""
    if not hits:
        return "nothing relevant is stored"
    if max(h.dense for h in hits) < min_relevance:
        return "no stored passage is close to the question"
    if detect_intent(question) == "implied_prior":
        return None
    texts = " ".join(c.text for c in sources).lower()
    row_periods = [c.row.period for c in sources if c.row]
    for _, period in question_periods(question):
        if period.startswith("*"):
            continue
        year = period[:4]
        if len(period) == 4:
            if year not in texts:
                return f"no source covers {year}"
            continue
        month = int(period[5:7])
        names = [m.lower() for m in MONTHS]
        pair = re.compile(rf"\b{names[month - 1]}\b(?:\W+\w+){{0,3}}?\W+{year}\b|\b{year}-{month:02d}\b")
        if not pair.search(texts) and not any(p.startswith(period) for p in row_periods):
            return f"no source covers {names[month - 1].title()} {year}"
    return None


# --- the steps ------------------------------------------------------------------------------------------------

def _report(state: dict, name: str, detail: str = "") -> None:
    if state.get("on_step"):
        state["on_step"](Step(name=name, detail=detail, elapsed_s=round(time.perf_counter() - state["started"], 3)))


def retrieve(state: dict) -> dict:
    rt: Runtime = state["runtime"]
    started = time.perf_counter()
    _report(state, "search", "searching the stored documents and tables")
    if rt.store.count() == 0:
        raise EmptyCorpus("the store is empty: run `copilot ingest` (or `make setup`) first")
    hits = rt.search(state["question"], state["k"])
    sources = number_sources(hits, rt.settings.evidence_tokens)
    state.update(hits=hits, sources=sources, timings=Timings(retrieval_s=time.perf_counter() - started))
    state["refusal_reason"] = evidence_gate(state["question"], hits, sources, rt.settings.min_relevance)
    _report(state, "search", f"{len(sources)} sources found")
    return state


def compute_step(state: dict) -> dict:
    started = time.perf_counter()
    state["tool_calls"] = []
    if state["refusal_reason"] is None:
        calls = compute(state["question"], state["sources"], state["runtime"].llm)
        for call in calls:
            _report(state, "calculate", f"{call.name}: {call.formula}")
            call.n = len(state["sources"])
            state["sources"].append(calculation_citation(call, call.n))
        state["tool_calls"] = calls
    state["timings"].compute_s = time.perf_counter() - started
    return state


def generate(state: dict) -> dict:
    rt: Runtime = state["runtime"]
    started = time.perf_counter()
    usage = Usage()
    if state["refusal_reason"] is not None:
        raw = None
        if state.get("on_token"):
            state["on_token"](REFUSAL)
            state["timings"].ttft_s = time.perf_counter() - state["started"]
    else:
        _report(state, "write", "the model is writing a draft")
        messages = [{"role": "system", "content": render("ANSWER_SYSTEM")},
                    {"role": "user", "content": render("ANSWER_USER", sources=format_sources(state["sources"]),
                                                       question=state["question"])}]
        result = rt.llm.chat(messages, max_tokens=rt.settings.llm_max_tokens, on_token=state.get("on_token"))
        raw = result.text
        usage = Usage(prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens)
        state["timings"].ttft_s = result.ttft_s
        state["timings"].prompt_s = result.prompt_s or 0.0
        if looks_refused(raw) and not state["tool_calls"] and answerability(state["question"], state["sources"]) >= 0.75:
            # the evidence says the sources cover the question: one more try before accepting a refusal
            best = max(state["sources"], key=lambda c: c.score).n
            messages += [{"role": "assistant", "content": raw},
                         {"role": "user", "content": render("ANSWER_RETRY", n=str(best))}]
            if state.get("on_token"):
                state["on_token"]("\n")
            result = rt.llm.chat(messages, max_tokens=rt.settings.llm_max_tokens, on_token=state.get("on_token"))
            raw = result.text
            usage = Usage(prompt_tokens=usage.prompt_tokens + result.prompt_tokens,
                          completion_tokens=usage.completion_tokens + result.completion_tokens)
    text, invented = render_citations(raw if raw is not None else REFUSAL, {c.n for c in state["sources"]})
    text = _settle(text, state)
    state.update(raw_text=raw, text=text, invented=invented, usage=usage)
    state["timings"].generation_s = time.perf_counter() - started
    return state


_QUESTION_WORDS = set("what which who whom how many much did does do is are was were why when where give named name "
                      "describe described according roughly approximately about".split())


def answerability(question: str, sources: list[Citation]) -> float:
    """Share of the question's content words found in the three best sources (0..1)."""
    from retrieval.search import lexical_tokens

    words = [t for t in lexical_tokens(question) if t not in _QUESTION_WORDS]
    if not words:
        return 0.0
    best = sorted(sources, key=lambda c: -c.score)[:3]
    have = set(lexical_tokens(" ".join(c.text for c in best)))
    stems = {t[:5] for t in have}
    return sum(1 for w in words if w in have or w[:5] in stems) / len(words)


def looks_refused(text: str) -> bool:
    bare = re.sub(r"\[\d+\]", "", text).strip()
    return REFUSAL.rstrip(".") in bare or bool(_SOFT_REFUSAL.search(bare) and len(bare) < 160) or not bare


def _settle(text: str, state: dict) -> str:
    """Refusals become the one refusal sentence; a computed figure the model left out is stated by the code."""
    calls = state["tool_calls"]
    refused = looks_refused(text)
    if refused and not calls:
        return REFUSAL
    if refused:
        text = ""
    for call in calls:
        stated = any(numbers_match(n.value, call.result) for n in extract_numbers(text))
        if not stated:
            unit = "" if call.unit == "x" else call.unit
            sentence = f"Calculated from the cited figures: {call.formula}{'%' if unit == '%' else ' ' + unit}".rstrip()
            text = (text + " " if text else "") + f"{sentence} [{call.n}]."
    return text.strip()


def audit_step(state: dict) -> dict:
    rt: Runtime = state["runtime"]
    started = time.perf_counter()
    _report(state, "check", "checking every claim against its sources")
    report, text = audit_answer(state["text"], state["sources"], state["tool_calls"], embedder=rt.embedder,
                                pct_tolerance=rt.settings.pct_tolerance, rel_tolerance=rt.settings.rel_tolerance,
                                number_policy=rt.settings.number_policy, invented_removed=len(state["invented"]))
    reason = None
    if invented_only(report):
        reason = "the model's figures are in no source"  # every claim rests on figures no source states
    elif (mismatch := figure_kind_mismatch(state["question"], text)) is not None:
        reason = mismatch
    if reason is not None and not state["tool_calls"]:
        state["refusal_reason"] = reason
        report, text = audit_answer(REFUSAL, state["sources"], [], invented_removed=len(state["invented"]))
    state.update(audit=report, text=text)
    state["timings"].audit_s = time.perf_counter() - started
    return state


_PRICE_QUESTION = re.compile(r"\b(?:what|how much)\b.*\b(?:price|prices|cost|costs|priced)\b(?! (?:change|rise|increase|"
                             r"fall|drop|move|swing))", re.I)


def figure_kind_mismatch(question: str, text: str) -> str | None:
    """Unit sanity: a question for a price answered only with figures that are not money (a percent change, a
    count) did not get a price. Returns the reason, or None."""
    if not _PRICE_QUESTION.search(question):
        return None
    figures = [n for n in extract_numbers(text) if n.kind not in ("year", "date")]
    if figures and not any(n.kind == "money" for n in figures):
        return "the sources state no price, only other figures"
    return None


def invented_only(report) -> bool:
    """True when no claim is supported and some claim states a figure found nowhere."""
    claims = report.claims
    return bool(claims) and not any(c.verdict in ("supported", "partial") for c in claims) and any(
        t.found_in == "nowhere" for c in claims for t in c.numbers)


def render_answer(state: dict) -> Answer:
    rt: Runtime = state["runtime"]
    timings = state["timings"]
    timings.total_s = time.perf_counter() - state["started"]
    for field in ("retrieval_s", "compute_s", "prompt_s", "generation_s", "audit_s", "total_s"):
        setattr(timings, field, round(getattr(timings, field), 4))
    if timings.ttft_s is not None:
        timings.ttft_s = round(timings.ttft_s, 4)
    called = state.get("raw_text") is not None
    return Answer(
        question=state["question"], text=state["text"], draft=state.get("raw_text"), citations=state["sources"],
        tool_calls=state["tool_calls"], disclaimer=DISCLAIMER, refused=state["text"] == REFUSAL,
        refusal_reason=state["refusal_reason"] or "",
        model=getattr(rt.llm, "name", rt.settings.llm_model) if called else rt.settings.llm_model,
        settings_hash=rt.settings.settings_hash(), timings=timings, usage=state["usage"], audit=state["audit"],
        invented_citations=state["invented"], session_id=state.get("session_id", ""),
    )


ANSWER_CHAIN = (RunnableLambda(retrieve) | RunnableLambda(compute_step) | RunnableLambda(generate)
                | RunnableLambda(audit_step) | RunnableLambda(render_answer))


def _runtime(settings: Settings | None, runtime: Runtime | None) -> Runtime:
    return runtime or default_runtime(settings)


def ask(question: str, *, k: int | None = None, settings: Settings | None = None, runtime: Runtime | None = None,
        session_id: str = "", on_token=None, on_step=None, save: bool = True) -> Answer:
    rt = _runtime(settings, runtime)
    question = clean_question(question, rt.settings.max_question_chars)
    if not question:
        from copilot.errors import CopilotError

        raise CopilotError("the question is empty")
    state = {"runtime": rt, "question": question, "k": k or rt.settings.k, "on_token": on_token,
             "on_step": on_step, "session_id": session_id, "started": time.perf_counter()}
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
    lines = [answer.text, ""]
    if not answer.refused:
        lines.append("References:")
        for c in answer.cited() or answer.citations:
            where = ", ".join(x for x in (c.publisher, c.date) if x)
            lines.append(f"  [{c.n}] {c.title}" + (f" ({where})" if where else ""))
    for call in answer.tool_calls:
        lines.append(f"Calculation [{call.n}]: {call.name} {call.formula} {format_number(call.result, call.unit)} "
                     f"(inputs from {', '.join(f'[{i}]' for i in call.cites)})")
    if answer.audit and answer.audit.claims:
        a = answer.audit
        lines.append(f"Audit: {sum(c.verdict == 'supported' for c in a.claims)}/{len(a.claims)} claims supported, "
                     f"{a.numbers_traced}/{a.numbers_stated} figures traced, citation precision "
                     f"{a.citation_precision if a.citation_precision is not None else 'n/a'}")
    lines += ["", answer.disclaimer]
    return "\n".join(lines)
