"""The plain baseline: top-k chunks stuffed into one prompt, same model and retriever; no tool, no audit."""

from __future__ import annotations

import time

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

from copilot.citations import render_citations
from copilot.pipeline import count_tokens, format_sources, number_sources
from copilot.types import Answer, Timings, Usage
from prompts import DISCLAIMER, render


def as_langchain_chat(llm, max_tokens: int):
    """A LangChain chat model for our LLM seam: ChatOpenAI for an OpenAI-protocol endpoint, a thin wrapper else."""
    if hasattr(llm, "client"):
        from langchain_openai import ChatOpenAI

        chat = ChatOpenAI(base_url=str(llm.client.base_url), api_key=llm.client.api_key, model=llm.name,
                          temperature=0, max_tokens=max_tokens, max_retries=0, timeout=llm.client.timeout)
        if hasattr(llm, "mark_used"):  # a shared model server stops when idle: these requests count as use
            return RunnableLambda(lambda prompt: (llm.mark_used(), prompt)[1]) | chat
        return chat

    def call(prompt_value):
        messages = [{"role": {"human": "user", "ai": "assistant"}.get(m.type, m.type), "content": m.content}
                    for m in prompt_value.to_messages()]
        return llm.chat(messages, max_tokens=max_tokens).text

    return RunnableLambda(call)


def baseline_chain(runtime, k: int):
    prompt = ChatPromptTemplate.from_messages([("system", render("BASELINE_SYSTEM", context="{context}")),
                                               ("human", "{question}")])
    retrieve = RunnableLambda(lambda q: {"question": q, "sources": number_sources(runtime.search(q, k), 10_000)})
    stuff = RunnableLambda(lambda s: {"question": s["question"], "context": format_sources(s["sources"])})
    return retrieve, stuff | prompt | as_langchain_chat(runtime.llm, runtime.settings.llm_max_tokens) | StrOutputParser()


def ask_baseline(question: str, runtime, k: int | None = None) -> Answer:
    started = time.perf_counter()
    retrieve, generate = baseline_chain(runtime, k or runtime.settings.k)
    state = retrieve.invoke(question)
    retrieval_s = time.perf_counter() - started
    pieces, ttft = [], None
    for piece in generate.stream(state):
        if ttft is None:
            ttft = time.perf_counter() - started
        pieces.append(piece)
    text, invented = render_citations("".join(pieces), {c.n for c in state["sources"]})
    total = time.perf_counter() - started
    return Answer(question=question, text=text, draft="".join(pieces), citations=state["sources"],
                  disclaimer=DISCLAIMER, model=f"baseline ({getattr(runtime.llm, 'name', '')})",
                  settings_hash=runtime.settings.settings_hash(), invented_citations=invented,
                  timings=Timings(retrieval_s=round(retrieval_s, 4), generation_s=round(total - retrieval_s, 4),
                                  ttft_s=round(ttft, 4) if ttft else None, total_s=round(total, 4)),
                  usage=Usage(prompt_tokens=count_tokens(state_prompt(state)), completion_tokens=count_tokens(text)))


def state_prompt(state: dict) -> str:
    """The baseline's prompt text, for a token estimate (cl100k) where the stream carries no usage."""
    return render("BASELINE_SYSTEM", context=format_sources(state["sources"])) + state["question"]
