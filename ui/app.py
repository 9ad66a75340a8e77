"""The chat page: chats kept in the history store (a reload restores them), a corpus panel, answers with their
sources, calculations, audit badges and charts, and exports."""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path

import streamlit as st

from copilot.errors import CopilotError
from copilot.export import answers_to_csv, answers_to_html, answers_to_jsonl, answers_to_markdown
from copilot.history import History
from copilot.pipeline import ask_stream, warm_up
from copilot.runtime import default_runtime
from copilot.types import Answer, Step
from ui import charts, corpus, render
from ui.numbering import renumber

st.set_page_config(page_title="Analyst copilot", layout="centered")

UPLOAD_TYPES = ["txt", "md", "html", "htm", "pdf", "csv"]
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@st.cache_resource(show_spinner="Loading the models…")
def runtime():
    rt = default_runtime()
    # the model starts and reads the fixed instructions while the page is read: the first answer comes sooner
    threading.Thread(target=warm_up, args=(rt,), daemon=True).start()
    return rt


def show_error(exc: Exception, where=st) -> None:
    where.error(str(exc) if isinstance(exc, CopilotError) else f"Something went wrong: {type(exc).__name__}: {exc}")


def flash(kind: str, text: str) -> None:
    """A message shown once, on the next run of the page (after the change it reports)."""
    st.session_state.setdefault("flash", []).append((kind, text))


# --- sessions ---------------------------------------------------------------------------------------------------

def new_session_id() -> str:
    return time.strftime("%Y%m%d-") + uuid.uuid4().hex[:6]


def current_session() -> str:
    """The chat on screen: kept in the URL (?session=…), so a reload or a bookmark restores it from the history."""
    sid = st.session_state.get("session_id")
    if sid is None:
        wanted = st.query_params.get("session", "")
        sid = wanted if _SESSION_ID.fullmatch(wanted) else new_session_id()
        st.session_state.session_id = sid
    if st.query_params.get("session") != sid:
        st.query_params["session"] = sid
    return sid


def open_session(sid: str) -> None:
    st.session_state.session_id = sid


def start_new_chat() -> None:
    st.session_state.session_id = new_session_id()


def ask_later(question: str) -> None:
    st.session_state.pending = question


# --- corpus changes (button callbacks: they run before the page, so the panel shows the new state) ----------

def remove_document(doc_id: str, title: str) -> None:
    try:
        removed = runtime().store.remove_document(doc_id)
        flash("success", f"Removed {title} ({removed} chunk{'' if removed == 1 else 's'}).")
    except CopilotError as exc:
        flash("error", str(exc))


def reingest_document(path: str, title: str) -> None:
    if not Path(path).is_file():
        flash("error", f"Cannot re-ingest {title}: its file is no longer at {path}.")
        return
    try:
        report = runtime().ingest([Path(path)], progress=False)
    except CopilotError as exc:
        flash("error", str(exc))
        return
    for f in report.files:
        text = f"{title}: {f.status}" + (f" ({f.reason})" if f.reason else f", {chunks(f.chunks)}")
        flash("warning" if f.status == "failed" else "success", text)


def chunks(n: int) -> str:
    return f"{n} chunk" if n == 1 else f"{n} chunks"


def ingest_uploads(rt, uploads) -> None:
    folder = rt.settings.home / "uploads"
    paths = []
    for up in uploads:
        path, note = corpus.save_upload(folder, up.name, up.getvalue())
        paths.append(path)
        if note:
            flash("info", note)
    try:
        report = rt.ingest(paths, progress=False)
    except CopilotError as exc:
        flash("error", str(exc))
        return
    for f in report.files:
        text = f"{Path(f.path).name}: {f.status}" + (f" ({f.reason})" if f.reason else f", {chunks(f.chunks)}")
        flash("warning" if f.status == "failed" else "success", text)
    st.session_state.upload_round = st.session_state.get("upload_round", 0) + 1  # empties the uploader


# --- sidebar ----------------------------------------------------------------------------------------------------

def for_reading(answer: Answer) -> Answer:
    """A copy for a person's report: seed file names left out (they stay in the JSONL export)."""
    return answer.model_copy(update={"citations": [c.model_copy(update={"seed": ""}) for c in answer.citations]})


def chats_panel(history: History, sid: str, answers: list[Answer]) -> None:
    st.button("New chat", key="new-chat", type="primary", icon=":material/add:", on_click=start_new_chat,
              width="stretch")
    sessions = history.sessions()
    titles = history.titles()
    if sessions:
        st.markdown("**Chats**")
        for other, count, _last in sessions[:12]:
            title = titles.get(other, other)
            short = title if len(title) <= 52 else title[:50].rstrip() + "…"
            st.button(f"{render.escape_md(short)} ({count})", key=f"chat-{other}", on_click=open_session,
                      args=(other,), type="secondary" if other == sid else "tertiary", disabled=other == sid,
                      width="stretch", help=render.escape_md(title))
    if answers:
        st.markdown("**Export this chat**")
        shown = [renumber(a) for a in answers]
        readable = [for_reading(a) for a in shown]
        left, right = st.columns(2)
        left.download_button("Markdown", answers_to_markdown(readable), f"chat-{sid}.md", "text/markdown",
                             key="dl-md", width="stretch")
        right.download_button("HTML", answers_to_html(readable), f"chat-{sid}.html", "text/html", key="dl-html",
                              width="stretch")
        left.download_button("JSONL", answers_to_jsonl(shown), f"chat-{sid}.jsonl", "application/jsonl",
                             key="dl-jsonl", width="stretch", help="Re-importable: `copilot audit FILE`")
        right.download_button("CSV", answers_to_csv(shown), f"chat-{sid}.csv", "text/csv", key="dl-csv",
                              width="stretch", help="One row per claim")


def corpus_panel(rt) -> None:
    st.markdown("**Documents and tables**")
    for kind, text in st.session_state.pop("flash", []):
        getattr(st, kind)(text)
    try:
        stats = rt.store.stats()
        docs = corpus.documents(rt.store)
    except CopilotError as exc:
        show_error(exc)
        return
    st.caption(f"{stats['documents']} documents · {stats['tables']} tables · {stats['chunks']} chunks",
               help="Counted from the store after every change.")
    with st.expander(f"Stored ({len(docs)})", expanded=False):
        if not docs:
            st.caption("Nothing stored yet: add files below, or run `copilot ingest`.")
        for i, v in enumerate(docs):
            kind = {"text": "", "table": "table", "knowledge": "data file (names, totals)"}.get(v.kind, v.kind)
            meta = " · ".join(x for x in (kind, v.publisher,
                                          render.date_text(v.date), chunks(v.n_chunks)) if x)
            st.html(f'<div class="cp-doc"><b>{render.esc(v.title or v.doc_id)}</b><br>'
                    f'<span class="cp-muted">{render.esc(meta)}</span></div>')
            left, right = st.columns(2)
            left.button("Re-ingest", key=f"reingest-{v.doc_id}", on_click=reingest_document,
                        args=(v.path, v.title or v.doc_id), type="tertiary", icon=":material/refresh:",
                        help="Read the file again (a changed file replaces its old chunks).")
            right.button("Remove", key=f"remove-{v.doc_id}", on_click=remove_document,
                         args=(v.doc_id, v.title or v.doc_id), type="tertiary", icon=":material/delete:",
                         help="Delete this document's chunks from the store.")
    round_ = st.session_state.get("upload_round", 0)
    uploads = st.file_uploader("Add documents or tables", type=UPLOAD_TYPES, accept_multiple_files=True,
                               key=f"upload-{round_}")
    if uploads and st.button("Ingest", key="ingest", icon=":material/upload:"):
        with st.spinner("Ingesting…"):
            ingest_uploads(rt, uploads)
        st.rerun()


def model_panel(rt) -> None:
    s = rt.settings
    with st.expander("Model and settings"):
        st.caption(render.escape_md(f"{s.llm_model} · {s.llm_base_url or 'embedded llama.cpp on 127.0.0.1'}"))
        if st.button("Check the model", key="health"):
            try:
                problem = rt.llm.health()
            except CopilotError as exc:
                problem = str(exc)
            if problem is None:
                st.success("The model answers.")
            else:
                st.error(problem)
        st.session_state.k = st.slider("Sources per question", 2, 12, st.session_state.get("k", s.k), key="k-slider")


# --- the chat ---------------------------------------------------------------------------------------------------

def fact_rows(rt) -> list:
    """The store's table rows, read again only when the stored documents change."""
    key = tuple(sorted((d, v.file_hash) for d, v in rt.store.committed().items()))
    cached = st.session_state.get("rows-cache")
    if cached is None or cached[0] != key:
        cached = (key, rt.store.fact_rows())
        st.session_state["rows-cache"] = cached
    return cached[1]


def show_answer(answer: Answer, rows: list) -> None:
    shown = renumber(answer)
    st.html(render.answer_head_html(shown))
    data = charts.chart_data(shown, rows)
    if data is not None:
        st.caption(render.escape_md(f"{data.title} ({data.unit})" if data.unit else data.title))
        st.vega_lite_chart(charts.vega_spec(data), width="stretch")
        notes = ["≈ about, < or > a bound: the source hedges these, drawn lighter"] if data.hedged else []
        st.caption(render.escape_md("; ".join(notes + ["from the stored tables: " + "; ".join(data.sources)])))
    st.html(render.answer_tail_html(shown))
    with st.popover("Copy", icon=":material/content_copy:"):
        st.code(render.plain_text(shown), language=None, wrap_lines=True)


def empty_page(rows: list, docs: list) -> None:
    st.markdown("Ask about the documents and tables in the store. Every sentence cites its sources, figures are "
                "computed by code from cited numbers, and every claim is checked.")
    examples = corpus.example_questions(rows, docs)
    if examples:
        st.caption("Try one of these")
        for i, q in enumerate(examples):
            st.button(render.escape_md(q), key=f"example-{i}", on_click=ask_later, args=(q,))


def answer_now(rt, question: str, sid: str) -> None:
    """Ask, showing each step as it happens and the draft as a draft; the audited answer replaces both."""
    with st.chat_message("user"):
        st.markdown(render.escape_md(question))
    with st.chat_message("assistant"):
        status = st.status("Starting…", expanded=True)
        draft = st.empty()
        text = ""
        try:
            for item in ask_stream(question, runtime=rt, k=st.session_state.get("k"), session_id=sid):
                if isinstance(item, Step):
                    label = render.step_label(item)
                    status.update(label=render.escape_md(label))
                    status.caption(render.escape_md(label))
                elif isinstance(item, Answer):
                    status.update(label=f"Answered in {item.timings.total_s:.1f} s", state="complete",
                                  expanded=False)
                else:
                    text += item
                    draft.html(render.draft_html(text))
        except Exception as exc:  # CopilotError is a message; anything else too: the page never shows a traceback
            status.update(label="Not answered", state="error", expanded=False)
            draft.empty()
            show_error(exc)
            return
    st.rerun()


def main() -> None:
    st.html(render.CSS)
    try:
        rt = runtime()
        history = History(rt.settings.history_path)
    except CopilotError as exc:
        show_error(exc)
        return
    sid = current_session()
    answers = history.answers(sid)
    with st.sidebar:
        chats_panel(history, sid, answers)
        st.divider()
        corpus_panel(rt)
        st.divider()
        model_panel(rt)

    st.title("Analyst copilot")
    try:
        rows = fact_rows(rt)
        docs = corpus.documents(rt.store)
    except CopilotError as exc:
        show_error(exc)
        rows, docs = [], []
    question = st.chat_input("Ask about markets and supply chains…")
    question = question or st.session_state.pop("pending", None)
    if not answers and not question:
        empty_page(rows, docs)
    for answer in answers:
        with st.chat_message("user"):
            st.markdown(render.escape_md(answer.question))
        with st.chat_message("assistant"):
            show_answer(answer, rows)
    if question:
        answer_now(rt, question, sid)


main()
