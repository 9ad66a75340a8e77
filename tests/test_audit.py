import csv
import io
import json

import pytest
from click.testing import CliRunner

from copilot.audit import audit_answer
from copilot.cli import cli
from copilot.compute import calculation_citation
from copilot.export import (answers_to_csv, answers_to_html, answers_to_jsonl, answers_to_markdown, read_jsonl, reaudit,
                            safe_cell)
from copilot.pipeline import ask
from copilot.types import FactRow, ToolCall
from prompts import REFUSAL
from tests.helpers import row, source

S0 = source(0, "China shipped 582 tons of magnets to the United States in November 2025, down 11.28% from 656 tons.")
S1 = source(1, "Total magnet exports reached 6,150 metric tons in November 2025.")
S2 = source(2, "India approved an $816 million programme for magnet manufacturing.")
R3 = source(3, "magnet exports, Japan, November 2025: 305 t.", row("Japan", "2025-11", 305))
CALL = ToolCall(name="difference", args={"a": 582, "b": 305}, result=277, formula="582 - 305 = 277", unit="t",
                cites=[0, 3], n=4)
SOURCES = [S0, S1, S2, R3, calculation_citation(CALL, 4)]


def verdict(text, tools=None, **kw):
    report, _ = audit_answer(text, SOURCES, tools or [], **kw)
    return report.claims[0]


@pytest.mark.parametrize("claim,expected,found", [
    ("US-bound magnet shipments fell to 582 tons in November 2025 [0].", "supported", ["cited", "cited"]),
    ("US-bound magnet shipments fell to 583 tons in November 2025 [0].", "unsupported", ["nowhere", "cited"]),
    ("Total magnet exports reached 6150 metric tons [1].", "supported", ["cited"]),
    ("Total magnet exports reached 6,150 metric tons [0].", "partial", ["uncited"]),
    ("The gap between US and Japan shipments was 277 tons [4].", "supported", ["tool"]),
    ("US shipments fell 11% [0].", "supported", ["cited"]),
    ("US shipments fell 13% [0].", "unsupported", ["nowhere"]),
    ("India approved an $816 million programme [2].", "supported", ["cited"]),
    ("India approved 816,000,000 dollars for magnet manufacturing [2].", "supported", ["cited"]),
    ("India approved an $861 million programme [2].", "unsupported", ["nowhere"]),
    ("Total magnet exports reached 6,150 metric tons.", "uncited", ["uncited"]),
    ("Total magnet exports reached 6,150 metric tons [7].", "unsupported", ["uncited"]),
    ("Japan received 305 t in November 2025 [3].", "supported", ["cited", "cited"]),
])
def test_claims_against_sources(claim, expected, found):
    c = verdict(claim, [CALL])
    assert c.verdict == expected, c.reason
    assert [t.found_in for t in c.numbers] == found
    assert c.reason


def test_untraced_number_is_never_supported_even_with_matching_words():
    c = verdict("China shipped 999 tons of magnets to the United States in November 2025 [0].")
    assert c.verdict == "unsupported" and "999" in c.reason


def test_a_count_is_not_found_in_a_dates_day():
    sites = source(0, "Westmark: Active sites 30 Sep 2025 was 33; Active sites 30 Sep 2024 was 34.")
    report, _ = audit_answer("There were 30 active sites in Westmark at 30 September 2025 [0].", [sites], [])
    assert [(t.raw, t.found_in) for t in report.claims[0].numbers if t.kind == "quantity"] == [("30", "nowhere")]
    report, _ = audit_answer("There were 33 active sites in Westmark at 30 September 2025 [0].", [sites], [])
    assert report.claims[0].verdict == "supported"


def test_a_period_after_a_bracket_dates_the_figure_before_it():
    prices = source(0, "The average price of rye flour was €412 per t (£351 per t) in October 2025, down from €430 per t "
                       "in September but up from €398 per t in October 2024.")
    question = "What was the average price of rye flour in October 2024?"
    wrong, _ = audit_answer("The average price of rye flour was €412 per t (£351 per t) in October 2024 [0].",
                            [prices], [], question=question)
    assert wrong.claims[0].numbers[0].found_in == "mismatched"
    right, _ = audit_answer("The average price of rye flour was €398 per t in October 2024 [0].", [prices], [],
                            question=question)
    assert right.claims[0].verdict == "supported"


def test_a_table_line_s_column_name_is_no_name_and_a_split_fiscal_year_no_figure():
    line = source(0, "Flour sales by market\nExport markets, Nordics: Volume FY2024/25 was 71,200 tonnes; Volume "
                     "FY2023/24 was 66,100 tonnes.")
    report, _ = audit_answer("Harrow Mills sold 71,200 tonnes of flour to Nordic export markets in FY2024/25 [0].",
                             [line], [], question="Harrow Mills: volume sold to Nordic export markets in FY2024/25?")
    assert report.claims[0].verdict == "supported"
    assert [t.raw for t in report.claims[0].numbers] == ["71,200"]


def test_answer_level_figures():
    report, _ = audit_answer("US shipments fell to 582 tons [0]. Exports hit 6,150 tons [9]. Nothing cited here.",
                             SOURCES, [], invented_removed=1)
    assert report.numbers_stated == 2 and report.numbers_traced == 1
    assert report.citation_precision == 0.5  # [0] supports, [9] does not exist
    assert report.claim_support_rate == pytest.approx(1 / 3, abs=1e-3)
    assert report.invented_citations_removed == 1


def test_drop_policy_removes_claims_with_invented_figures():
    report, text = audit_answer("US shipments fell to 582 tons [0]. Japan got 999 tons [3].", SOURCES, [],
                                number_policy="drop")
    assert text == "US shipments fell to 582 tons [0]." and report.dropped_claims == 1


def test_refusal_sentence_is_not_a_claim():
    report, _ = audit_answer(REFUSAL, SOURCES, [])
    assert report.claims == [] and report.claim_support_rate is None


def test_embedding_similarity_enters_the_support_score(real_embedder):
    report, _ = audit_answer("Magnet shipments to America dropped [0].", SOURCES, [], embedder=real_embedder)
    lexical_only, _ = audit_answer("Magnet shipments to America dropped [0].", SOURCES, [])
    assert report.claims[0].support[0] != lexical_only.claims[0].support[0]


# --- exports ----------------------------------------------------------------------------------------------

@pytest.fixture
def answered(corpus_runtime, fake_llm):
    fake_llm.queue("US-bound shipments were 582 t in November 2025 [0]. =HYPERLINK(\"x\") is not a claim [0].")
    return ask("How many more tons of magnets went to the United States than to Japan in November 2025?",
               runtime=corpus_runtime, session_id="s")


def test_markdown_report_has_every_part(answered):
    md = answers_to_markdown([answered])
    for part in ("## 1. How many more tons", "**References**", "> ", "**Calculations**", "582 - 305 = 277",
                 "**Audit**", "✔ supported", "Claims supported:", answered.disclaimer, answered.settings_hash):
        assert part in md, part


def test_html_escapes_document_and_model_text(answered):
    evil = answered.model_copy(update={"text": "<script>alert(1)</script> [0]"})
    page = answers_to_html([evil])
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_csv_is_one_row_per_claim_and_formula_safe(answered):
    rows = list(csv.DictReader(io.StringIO(answers_to_csv([answered]))))
    assert len(rows) == len(answered.audit.claims)
    assert any(r["claim"].startswith("'=HYPERLINK") for r in rows)
    assert all(not r[k].startswith(("=", "+", "-", "@")) for r in rows for k in r)
    assert safe_cell("-11%") == "'-11%" and safe_cell("582") == "582"


def test_jsonl_round_trip_reaudit_gives_same_verdicts(answered, tmp_path, corpus_runtime):
    path = tmp_path / "a.jsonl"
    path.write_text(answers_to_jsonl([answered]))
    [back] = read_jsonl(path)
    assert back == answered
    [again] = reaudit([back], embedder=corpus_runtime.embedder)
    assert [c.verdict for c in again.audit.claims] == [c.verdict for c in answered.audit.claims]


def test_tampered_figure_is_flagged_on_reaudit(answered, tmp_path, monkeypatch):
    tampered = answered.model_copy(update={"text": answered.text.replace("582", "682")})
    path = tmp_path / "t.jsonl"
    path.write_text(answers_to_jsonl([tampered]))
    monkeypatch.setenv("COPILOT_EMBEDDER", "fake")
    result = CliRunner().invoke(cli, ["audit", str(path)])
    assert result.exit_code == 1 and "unsupported" in result.output and "682" in result.output


def test_export_command_writes_each_format(answered, tmp_path, monkeypatch, corpus_runtime):
    monkeypatch.setenv("COPILOT_HOME", str(corpus_runtime.settings.home))
    for fmt in ("jsonl", "md", "csv", "html"):
        out = tmp_path / f"x.{fmt}"
        result = CliRunner().invoke(cli, ["export", "--session", "s", "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 200
    assert json.loads((tmp_path / "x.jsonl").read_text().splitlines()[0])["id"] == answered.id


def test_malformed_jsonl_names_the_line(tmp_path):
    from copilot.errors import ExportFileError

    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "q", "text": "t"}\nnot json\n')
    with pytest.raises(ExportFileError, match="bad.jsonl:2"):
        read_jsonl(path)


def test_an_answer_about_another_period_is_named_and_a_boundary_period_is_not_judged():
    from copilot.audit import off_period

    src = source(0, "Port throughput was 1.2 million TEU in Q4 2024 and 1.4 million TEU in Q3 2025.")
    report, _ = audit_answer("Throughput was 1.2 million TEU in Q4 2024 [0].", [src])
    assert off_period(report, "What was the port's throughput in Q4 2025?") == \
        "the sources give figures for Q4 2024, not for Q4 2025"
    assert off_period(report, "How has throughput moved since Q4 2025?") is None  # a boundary, not the period
    assert off_period(report, "What was the port's throughput in 2024?") is None  # the answer's period is in it
    assert off_period(report, "What was the port's throughput?") is None  # no period asked
    both, _ = audit_answer("Throughput was 1.2 million TEU in Q4 2024 [0]. It was 1.4 million TEU in Q3 2025 [0].",
                           [src])
    assert off_period(both, "What was the port's throughput in Q3 2025?") is None
    mixed, _ = audit_answer("Throughput was 1.2 million TEU in Q4 2024 [0]. A new berth opens in Q4 2025 [0].", [src])
    assert off_period(mixed, "What was the port's throughput in Q4 2025?") is None  # one sentence speaks of it


def test_iso_dates_and_ranges_are_not_negative_figures():
    from copilot.numbers import extract_numbers

    assert [(n.value, n.kind) for n in extract_numbers("(2025-12) and 2020-2024")] == \
        [(2025, "year"), (12, "date"), (2020, "year"), (2024, "year")]
    assert [n.value for n in extract_numbers("it fell -3.5% in May")] == [-3.5]


def test_a_question_for_an_amount_of_money_is_not_answered_by_tonnes_but_a_margin_is_a_percent():
    from copilot.pipeline import audit_refusal
    from tests.helpers import source

    src = source(0, "Tarn Haulage moved 219,400 t of gravel in Q3 2025 and posted an operating margin of 8.2%.")
    tonnes = "Tarn Haulage's revenue in Q3 2025 was 219,400 t [0]."
    report, text = audit_answer(tonnes, [src])
    assert audit_refusal(report, "What was Tarn Haulage's revenue in Q3 2025?", text, False) == \
        "the sources state no revenue, only other figures"
    margin = "Tarn Haulage's operating margin was 8.2% in Q3 2025 [0]."
    report, text = audit_answer(margin, [src])
    assert audit_refusal(report, "What was Tarn Haulage's operating margin on its earnings in Q3 2025?", text,
                         False) is None


def test_a_change_of_a_money_measure_may_be_a_percent_but_not_tonnes():
    from copilot.pipeline import audit_refusal
    from tests.helpers import source

    src = source(0, "Under the new cap, ferry fares may rise by no more than 3.2% from 1 May 2025. Ferries carried "
                    "412,000 passengers.")
    question = "By how much may fares rise at most under the regulator's price cap?"
    report, text = audit_answer("Fares may rise by no more than 3.2% from 1 May 2025 [0].", [src])
    assert audit_refusal(report, question, text, False) is None
    report, text = audit_answer("Fares may rise to 412,000 passengers [0].", [src])
    assert audit_refusal(report, question, text, False) == "the sources state no price, only other figures"


def test_a_money_figure_for_another_measure_does_not_answer_a_question_for_revenue():
    from copilot.pipeline import audit_refusal
    from tests.helpers import source

    fine = source(0, "Enforcement: the Board fined Orla Bakeries €1.4 million for late deliveries.")
    sales = source(1, "Orla Bakeries' sales in 2024 were €38.5 million, up from €35.0 million.")
    question = "What revenue did Orla Bakeries report for 2024?"
    report, text = audit_answer("Orla Bakeries reported revenue of €1.4 million for 2024 [0].", [fine, sales])
    assert audit_refusal(report, question, text, False, [fine, sales]) == \
        "the sources state no revenue: the figures they give are other amounts"
    # 'sales' is one of the words for revenue
    report, text = audit_answer("Orla Bakeries' revenue for 2024 was €38.5 million [1].", [fine, sales])
    assert audit_refusal(report, question, text, False, [fine, sales]) is None
    # a question for a fine is not a question for a money measure of the accounts: the rule does not apply
    report, text = audit_answer("The Board fined Orla Bakeries €1.4 million [0].", [fine, sales])
    assert audit_refusal(report, "How much was Orla Bakeries fined?", text, False, [fine, sales]) is None


def test_a_capitalised_sentence_opening_is_not_another_name_for_the_figure():
    from tests.helpers import source

    src = source(0, "### Headline results\n- Revenue for 2024 was €167.5 million, compared with €152.3 million in "
                    "2023.\n- Pellin Mills opened a new silo at Arrow Quay.")
    report, _ = audit_answer("Pellin Mills' revenue in 2024 was €167.5 million [0].", [src])
    assert [t.found_in for t in report.claims[0].numbers if t.kind == "money"] == ["cited"]


def test_a_figure_for_part_of_the_asked_year_does_not_answer_a_question_for_the_year():
    from copilot.audit import off_period
    from tests.helpers import source

    src = source(0, "Tarn Haulage's revenue was €18.6 million in H1 2024 and €21.0 million in H1 2025.")
    report, _ = audit_answer("Tarn Haulage's revenue was €18.6 million in H1 2024 [0].", [src])
    question = "What was Tarn Haulage's revenue for the full year 2024?"
    assert off_period(report, question, whole=True) == "the sources give figures for H1 2024, not for 2024"
    assert off_period(report, question, whole=False) is None  # what happened in 2024 may be told by its parts
    stock, _ = audit_answer("Tarn Haulage had 58 trucks at 30 June 2025 [0].",
                            [source(0, "Tarn Haulage had 58 trucks at 30 June 2025, against 51 a year before.")])
    assert off_period(stock, "How many trucks did Tarn Haulage have in Q2 2025?", whole=True) is None


def test_a_claim_with_no_period_or_name_answers_for_the_question():
    from copilot.types import Citation

    results = Citation(n=0, doc_id="d0", title="Arrow Mills plc - results for the third quarter of 2025",
                       publisher="Arrow Mills plc",
                       text="Revenue rose 10.9% to £412.6 million on firmer flour prices.")
    q4 = "What revenue did Arrow Mills report for the fourth quarter of 2025?"
    report, _ = audit_answer("Revenue rose 10.9% to £412.6 million [0].", [results], question=q4)
    assert report.claims[0].numbers[0].found_in == "mismatched" and "Q3 2025" in report.claims[0].numbers[0].context
    # asked for the year, a quarter's figure of that year is not judged here (it overlaps)
    year, _ = audit_answer("Revenue rose 10.9% to £412.6 million [0].", [results],
                           question="How did Arrow Mills' revenue develop in 2025?")
    assert year.claims[0].numbers[0].found_in == "cited"
    # another company's figure, from a document about Arrow Mills, is not Tarn Mills'
    other, _ = audit_answer("Revenue was £412.6 million in Q3 2025 [0].", [results],
                            question="What revenue did Tarn Mills report for Q3 2025?")
    assert other.claims[0].numbers[0].found_in == "mismatched"
    mine, _ = audit_answer("Revenue was £412.6 million in Q3 2025 [0].", [results],
                           question="What revenue did Arrow Mills report for Q3 2025?")
    assert mine.claims[0].numbers[0].found_in == "cited"


def test_a_figure_given_to_a_name_the_passage_never_names_in_a_document_titled_for_another_is_mismatched():
    from copilot.types import Citation

    # no publisher: the title's names say whose figures these are
    table = Citation(n=0, doc_id="d0", title="Arrow Mills plc - Interim Report for the Third Quarter 2025",
                     text="Table 1 - Arrow Mills key figures (GBP million)\nOperating profit: Q3 2025 was £10.4 "
                          "million; Q3 2024 was £6.3 million.")
    q = "tarn mills operating profit q3 2025?"
    theirs, _ = audit_answer("Tarn Mills operating profit in Q3 2025 was £10.4 million [0].", [table], question=q)
    money = [n for n in theirs.claims[0].numbers if n.kind == "money"]
    assert money[0].found_in == "mismatched" and money[0].context == "Arrow Mills"
    mine, _ = audit_answer("Arrow Mills' operating profit in Q3 2025 was £10.4 million [0].", [table],
                           question="arrow mills operating profit q3 2025?")
    assert all(n.found_in == "cited" for n in mine.claims[0].numbers)


def test_a_total_row_figure_given_to_one_member_is_another_entitys():
    from copilot.types import FactRow

    def row(entity, value, total=False):
        return FactRow(series="calls", entity=entity, period="2025", value=value, unit="", source_doc="t",
                       label="port calls", is_total=total)

    kell = source(0, "Table: port calls, Kell Port: port calls, 2025: 10,362.", facts=[row("Kell Port", 10362)])
    total = source(1, "Table: port calls, Total: port calls, 2025: 21,304.", facts=[row("Total", 21304, True)])
    report, _ = audit_answer("Kell Port handled 21,304 port calls in 2025 [1].", [kell, total])
    assert report.claims[0].numbers[0].found_in == "mismatched"
    right, _ = audit_answer("Kell Port handled 10,362 port calls in 2025 [0].", [kell, total])
    assert right.claims[0].numbers[0].found_in == "cited"
    # a name with no row of its own (the members together) may take the total row's figure
    members, _ = audit_answer("The Harbour Association's members handled 21,304 port calls in 2025 [1].",
                              [kell, total])
    assert members.claims[0].numbers[0].found_in == "cited"


def test_a_figure_for_the_whole_year_does_not_answer_a_question_for_one_month():
    from copilot.audit import off_period

    src = source(0, "Member ports handled 23.5 million tonnes in 2025; December accounted for 1.7 million.")
    report, _ = audit_answer("Member ports handled 23.5 million tonnes in 2025 [0].", [src])
    question = "How many tonnes did member ports handle in December 2025?"
    assert off_period(report, question, whole=True) == "the sources give figures for 2025, not for December 2025"
    right, _ = audit_answer("Member ports handled 1.7 million tonnes in December 2025 [0].", [src])
    assert off_period(right, question, whole=True) is None


def test_a_stretch_is_judged_as_one_period_and_a_boundary_needs_a_period_after_it():
    from copilot.audit import off_period

    src = source(0, "Kell Ferries carried 2.4 million vehicles in Q3 2025, bringing the total for the first nine "
                    "months of the year to 6.3 million.")
    report, _ = audit_answer("Kell Ferries carried 6.3 million vehicles in the first nine months of 2025 [0].", [src])
    assert off_period(report, "How many vehicles did Kell Ferries carry from January to September 2025?",
                      whole=True) is None
    year, _ = audit_answer("Kell Ferries carried 2.4 million vehicles in 2025 [0].", [src])
    # 'through' here is not a time boundary: the question is judged
    assert off_period(year, "How many vehicles passed through Kell terminal in December 2025?", whole=True) == \
        "the sources give figures for 2025, not for December 2025"
    assert off_period(year, "How many vehicles has Kell carried since December 2025?", whole=True) is None


def test_an_issue_date_in_a_title_is_not_the_period_of_its_figures():
    from copilot.types import Citation

    monthly = Citation(n=0, doc_id="d0", title="Mill Trade Monthly - October 2025",
                       text="The average cost of grain finance was 5.15%, up 35 basis points.")
    report, _ = audit_answer("The average cost of grain finance was 5.15% [0].", [monthly],
                             question="What was the average cost of grain finance in Q3 2025?")
    assert [t.found_in for t in report.claims[0].numbers if t.kind == "percent"] == ["cited"]


def test_a_rows_figure_given_as_another_measure_is_mismatched():
    """A row labelled 'gross margin' does not state the 'operating margin' a sentence gives it."""
    margin = FactRow(series="gross_margin", label="gross margin", entity="Harrow Mills", period="2025-Q2", value=28.6,
                     unit="%", source_doc="t")
    rows = [source(0, "Harrow Mills: gross margin, Q2 2025: 28.6%.", row=margin)]
    report, _ = audit_answer("The operating margin for Harrow Mills in Q2 2025 was 28.6% [0].", rows,
                             question="What operating margin did Harrow Mills achieve in Q2 2025?")
    [figure] = [t for t in report.claims[0].numbers if t.kind == "percent"]
    assert (figure.found_in, figure.context) == ("mismatched", "gross margin")
    report, _ = audit_answer("Harrow Mills posted a gross margin of 28.6% in Q2 2025 [0].", rows,
                             question="What gross margin did Harrow Mills post in Q2 2025?")
    assert [t.found_in for t in report.claims[0].numbers if t.kind == "percent"] == ["cited"]


def test_a_figure_said_a_year_earlier_is_the_sentences_period_a_year_before():
    text = ("The average turnaround of grain wagons fell to 6.4 days in the first half of 2025, from 8.1 days a year "
            "earlier, helped by the new loop line opened in February.")
    report, _ = audit_answer(text.replace("February.", "February [0]."), [source(0, text)],
                             question="What was the average wagon turnaround in the first half of 2025?")
    assert [t.found_in for t in report.claims[0].numbers if t.kind not in ("year", "date")] == ["cited", "cited"]
