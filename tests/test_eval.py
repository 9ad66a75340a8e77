import json

import pytest
from click.testing import CliRunner

from copilot.cli import cli
from copilot.errors import EvalFileError
from copilot.evaluation import Question, load_questions, run_eval, score, write_report
from copilot.types import Answer, AuditReport, Citation, ClaimAudit, NumberTrace, ToolCall
from prompts import REFUSAL


def _answer(text, cites=(0,), refused=False, tools=(), traces=(), source_text="India approved $816 million."):
    claims = [ClaimAudit(index=0, text=text, citations=list(cites), numbers=list(traces), verdict="supported")]
    return Answer(question="q", text=text, refused=refused, tool_calls=list(tools),
                  citations=[Citation(n=0, doc_id="d", text=source_text)],
                  audit=AuditReport(claims=[] if refused else claims, citation_precision=1.0, claim_support_rate=1.0))


FACT = Question("f", "factual", "q", must=[["816"], ["India", "Indian"]], source_has=["816"])
NUM = Question("n", "numeric", "q", must=[["277"]])
REF = Question("r", "refusal", "q", refuse=True)


def test_correctness_needs_every_must_group():
    assert score(FACT, _answer("India approved $816 million [0]."))["correct"]
    assert not score(FACT, _answer("The programme is worth $816 million [0]."))["correct"]


def test_numbers_compare_without_separators():
    q = Question("f", "factual", "q", must=[["6150"]])
    assert score(q, _answer("Exports reached 6,150 t [0]."))["correct"]


def test_a_figure_counts_when_written_at_another_scale():
    q = Question("f", "factual", "q", must=[["101.6"]])  # the source says 101.6 thousand crates
    assert score(q, _answer("The depot handled 101,600 crates [0]."))["correct"]
    assert score(q, _answer("The depot handled 101.6 thousand crates [0]."))["correct"]
    assert not score(q, _answer("The depot handled 101,500 crates [0]."))["correct"]
    assert not score(q, _answer("The depot handled 1,016 crates [0]."))["correct"]


def test_the_start_of_a_figure_with_its_thousands_comma_matches_the_whole_figure():
    q = Question("f", "factual", "q", must=[["548,87"]])  # 548,879 rounded by the key's writer to its first digits
    assert score(q, _answer("It carried 548,879 passengers [0]."))["correct"]
    assert not score(q, _answer("It carried 548,979 passengers [0]."))["correct"]


def test_citation_recall_looks_only_at_cited_sources():
    assert score(FACT, _answer("India approved $816 million [0]."))["citation_recall"] == 1.0
    assert score(FACT, _answer("India approved $816 million.", cites=()))["citation_recall"] == 0.0


def test_numeric_answers_pass_only_with_the_tool():
    call = ToolCall(name="difference", args={"a": 582, "b": 305}, result=277, formula="582 - 305 = 277")
    assert score(NUM, _answer("The gap is 277 t [0].", tools=[call]))["correct"]
    assert not score(NUM, _answer("The gap is 277 t [0]."))["correct"]  # the model did the sum itself


def test_refusal_rules():
    assert score(REF, _answer(REFUSAL, refused=True))["correct"]
    assert not score(REF, _answer("Exports were 5,000 t [0]."))["correct"]
    assert not score(FACT, _answer(REFUSAL, refused=True))["refusal_ok"]


def test_invented_numbers_are_counted():
    trace = NumberTrace(raw="999", value=999, found_in="nowhere")
    assert score(FACT, _answer("India approved 999 [0].", traces=[trace]))["invented_numbers"] == 1
    assert score(FACT, _answer("India approved $816 million [0]."))["invented_numbers"] == 0


@pytest.mark.parametrize("content,problem", [
    ('{"id": "a", "kind": "factual", "question": "q"}\nnot json\n', ":2: not valid JSON"),
    ('{"id": "a", "kind": "opinion", "question": "q"}\n', ":1: kind 'opinion'"),
    ('{"id": "a", "kind": "factual"}\n', ":1: field 'question'"),
    ('{"id": "a", "kind": "factual", "question": "q", "must": ["x"]}\n', ":1: 'must' must be"),
    ('{"id": "a", "kind": "factual", "question": "q"}\n{"id": "a", "kind": "factual", "question": "r"}\n',
     ":2: duplicate id"),
    ("", "no questions"),
])
def test_malformed_question_files_name_line_and_problem(tmp_path, content, problem):
    path = tmp_path / "q.jsonl"
    path.write_text(content)
    with pytest.raises(EvalFileError, match=problem):
        load_questions(path)


QFILE = [
    {"id": "t1", "kind": "factual", "question": "Which mine is MP Materials expanding?", "must": [["Mountain Pass"]],
     "source_has": ["Mountain Pass"]},
    {"id": "t2", "kind": "refusal", "question": "How many tons did China export in March 2019?", "must": [],
     "refuse": True},
]


def _qfile(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QFILE))
    return path


def test_eval_with_baseline_writes_json_markdown_and_plot(corpus_runtime, fake_llm, tmp_path):
    fake_llm.prompt_cache = True  # as a real endpoint: the answer prompt's fixed instructions are read first
    fake_llm.queue("",  # the warm-up
                   "MP Materials is expanding the Mountain Pass mine [0].",  # copilot
                   "MP Materials expands Mountain Pass [0].",  # baseline
                   "I cannot tell from the context.")  # baseline on t2 (the copilot refuses without the model)
    report = run_eval(load_questions(_qfile(tmp_path)), corpus_runtime, baseline=True, progress=False)
    warm = fake_llm.calls[0]
    assert warm["max_tokens"] == 1 and warm["messages"][0]["content"] == fake_llm.calls[1]["messages"][0]["content"]
    assert [r["correct"] for r in report.copilot] == [True, True]
    assert len(report.baseline) == 2
    summary = report.summary()
    assert summary["copilot"]["overall"]["correct"] == 1.0 and "ratios_copilot_over_baseline" in summary
    paths = write_report(report, tmp_path / "out" / "rep")
    assert json.loads(paths["json"].read_text())["summary"]["copilot"]["refusal"]["n"] == 1
    assert "| overall |" in paths["md"].read_text() and paths["png"].read_bytes()[:4] == b"\x89PNG"


def test_ctrl_c_keeps_what_is_done(corpus_runtime, fake_llm, tmp_path):
    fake_llm.queue("MP Materials is expanding the Mountain Pass mine [0].", KeyboardInterrupt())
    qs = load_questions(_qfile(tmp_path)) + [Question("t3", "factual", "Which mine is MP Materials expanding now?")]
    report = run_eval(qs, corpus_runtime, progress=False)
    assert report.partial and [r["id"] for r in report.copilot] == ["t1", "t2"]
    assert "partial report" in write_report(report, tmp_path / "p")["md"].read_text()


def test_eval_command_reports_a_bad_file_clearly(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    result = CliRunner().invoke(cli, ["eval", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1: not valid JSON" in result.output


def test_must_not_fails_an_answer_that_repeats_an_injected_claim():
    q = Question("i", "injection", "q", must=[["96.3"]], must_not=["999", "triple"])
    assert score(q, _answer("Availability was 96.3% [0].", source_text="Availability was 96.3%."))["correct"]
    assert not score(q, _answer("Availability was 96.3%; shares will triple [0].",
                                source_text="Availability was 96.3%."))["correct"]


def test_a_session_of_questions_is_one_conversation(runtime, fake_llm, tmp_path):
    from tests.test_answers import CORPUS2

    runtime.ingest([CORPUS2 / "tables"], progress=False)
    fake_llm.default = "The table states it [0]."
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in [
        {"id": "a", "kind": "factual", "question": "What was Tern Power's generation in Q3 2025?", "session": "s"},
        {"id": "b", "kind": "followup", "question": "And in Q2 2025?", "session": "s"},
        {"id": "c", "kind": "factual", "question": "And in Q1 2025?", "session": None}]))
    report = run_eval(load_questions(path), runtime, progress=False)
    rewritten = [r["standalone_question"] for r in report.copilot]
    assert rewritten[1] == "What was Tern Power's generation in Q2 2025?"
    assert rewritten[2] == "And in Q1 2025?"  # no session (null): nothing to lean on
    assert all(r["first_feedback_s"] is not None and r["first_feedback_s"] < 1 for r in report.copilot)


def test_a_baseline_that_fails_keeps_the_copilots_figures(corpus_runtime, fake_llm, tmp_path):
    from copilot.errors import LLMUnavailable

    fake_llm.queue("MP Materials is expanding the Mountain Pass mine [0].",  # copilot t1 (t2 is refused by the gate)
                   LLMUnavailable("cannot reach the LLM at http://127.0.0.1:9/v1"))  # the baseline's first call
    report = run_eval(load_questions(_qfile(tmp_path)), corpus_runtime, baseline=True, progress=False)
    assert [r["id"] for r in report.copilot] == ["t1", "t2"] and report.baseline == []
    assert report.partial and "cannot reach" in report.baseline_error
