"""Question limits and clean input: control characters out, a length limit with a clear error (exit 1)."""

import pytest
from click.testing import CliRunner

from copilot.cli import cli
from copilot.errors import QuestionError
from copilot.export import answers_to_csv
from copilot.pipeline import ask
from copilot.questions import clean_question


@pytest.mark.parametrize("raw,clean", [
    ("What moved  Brent\tcrude?", "What moved Brent crude?"),
    ("Coffee\x00 prices\x00?", "Coffee prices?"),
    ("Freight\x1b[2J rates\x7f?", "Freight[2J rates?"),
    ("Power\u200b de\u202emand?", "Power demand?"),  # zero-width space and a bidi override
    ("  Café crème in Zürich?\n", "Café crème in Zürich?"),
])
def test_control_and_invisible_characters_are_removed(raw, clean):
    assert clean_question(raw, 200) == clean


@pytest.mark.parametrize("raw", ["", "   ", "\x00" * 50, "\x00\x01\u200b\n"])
def test_nothing_left_is_an_empty_question(raw):
    with pytest.raises(QuestionError, match="empty"):
        clean_question(raw, 200)


def test_the_limit_counts_the_cleaned_question():
    assert clean_question("a" * 100 + "\x00" * 50, 100) == "a" * 100
    with pytest.raises(QuestionError, match="101 characters long; the limit is 100"):
        clean_question("a" * 101, 100)


@pytest.mark.parametrize("question,message", [
    ("How did LNG spot prices move? " * 700, "characters long; the limit is 2,000"),
    ("\x00" * 64, "the question is empty"),
])
def test_cli_rejects_a_bad_question_before_any_model_call(question, message, monkeypatch):
    monkeypatch.setenv("COPILOT_EMBEDDER", "fake")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "--quiet"]).exit_code == 0
    # a dead endpoint: were the model called, this would be exit 3
    result = runner.invoke(cli, ["--llm-base-url", "http://127.0.0.1:9/v1", "ask", question])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and message in result.output and result.output.count("\n") == 1


def test_a_question_with_nuls_is_answered_clean_and_exported_clean(corpus_runtime, fake_llm):
    fake_llm.queue("MP Materials is expanding the Mountain Pass mine [0].")
    a = ask("Which mine\x00 is MP Materials\x00 expanding?", runtime=corpus_runtime)
    assert a.question == "Which mine is MP Materials expanding?"
    assert "\x00" not in fake_llm.calls[0]["messages"][-1]["content"] and "\x00" not in answers_to_csv([a])


def test_the_limit_is_a_setting(corpus_runtime):
    corpus_runtime.settings.max_question_chars = 20
    with pytest.raises(QuestionError, match="limit is 20"):
        ask("Which shipping lanes were busiest in May?", runtime=corpus_runtime)
