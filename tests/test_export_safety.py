"""Safe exports and an audit that notices tampering: Markdown carries no live HTML; `copilot audit` exits 1 on a
changed verdict or (with --store) an edited source, and 2 on an empty or unreadable file."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from copilot.cli import cli
from copilot.export import answers_to_csv, answers_to_markdown
from copilot.history import History
from copilot.pipeline import ask
from copilot.types import Answer, AuditReport, Citation, ClaimAudit

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_markdown_escapes_html_in_every_field():
    a = Answer(question=f"Freight {EVIL}?", text=f"Rates rose {EVIL} [0]. See [click](javascript:alert(3)).",
               model=EVIL, disclaimer=EVIL, settings_hash=EVIL,
               citations=[Citation(n=0, doc_id=EVIL, title=f"Port report {EVIL}", publisher=EVIL, date=EVIL,
                                   text=f"Rates rose {EVIL}.")],
               audit=AuditReport(claims=[ClaimAudit(index=0, text=f"Rates rose {EVIL} [0].", citations=[0],
                                                    verdict="supported", reason=EVIL)]))
    md = answers_to_markdown([a], title=EVIL)
    assert "<script" not in md and "<img" not in md and '&lt;img src=x onerror="alert(2)"&gt;' in md
    assert md.count("&lt;script&gt;") >= 8  # question, text, title, publisher, source, claim, reason, model ...
    assert "[click](" not in md and "\\[click\\](" in md  # no live link either
    assert "<sub>" in md  # the report's own markup stays


def test_a_single_answer_report_is_the_same_escaped_export():
    a = Answer(question=EVIL, text="Coffee rose [0].")
    assert "<script" not in answers_to_markdown([a])


def test_nul_and_control_characters_never_reach_the_csv():
    a = Answer(question="Power\x00 prices\x1b[31m?", text="Peak\x00 prices rose.", refused=True)
    text = answers_to_csv([a])
    assert "\x00" not in text and "\x1b" not in text
    assert list(csv.DictReader(io.StringIO(text)))[0]["question"] == "Power prices[31m?"


# --- audit: a replayed export, tampered ---------------------------------------------------------------------

SHIPPING = {"freight.md": "---\ndoc_id: freight-weekly\ntitle: Freight weekly\n---\n# Freight weekly\n"
                          "The Drewry container index rose 9% to $2,950 per 40-foot box in the week.",
            "coffee.md": "---\ndoc_id: coffee-notes\ntitle: Coffee notes\n---\n# Coffee notes\n"
                         "Arabica futures closed at $3.10 per pound on Friday."}


@pytest.fixture
def exported(runtime, fake_llm, tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in SHIPPING.items():
        (folder / name).write_text(text)
    assert not runtime.ingest([folder], progress=False).partial

    def reply(messages):
        line = next(x for x in messages[-1]["content"].splitlines() if "Drewry" in x)
        return f"The Drewry container index rose 9% to $2,950 per box {line.split()[0]}."

    fake_llm.queue(reply)
    answer = ask("How much did the Drewry container index rise?", runtime=runtime, session_id="s")
    assert answer.audit.claims[0].verdict == "supported", answer.audit
    monkeypatch.setenv("COPILOT_HOME", str(runtime.settings.home))
    monkeypatch.setenv("COPILOT_EMBEDDER", "fake")
    path = tmp_path / "answers.jsonl"
    result = CliRunner().invoke(cli, ["export", "--session", "s", "--format", "jsonl", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _audit(*args):
    return CliRunner().invoke(cli, ["audit", *map(str, args)])


def test_untouched_export_passes_with_and_without_the_store(exported):
    assert _audit(exported).exit_code == 0
    result = _audit(exported, "--store")
    assert result.exit_code == 0 and "store:" not in result.output, result.output


def test_a_removed_citation_changes_the_verdict_and_exits_1(exported):
    data = json.loads(exported.read_text())
    assert "[0]" in data["text"]
    data["text"] = data["text"].replace(" [0]", "")
    exported.write_text(json.dumps(data) + "\n")
    result = _audit(exported)
    assert result.exit_code == 1 and "verdicts changed since export" in result.output


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xff\xfe\x00binary\x00"], ids=["empty", "blank", "binary"])
def test_an_empty_or_unreadable_file_exits_2_with_one_line(tmp_path, content, monkeypatch):
    monkeypatch.setenv("COPILOT_EMBEDDER", "fake")
    path = tmp_path / "a.jsonl"
    path.write_bytes(content)
    result = _audit(path)
    assert result.exit_code == 2 and result.output.startswith("error:") and result.output.count("\n") == 1


def test_an_edited_source_text_is_caught_with_store(exported):
    data = json.loads(exported.read_text())
    data["citations"][0]["text"] = data["citations"][0]["text"].replace("9%", "19%")
    exported.write_text(json.dumps(data) + "\n")
    result = _audit(exported, "--store")
    assert result.exit_code == 1 and "differs from the stored text" in result.output


def test_a_source_gone_from_the_store_is_reported(exported, runtime):
    data = json.loads(exported.read_text())
    runtime.store.remove_document(data["citations"][0]["doc_id"])
    result = _audit(exported, "--store")
    assert result.exit_code == 1 and "not in the store" in result.output


def test_history_keeps_nothing_but_the_real_answer(exported, runtime):
    assert len(History(runtime.settings.history_path).answers("s")) == 1
