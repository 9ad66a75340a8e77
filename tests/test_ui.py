"""The chat page under streamlit.testing.AppTest (fake LLM and embedder), and its pure parts: renumbering, labels,
period order, chart selection, example questions, uploads."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import copilot.runtime
from copilot.errors import LLMUnavailable
from copilot.history import History
from copilot.settings import PROJECT_ROOT
from copilot.types import Answer, AuditReport, Citation, ClaimAudit, FactRow, NumberTrace, ToolCall
from prompts import DISCLAIMER
from ui import charts, corpus, render
from ui.numbering import reading_order, renumber

APP = str(PROJECT_ROOT / "ui" / "app.py")
QUESTION = "How many more tons of magnets went to the United States than to Japan in November 2025?"


def _open(runtime, monkeypatch, session: str | None = None) -> AppTest:
    st.cache_resource.clear()
    monkeypatch.setattr(copilot.runtime, "_default", runtime)
    at = AppTest.from_file(APP, default_timeout=60)
    if session:
        at.query_params["session"] = session
    return at.run()


@pytest.fixture
def app(corpus_runtime, monkeypatch):
    return _open(corpus_runtime, monkeypatch)


def _html(at) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def _buttons(at, prefix: str) -> list:
    return [b for b in at.button if (b.key or "").startswith(prefix)]


def test_empty_page_has_examples_from_the_store_and_no_banner(app):
    assert not app.exception
    assert app.title[0].value == "Analyst copilot"
    assert not app.info  # no disclaimer banner: one compact disclaimer per answer instead
    examples = [b.label for b in _buttons(app, "example-")]
    assert len(examples) >= 3 and any("Japan" in q and "United States" in q for q in examples)
    assert "5 documents · 3 tables" in "\n".join(c.value for c in app.sidebar.caption)
    assert app.query_params["session"]  # the chat's id is in the URL, so a reload finds it


def test_answer_reads_well(app, fake_llm):
    fake_llm.queue("US-bound shipments were 582 t in November 2025 [0].")
    app.chat_input[0].set_value(QUESTION).run()
    assert not app.exception
    page = _html(app)
    assert 'class="cp-cite" href="#src-' in page and ">[1]</a>" in page  # the first mark read is [1]
    assert "Calculation [2]</b>: " in page and " minus " in page and "= 277 t" in page  # names what it compares
    assert "cp-badge cp-supported" in page and "✅" not in page  # text badges, no emoji
    assert '<details class="cp-sources"><summary>Sources (' in page  # collapsed list
    assert '<details class="cp-details"><summary>details</summary>' in page and "settings " in page
    assert page.count(DISCLAIMER.replace("'", "&#x27;")) == 1
    assert "<mark>582</mark>" in page  # the matched figure is highlighted in its passage
    assert {b.key for b in app.sidebar.get("download_button")} == {"dl-md", "dl-html", "dl-jsonl", "dl-csv"}
    assert not _buttons(app, "example-")


def test_model_text_is_escaped(app, fake_llm):
    fake_llm.queue("<script>alert('x')</script> MP Materials is expanding the Mountain Pass mine [0].")
    app.chat_input[0].set_value("Which mine is MP Materials expanding?").run()
    page = _html(app)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_document_titles_are_escaped_in_the_corpus_panel(corpus_runtime, monkeypatch, tmp_path):
    note = tmp_path / "note.md"
    note.write_text('---\ntitle: "<img src=x onerror=alert(1)> Ferry timetable"\n---\nThe ferry leaves at 9.\n')
    corpus_runtime.ingest([note], progress=False)
    at = _open(corpus_runtime, monkeypatch)
    sidebar = "\n".join(h.proto.body for h in at.sidebar.get("html"))
    assert "<img" not in sidebar and "&lt;img src=x onerror=alert(1)&gt; Ferry timetable" in sidebar


def test_model_down_is_a_message_not_a_traceback(app, fake_llm):
    fake_llm.queue(LLMUnavailable("cannot reach the LLM at http://127.0.0.1:9/v1"))
    app.chat_input[0].set_value("Which mine is MP Materials expanding?").run()
    assert not app.exception
    assert "cannot reach the LLM" in app.error[0].value


def test_empty_corpus_is_a_message(runtime, monkeypatch):
    at = _open(runtime, monkeypatch)
    at.chat_input[0].set_value("anything?").run()
    assert not at.exception and "copilot ingest" in at.error[0].value


def test_a_chat_is_restored_from_history_and_a_new_chat_starts_empty(corpus_runtime, fake_llm, monkeypatch):
    at = _open(corpus_runtime, monkeypatch)
    fake_llm.queue("MP Materials is expanding the Mountain Pass mine [0].")
    at.chat_input[0].set_value("Which mine is MP Materials expanding?").run()
    sid = at.query_params["session"]
    assert History(corpus_runtime.settings.history_path).answers(sid)[0].session_id == sid

    again = _open(corpus_runtime, monkeypatch, session=sid)  # a reload: a new browser session, same URL
    assert "Mountain Pass mine" in _html(again) and len(again.get("chat_message")) == 2

    _buttons(again, "new-chat")[0].click().run()
    assert not again.get("chat_message") and _buttons(again, "example-")
    assert again.query_params["session"] != sid
    past = _buttons(again, f"chat-{sid}")
    assert past and "Which mine is MP Materials expanding" in past[0].label
    past[0].click().run()
    assert "Mountain Pass mine" in _html(again)


def test_follow_up_passes_the_session_and_shows_what_was_answered(corpus_runtime, fake_llm, monkeypatch):
    seen = []
    import ui.app  # noqa: F401  (the page module imports ask_stream from the pipeline)
    import copilot.pipeline as pipeline

    real = pipeline.ask_stream

    def spy(question, **kwargs):
        seen.append(kwargs.get("session_id"))
        yield from real(question, **kwargs)

    monkeypatch.setattr(pipeline, "ask_stream", spy)
    at = _open(corpus_runtime, monkeypatch)
    fake_llm.default = "MP Materials is expanding the Mountain Pass mine [0]."
    at.chat_input[0].set_value("Which mine is MP Materials expanding?").run()
    at.chat_input[0].set_value("And who runs it?").run()
    sid = at.query_params["session"]
    assert seen == [sid, sid]
    history = History(corpus_runtime.settings.history_path)
    first = history.answers(sid)[-1]
    history.save(first.model_copy(update={"id": "rewritten1", "question": "And in October?",
                                          "standalone_question": "Which mine was MP Materials expanding in October?"}))
    again = _open(corpus_runtime, monkeypatch, session=sid)
    assert "Answered as: Which mine was MP Materials expanding in October?" in _html(again)


def test_example_question_is_asked_on_click(app, fake_llm):
    fake_llm.default = "The figure is stated in the sources [0]."
    _buttons(app, "example-")[0].click().run()
    assert not app.exception and len(app.get("chat_message")) == 2


def test_remove_document_updates_the_list_and_counts(app):
    _buttons(app, "remove-lumida")[0].click().run()
    assert not app.exception
    assert "4 documents · 3 tables" in "\n".join(c.value for c in app.sidebar.caption)
    assert not _buttons(app, "remove-lumida") and any("Removed" in s.value for s in app.sidebar.success)


def test_reingest_reads_the_file_again(corpus_runtime, monkeypatch, tmp_path):
    note = tmp_path / "ferry.md"
    note.write_text("---\ntitle: Ferry timetable\n---\nThe first ferry leaves at 9.\n")
    corpus_runtime.ingest([note], progress=False)
    ferry = next(v.doc_id for v in corpus_runtime.store.committed().values() if v.title == "Ferry timetable")
    at = _open(corpus_runtime, monkeypatch)
    _buttons(at, f"reingest-{ferry}")[0].click().run()
    assert any("Ferry timetable: unchanged" in s.value for s in at.sidebar.success)
    note.write_text("---\ntitle: Ferry timetable\n---\nThe first ferry leaves at 8.\nA second one at 10.\n")
    _buttons(at, f"reingest-{ferry}")[0].click().run()
    assert any("Ferry timetable: replaced" in s.value for s in at.sidebar.success)
    note.unlink()
    _buttons(at, f"reingest-{ferry}")[0].click().run()
    assert any("no longer at" in e.value for e in at.sidebar.error)


def test_model_health_prints_one_line(app):
    before = len(app.sidebar.markdown) + len(app.sidebar.get("html"))
    app.button(key="health").click().run()
    assert [s.value for s in app.sidebar.success] == ["The model answers."]
    assert len(app.sidebar.markdown) + len(app.sidebar.get("html")) == before  # nothing else dumped


# --- the pure parts -------------------------------------------------------------------------------------------

def _answer() -> Answer:
    rows = {
        "us": FactRow(series="s", entity="United States", period="2025-11", value=582, unit="t", qualifier="approx",
                      source_doc="d", label="exports"),
        "jp": FactRow(series="s", entity="Japan", period="2025-11", value=305, unit="t", source_doc="d",
                      label="exports"),
    }
    cites = [Citation(n=0, doc_id="a", text="Background text.", title="Other"),
             Citation(n=1, doc_id="t", kind="row", text="exports, Japan: 305 t.", facts=[rows["jp"]]),
             Citation(n=2, doc_id="t", kind="row", text="exports, United States: about 582 t.", facts=[rows["us"]]),
             Citation(n=3, doc_id="calculation", kind="calculation", text="582 - 305 = 277. Inputs from [2] and [1].")]
    call = ToolCall(name="difference", args={"a": 582, "b": 305}, result=277, formula="582 - 305 = 277", unit="t",
                    cites=[2, 1], n=3)
    claims = [ClaimAudit(index=0, text="The gap was 277 t [3].", citations=[3], verdict="supported",
                         numbers=[NumberTrace(raw="277", value=277, found_in="tool", where=[3])], support={3: 0.9}),
              ClaimAudit(index=1, text="Japan took 305 t [1].", citations=[1], verdict="partial", support={1: 0.5})]
    return Answer(question="q", text="The gap was 277 t [3]. Japan took 305 t [1].", draft="gap [3]", citations=cites,
                  tool_calls=[call], audit=AuditReport(claims=claims), disclaimer=DISCLAIMER)


def test_renumber_follows_reading_order_everywhere():
    a = _answer()
    assert reading_order(a) == [3, 1, 2, 0]
    r = renumber(a)
    assert r.text == "The gap was 277 t [1]. Japan took 305 t [2]."
    assert [c.n for c in r.citations] == [1, 2, 3, 4] and r.citation(1).kind == "calculation"
    assert r.citation(1).text.endswith("Inputs from [3] and [2].")
    assert r.tool_calls[0].n == 1 and r.tool_calls[0].cites == [3, 2]
    assert [c.citations for c in r.audit.claims] == [[1], [2]] and r.audit.claims[0].support == {1: 0.9}
    assert r.audit.claims[0].numbers[0].where == [1] and r.draft == "gap [1]"
    assert a.text.endswith("[1].") and a.citation(3).kind == "calculation"  # the original is untouched
    assert [c.n for c in r.cited()] == [1, 2, 3]


def test_an_uncited_calculation_is_still_numbered_and_listed_with_its_inputs():
    a = _answer().model_copy(update={"text": "The gap was 277 t."})
    a.audit.claims = [ClaimAudit(index=0, text="The gap was 277 t.", verdict="uncited")]
    r = renumber(a)
    assert r.tool_calls[0].n == 1 and r.tool_calls[0].cites == [2, 3]
    assert "Calculation [1]" in render.answer_head_html(r)
    assert "<summary>Sources (3)</summary>" in render.sources_html(r)


def test_calculation_names_its_inputs_and_keeps_hedges():
    r = renumber(_answer())
    sentence = render.calculation_sentence(r.tool_calls[0], r)
    assert sentence == "United States, November 2025: about 582 t [3] minus Japan, November 2025: 305 t [2] = about 277 t"
    labelled = r.tool_calls[0].model_copy(update={"labels": {"a": "US, November 2025: 582 t",
                                                             "b": "Japan, November 2025: 305 t"}})
    assert render.calculation_sentence(labelled, r) == ("US, November 2025: 582 t [3] minus Japan, November 2025: "
                                                        "305 t [2] = about 277 t")


def test_rows_read_like_prose():
    row = FactRow(series="term_years", entity="Acme", period="2025", value=1, unit="years", source_doc="d",
                  label="contract term")
    assert render.row_phrase(row) == "contract term, Acme, 2025: 1 year"
    below = FactRow(series="x", entity="Port A", period="2024-Q3", value=50, unit="t", qualifier="below",
                    source_doc="d")
    assert render.row_phrase(below) == "x, Port A, Q3 2024: below 50 t"
    assert "seed" not in render.source_heading(Citation(n=1, doc_id="d", text="t", title="T", seed="003_f0.txt"))


@pytest.mark.parametrize("periods, expected", [
    (["2025-11", "2025-10", "2025-09"], ["2025-09", "2025-10", "2025-11"]),
    (["2025-Q3", "2025-H1", "2025-Q1", "2024"], ["2024", "2025-Q1", "2025-H1", "2025-Q3"]),
    (["FY2026", "2025-12-01", "2025-11-30"], ["2025-11-30", "2025-12-01", "FY2026"]),
    (["2025-11-03..2025-12-19", "2025-10"], ["2025-10", "2025-11-03..2025-12-19"]),
])
def test_periods_sort_in_time_order(periods, expected):
    assert sorted(periods, key=charts.period_key) == expected


def _harvest(region: str, period: str, value: float, qualifier: str = "") -> FactRow:
    return FactRow(series="wheat_harvest_kt", entity=region, period=period, value=value, unit="kt",
                   qualifier=qualifier, source_doc="grain-report", label="wheat harvest")


def test_chart_takes_only_cited_entities_in_time_order_and_marks_hedges():
    stored = [_harvest("North", "2024-11", 40, "below"), _harvest("North", "2024-10", 90),
              _harvest("South", "2024-11", 70, "approx"), _harvest("All regions", "2024-11", 400),
              FactRow(series="rain_mm", entity="North", period="2024-11", value=3, unit="mm", source_doc="w")]
    cites = [Citation(n=0, doc_id="t", kind="row", text="North", facts=[stored[0]]),
             Citation(n=1, doc_id="t", kind="row", text="South", facts=[stored[2]])]
    answer = Answer(question="q", text="North [0] and South [1].", citations=cites,
                    audit=AuditReport(claims=[ClaimAudit(index=0, text="x", citations=[0, 1])]))
    data = charts.chart_data(answer, stored)
    assert data.entities == ["North", "South"] and data.periods == ["Oct 2024", "Nov 2024"]
    labels = {(p["entity"], p["period"]): p["label"] for p in data.points}
    assert labels == {("North", "Oct 2024"): "90 kt", ("North", "Nov 2024"): "<40 kt",
                      ("South", "Nov 2024"): "≈70 kt"}
    spec = charts.vega_spec(data)
    assert spec["encoding"]["x"]["sort"] == ["Oct 2024", "Nov 2024"]
    assert spec["encoding"]["color"]["legend"]["labelLimit"] == 0  # never cut


def test_examples_come_from_what_is_stored():
    stored = [_harvest("North", "2024-10", 90), _harvest("North", "2024-11", 80), _harvest("South", "2024-11", 70)]

    class Doc:
        kind, title, date = "text", "Grain cooperative annual letter", "2024-12-01"

    qs = corpus.example_questions(stored, [Doc()])
    assert qs[0] == "What is the difference in wheat harvest between North and South in November 2024?"
    assert qs[1] == "What was the percent change in wheat harvest for North from October 2024 to November 2024?"
    assert "Grain cooperative annual letter" in qs[-1]


def test_uploads_keep_their_name_and_never_overwrite(tmp_path):
    first, note = corpus.save_upload(tmp_path, "notes.txt", b"one")
    assert first.name == "notes.txt" and not note
    same, note = corpus.save_upload(tmp_path, "notes.txt", b"one")
    assert same == first and not note
    other, note = corpus.save_upload(tmp_path, "../notes.txt", b"two")
    assert other.name == "notes (2).txt" and "notes (2).txt" in note and first.read_bytes() == b"one"


def test_store_lists_table_rows_and_removes_a_document(corpus_runtime):
    store = corpus_runtime.store
    rows = store.fact_rows()
    assert any(r.entity == "Japan" and r.value == 305 for r in rows)
    before = store.stats()
    table = next(v.doc_id for v in store.committed().values() if v.path.endswith("magnet_exports.csv"))
    assert store.remove_document(table) > 0
    assert store.stats()["tables"] == before["tables"] - 1
    assert not any(r.table == "magnet_exports" for r in store.fact_rows())
    assert Path(CORPUS_TABLE).exists()  # the file itself stays


CORPUS_TABLE = PROJECT_ROOT / "corpus" / "tables" / "magnet_exports.csv"
