"""The chat page: streamed answers with linked citations, calculations, audit marks, charts and exports."""

from __future__ import annotations

import uuid
from pathlib import Path

import streamlit as st

from copilot.errors import CopilotError
from copilot.export import answers_to_csv, answers_to_jsonl, answers_to_markdown, figures_line
from copilot.numbers import format_number
from copilot.pipeline import ask_stream
from copilot.runtime import default_runtime
from copilot.types import Answer, Step
from prompts import DISCLAIMER
from retrieval.tables import format_period, load_fact_tables
from ui.render import MARKS, anchor, answer_markdown, escape_md, highlighted_passage, matched_figures

st.set_page_config(page_title="Analyst copilot", page_icon="📈", layout="wide")


@st.cache_resource(show_spinner="Loading the models…")
def runtime():
    return default_runtime()


@st.cache_data(show_spinner=False)
def fact_rows(corpus_dir: str):
    return load_fact_tables(Path(corpus_dir) / "tables")


def show_error(exc: Exception) -> None:
    st.error(str(exc) if isinstance(exc, CopilotError) else f"Something went wrong: {type(exc).__name__}: {exc}")


def sidebar(rt) -> None:
    s = rt.settings
    with st.sidebar:
        st.header("Corpus")
        try:
            stats = rt.store.stats()
            st.markdown(f"**{stats['documents']}** documents · **{stats['tables']}** tables · "
                        f"**{stats['chunks']}** chunks")
        except CopilotError as exc:
            show_error(exc)
        uploads = st.file_uploader("Add files", type=["txt", "md", "html", "htm", "pdf", "csv"],
                                   accept_multiple_files=True)
        if uploads and st.button("Ingest uploaded files"):
            folder = s.home / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            paths = []
            for up in uploads:
                path = folder / Path(up.name).name
                path.write_bytes(up.getvalue())
                paths.append(path)
            bar = st.progress(0.0, text="Ingesting…")
            try:
                report = rt.ingest(paths, progress=False,
                                   on_file=lambda i, n, name: bar.progress(i / max(n, 1), text=f"Ingesting {name}"))
                bar.progress(1.0, text=f"Done: {report.chunks_written} chunks written")
                for f in report.files:
                    (st.warning if f.status == "failed" else st.success)(
                        f"{Path(f.path).name}: {f.status}" + (f" ({f.reason})" if f.reason else ""))
            except CopilotError as exc:
                show_error(exc)

        st.header("Model")
        endpoint = s.llm_base_url or "embedded llama.cpp (127.0.0.1)"
        st.caption(f"{s.llm_model} · {endpoint}")
        if st.button("Check model health"):
            try:
                problem = rt.llm.health()
                st.success("The model answers.") if problem is None else st.error(problem)
            except CopilotError as exc:
                show_error(exc)
        st.session_state.k = st.slider("Sources per question (k)", 2, 12, st.session_state.get("k", s.k))

        st.header("Export this session")
        answers: list[Answer] = st.session_state.get("answers", [])
        if answers:
            st.download_button("Markdown report", answers_to_markdown(answers), "copilot-session.md",
                               "text/markdown", key="dl-md")
            st.download_button("JSONL (re-importable)", answers_to_jsonl(answers), "copilot-session.jsonl",
                               "application/jsonl", key="dl-jsonl")
            st.download_button("CSV (one row per claim)", answers_to_csv(answers), "copilot-session.csv",
                               "text/csv", key="dl-csv")
        else:
            st.caption("Ask a question first.")


def chart_for(answer: Answer, corpus_dir: str) -> None:
    series = [c.row.series for c in answer.cited() if c.row is not None]
    series = series or [c.row.series for c in answer.citations if c.row is not None]
    if not series:
        return
    rows = [r for r in fact_rows(corpus_dir) if r.series == series[0] and ".." not in r.period
            and r.period[:1].isdigit()]
    if len(rows) < 2:
        return
    import pandas as pd

    frame = pd.DataFrame([{"period": format_period(r.period), "sort": r.period, "entity": r.entity,
                           "value": r.value} for r in rows]).sort_values("sort")
    label = rows[0].label or rows[0].series
    st.markdown(f"**{escape_md(label)}** ({escape_md(rows[0].unit)}), from the corpus tables")
    st.bar_chart(frame, x="period", y="value", color="entity", stack=False, height=260)
    st.caption("Sources: " + "; ".join(sorted({r.provenance for r in rows})))


def show_answer(answer: Answer, corpus_dir: str) -> None:
    st.markdown(answer_markdown(answer))
    if answer.refused and answer.refusal_reason:
        st.caption(f"Why: {answer.refusal_reason}")
    for call in answer.tool_calls:
        with st.container(border=True):
            st.markdown(f"**Calculation \\[{call.n}\\]** · `{call.name}`")
            st.code(f"{call.formula}  →  {format_number(call.result, call.unit)}", language=None)
            st.caption("Inputs from " + ", ".join(f"[{n}]" for n in call.cites) + f" · chosen by {call.chosen_by}")
    if answer.audit and answer.audit.claims:
        st.caption("Audit · " + figures_line(answer))
        with st.expander("Claim by claim"):
            for c in answer.audit.claims:
                st.markdown(f"{MARKS[c.verdict]} {escape_md(c.text)}", help=f"{c.verdict}: {c.reason}")
    cited = answer.cited()
    if cited:
        with st.expander(f"Sources ({len(cited)} cited)", expanded=True):
            for c in cited:
                n = c.n
                st.markdown(f'<span id="{anchor(answer.id, n)}"></span>', unsafe_allow_html=True)
                meta = " · ".join(escape_md(x) for x in (c.publisher, c.date, f"seed {c.seed}" if c.seed else "") if x)
                st.markdown(f"**\\[{n}\\] {escape_md(c.title or c.doc_id)}**" + (f"  \n{meta}" if meta else ""))
                st.markdown("> " + highlighted_passage(c, matched_figures(answer, n)))
    chart_for(answer, corpus_dir)
    st.caption(f"⚠️ {escape_md(answer.disclaimer)}")
    st.caption(f"model {escape_md(answer.model)} · settings {answer.settings_hash} · "
               f"{answer.timings.total_s:.1f}s")


def main() -> None:
    st.title("Analyst copilot")
    st.info(DISCLAIMER, icon="ℹ️")
    st.session_state.setdefault("answers", [])
    st.session_state.setdefault("session_id", uuid.uuid4().hex[:8])
    try:
        rt = runtime()
    except CopilotError as exc:
        show_error(exc)
        return
    sidebar(rt)
    corpus_dir = str(rt.settings.corpus_dir)

    for answer in st.session_state.answers:
        with st.chat_message("user"):
            st.markdown(escape_md(answer.question))
        with st.chat_message("assistant"):
            show_answer(answer, corpus_dir)

    question = st.chat_input("Ask about markets and supply chains…")
    if not question:
        return
    with st.chat_message("user"):
        st.markdown(escape_md(question))
    with st.chat_message("assistant"):
        live = st.empty()
        text = ""
        try:
            answer = None
            for item in ask_stream(question, runtime=rt, k=st.session_state.get("k"),
                                   session_id=st.session_state.session_id):
                if isinstance(item, Answer):
                    answer = item
                elif isinstance(item, Step):
                    live.caption(escape_md(f"{item.name}: {item.detail}"))
                else:
                    text += item
                    live.markdown(escape_md(text) + " ▌")
        except CopilotError as exc:
            live.empty()
            show_error(exc)
            return
        except Exception as exc:  # the page never shows a traceback
            live.empty()
            show_error(exc)
            return
        live.empty()
        st.session_state.answers.append(answer)
        show_answer(answer, corpus_dir)
    st.rerun()


main()
