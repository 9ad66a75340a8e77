"""The chat page's logic under streamlit.testing.AppTest, with the fake LLM and embedder."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import copilot.runtime
from copilot.errors import LLMUnavailable
from copilot.settings import PROJECT_ROOT
from prompts import DISCLAIMER

APP = str(PROJECT_ROOT / "ui" / "app.py")
QUESTION = "How many more tons of magnets went to the United States than to Japan in November 2025?"


@pytest.fixture
def app(corpus_runtime, monkeypatch):
    st.cache_resource.clear()
    monkeypatch.setattr(copilot.runtime, "_default", corpus_runtime)
    at = AppTest.from_file(APP, default_timeout=60)
    return at.run()


def _all_markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_page_shows_disclaimer_and_corpus_summary(app):
    assert not app.exception
    assert app.title[0].value == "Analyst copilot"
    assert app.info[0].value == DISCLAIMER
    assert "**5** documents" in "\n".join(m.value for m in app.sidebar.markdown)


def test_question_gets_linked_citations_calculation_audit_and_sources(app, fake_llm):
    fake_llm.queue("US-bound shipments were 582 t in November 2025 [0].")
    app.chat_input[0].set_value(QUESTION).run()
    assert not app.exception
    text = _all_markdown(app)
    assert "[\\[0\\]](#src-" in text  # a citation marker linking to the sources panel
    assert "Calculation \\[" in text and any("582 - 305 = 277" in c.value for c in app.code)
    assert "Audit · Claims supported" in text
    assert any(e.label.startswith("Sources (") for e in app.expander)
    assert ":orange-background[**582**]" in text  # the matched figure is highlighted in its passage
    assert DISCLAIMER.split(":")[0] in text
    assert len(app.sidebar.get("download_button")) == 3


def test_model_text_is_escaped(app, fake_llm):
    fake_llm.queue("<script>alert('x')</script> MP Materials is expanding the Mountain Pass mine [0].")
    app.chat_input[0].set_value("Which mine is MP Materials expanding?").run()
    text = _all_markdown(app)
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_model_down_is_a_message_not_a_traceback(app, fake_llm):
    fake_llm.queue(LLMUnavailable("cannot reach the LLM at http://127.0.0.1:9/v1"))
    app.chat_input[0].set_value("Which mine is MP Materials expanding?").run()
    assert not app.exception
    assert "cannot reach the LLM" in app.error[0].value


def test_empty_corpus_is_a_message(runtime, monkeypatch):
    st.cache_resource.clear()
    monkeypatch.setattr(copilot.runtime, "_default", runtime)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.chat_input[0].set_value("anything?").run()
    assert not at.exception and "copilot ingest" in at.error[0].value
