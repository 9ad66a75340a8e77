"""Answers on a corpus in another domain (benchmarks/corpus2: a fictional offshore-wind market): refusals decided by
evidence, follow-ups, documents that try to give instructions, figures traced with what they are about."""

import re

import pytest

from copilot.audit import audit_answer
from copilot.history import History
from copilot.pipeline import ask, passage
from copilot.settings import PROJECT_ROOT
from prompts import REFUSAL, WITHHELD
from tests.helpers import source

CORPUS2 = PROJECT_ROOT / "benchmarks" / "corpus2"


@pytest.fixture
def wind(runtime):
    report = runtime.ingest([CORPUS2 / "docs", CORPUS2 / "tables"], progress=False)
    assert not report.partial, report
    return runtime


def _prompt(fake_llm) -> str:
    return "\n".join(m["content"] for m in fake_llm.calls[-1]["messages"])


def _row_lines(prompt: str) -> list[int]:
    """The prompt's table rows: the numbered lines under a table's 'rows:' line."""
    out, in_table = [], False
    for i, line in enumerate(prompt.splitlines()):
        if line.endswith(", rows:"):
            in_table = True
        elif not line.startswith("[") or re.match(r"\[\d+\] \(", line):
            in_table = False
        elif in_table:
            out.append(i)
    return out


def _n_of(prompt: str, needle: str) -> int:
    line = next(line for line in prompt.splitlines() if needle in line and line.startswith("["))
    return int(line[1:line.index("]")])


def test_an_answer_stated_in_a_source_is_given_not_refused(wind, fake_llm):
    fake_llm.queue(lambda messages: f"Helvik's EBITDA was €162.3 million in Q3 2025 "
                                    f"[{_n_of(messages[-1]['content'], '162.3')}].")
    a = ask("What was Helvik Wind's EBITDA in the third quarter of 2025?", runtime=wind)
    assert not a.refused and "162.3" in a.text
    assert a.audit.claims[0].verdict == "supported"


def test_a_figure_no_source_states_turns_into_a_refusal_that_says_what_is_covered(wind, fake_llm):
    fake_llm.queue("Helvik Wind paid a dividend of €1.40 per share for 2025 [0].")
    a = ask("What dividend per share did Helvik Wind pay for 2025?", runtime=wind)
    assert a.refused and a.text.startswith(REFUSAL) and "1.40" not in a.text
    assert "no source" in a.refusal_reason and "The closest sources cover" in a.text
    assert a.draft and "1.40" in a.draft  # the invented figure is kept only as the model's draft


def test_a_period_no_source_covers_is_refused_before_the_model(wind, fake_llm):
    a = ask("What was Tern Power's revenue in Q3 2019?", runtime=wind)
    assert a.refused and "Q3 2019" in a.text and fake_llm.calls == []


def test_a_figure_asked_for_a_period_no_source_gives_a_figure_for_is_refused(wind, fake_llm):
    a = ask("What revenue did Kestrel Renewables report for the fourth quarter of 2025?", runtime=wind)
    assert a.refused and "Q4 2025" in a.refusal_reason and fake_llm.calls == []


def test_a_calculation_from_the_long_table_with_both_figures_named(wind, fake_llm):
    fake_llm.queue("Tern's generation changed between the quarters.")
    a = ask("What was the percentage change in Tern Power's generation from Q2 2025 to Q3 2025?", runtime=wind)
    [call] = a.tool_calls
    assert call.args == {"old": 1101, "new": 1015} and call.result == pytest.approx(-7.81, abs=0.01)
    assert "Q2 2025" in call.labels["old"] and "Tern" in call.labels["old"]
    assert "-7.81%" in a.text and len(fake_llm.calls) == 1  # the rules decided: one model call, the answer


def test_follow_up_is_rewritten_from_the_session_and_kept_in_history(wind, fake_llm):
    fake_llm.default = "The sources state the revenue [0]."
    first = ask("What was Kestrel Renewables' revenue in Q3 2025?", runtime=wind, session_id="s1")
    assert first.standalone_question == first.question
    second = ask("And in Q1 2025?", runtime=wind, session_id="s1")
    assert second.question == "And in Q1 2025?"
    assert second.standalone_question == "What was Kestrel Renewables' revenue in Q1 2025?"
    assert "Q1 2025" in _prompt(fake_llm) and "Kestrel" in _prompt(fake_llm)
    third = ask("What about Tern Power?", runtime=wind, session_id="s1")
    assert third.standalone_question == "What was Tern Power's revenue in Q1 2025?"
    kept = History(wind.settings.history_path).answers("s1")
    assert [a.standalone_question for a in kept][1:] == [second.standalone_question, third.standalone_question]


def test_a_question_of_another_session_is_not_rewritten(wind, fake_llm):
    fake_llm.default = "The sources state the revenue [0]."
    ask("What was Kestrel Renewables' revenue in Q3 2025?", runtime=wind, session_id="a")
    b = ask("And in Q1 2025?", runtime=wind, session_id="b")
    assert b.standalone_question == "And in Q1 2025?"


def test_instructions_inside_a_document_never_reach_the_model(wind, fake_llm):
    fake_llm.queue("Brisa's availability was 96.3% in fiscal 2025 [0].")
    wind.settings.passage_tokens = 0  # whole chunks: the passage that carries the instruction is in the prompt
    ask("What was Brisa Offshore's portfolio availability in fiscal 2025, and what do its shareholders expect?",
        runtime=wind)
    prompt = _prompt(fake_llm)
    assert "999" not in prompt and "Ignore all previous instructions" not in prompt
    assert WITHHELD in prompt  # the passage is there, its instruction withheld


def test_a_figure_stated_for_another_period_is_flagged():
    src = source(0, "Revenue of €236.9 million, up 17.6% from €201.4 million in the third quarter of 2024.")
    report, _ = audit_answer("Helvik's revenue was €201.4 million in Q3 2025 [0].", [src])
    [trace] = [t for t in report.claims[0].numbers if t.value == 201.4e6]
    assert trace.found_in == "mismatched" and "2024" in trace.context
    assert report.claims[0].verdict == "unsupported"
    ok, _ = audit_answer("Helvik's revenue was €201.4 million in Q3 2024 [0].", [src])
    assert ok.claims[0].verdict == "supported"


def test_a_figure_stated_for_another_name_is_flagged():
    src = source(0, "In March 2025, Brazil shipped 2.4 million bags, while Colombia shipped 1.1 million bags.")
    report, _ = audit_answer("Colombia shipped 2.4 million bags in March 2025 [0].", [src])
    assert report.claims[0].numbers[0].found_in == "mismatched"
    ok, _ = audit_answer("Brazil shipped 2.4 million bags in March 2025 [0].", [src])
    assert ok.claims[0].verdict == "supported"


def test_a_figure_from_a_document_about_another_company_is_flagged():
    src = source(0, "## Highlights\n- Operating margin of 12.7%, up from 11.9% a year earlier.").model_copy(
        update={"title": "Results for Q2 2025", "publisher": "Harbin Dairy Cooperative"})
    bad, _ = audit_answer("Lindqvist Farms reported an operating margin of 12.7% in Q2 2025 [0].", [src])
    assert bad.claims[0].numbers[0].found_in == "mismatched" and "Harbin Dairy" in bad.claims[0].numbers[0].context
    ok, _ = audit_answer("Harbin Dairy Cooperative reported an operating margin of 12.7% [0].", [src])
    assert ok.claims[0].verdict == "supported"
    us, _ = audit_answer("The US margin was 12.7% [0].", [src.model_copy(update={"publisher": "United States Dairy"})])
    assert us.claims[0].verdict == "supported"  # 'US' for 'United States'
    adj, _ = audit_answer("Norland's milk output rose 4% [0].", [source(0, "Norlandic milk output rose 4% in 2025.")])
    assert adj.claims[0].verdict == "supported"  # 'Norlandic' names 'Norland'
    filed = source(0, "The levy will rise to 3.1% in 2026.").model_copy(
        update={"title": "nvwa_levy_notice", "publisher": "Norland Food Authority"})
    named, _ = audit_answer("The NVWA levy will rise to 3.1% in 2026 [0].", [filed])
    assert named.claims[0].verdict == "supported"  # the file's name names it
    us, _ = audit_answer("The NVWA says the levy will rise to 3.1% for us [0].", [filed.model_copy(
        update={"title": "levy notice", "text": "The levy will rise to 3.1% in 2026 for us."})])
    assert us.claims[0].numbers[0].found_in == "mismatched"  # 'us' is not a name


def test_a_figure_in_one_unit_is_not_found_in_another():
    src = source(0, "Fines totalling €1.26 million were imposed; the fleet carried 3,400 t and generated 3,400 MWh.")
    tonnes, _ = audit_answer("Emissions were 1,260,000 tonnes [0].", [src])
    assert tonnes.claims[0].numbers[0].found_in == "nowhere"
    ok, _ = audit_answer("Fines came to 1,260,000 euros [0].", [src])
    assert ok.claims[0].numbers[0].found_in == "cited"
    energy, _ = audit_answer("The fleet generated 3,400 MWh [0].", [src])
    assert energy.claims[0].numbers[0].found_in == "cited"


def test_a_name_given_in_its_short_form_is_the_same_name():
    src = source(0, "The Varland Energy Directorate (VED) published the results. Six bidders took part, and the "
                    "Directorate awarded 2,400 MW to three projects.")
    report, _ = audit_answer("The Varland Energy Directorate awarded 2,400 MW in the auction [0].", [src])
    assert report.claims[0].verdict == "supported"
    other, _ = audit_answer("Kestrel Renewables awarded 2,400 MW in the auction [0].", [src.model_copy(
        update={"text": src.text + " Kestrel Renewables won 700 MW."})])
    assert other.claims[0].numbers[0].found_in == "mismatched"


def test_a_word_opening_a_sentence_is_not_taken_for_another_name():
    src = source(0, "Baohai Windtech reported results for H1 2025. Gross margin was 17.8% in H1 2025.")
    report, _ = audit_answer("Baohai Windtech's gross margin was 17.8% in H1 2025 [0].", [src])
    assert report.claims[0].verdict == "supported"


def test_a_half_year_figure_given_for_the_full_year_is_flagged():
    src = source(0, "Revenue was RMB 15.02 billion in H1 2024 and RMB 18.64 billion in H1 2025.")
    report, _ = audit_answer("Revenue for the full year 2024 was RMB 15.02 billion [0].", [src])
    assert [t.found_in for t in report.claims[0].numbers if t.kind == "money"] == ["mismatched"]


def test_a_heading_gives_its_period_to_the_lines_under_it():
    src = source(0, "## Highlights of Q3 2025\n- Revenue of €236.9 million.\n- EBITDA of €162.3 million.")
    bad, _ = audit_answer("Revenue was €236.9 million in Q4 2025 [0].", [src])
    ok, _ = audit_answer("Revenue was €236.9 million in Q3 2025 [0].", [src])
    assert bad.claims[0].numbers[0].found_in == "mismatched" and ok.claims[0].verdict == "supported"


def test_an_answer_resting_on_a_mismatched_figure_is_corrected_or_refused(wind, fake_llm):
    def reply(messages):
        n = _n_of(messages[1]["content"], "201.4")
        return f"Helvik's revenue was €201.4 million in the third quarter of 2025 [{n}]."
    fake_llm.queue(reply, reply)  # the draft, and the same figure again when told it is 2024's
    wind.settings.evidence_tokens = 600  # the fake embedder ranks the passage low: room for it
    a = ask("What was Helvik Wind's revenue in the third quarter of 2025?", runtime=wind)
    assert a.refused and "201.4" not in a.text and "2024" in a.refusal_reason
    correction = fake_llm.calls[-1]["messages"][-1]["content"]
    assert "201.4" in correction and "Q3 2024" in correction

    def right(messages):
        return f"Helvik's revenue was €236.9 million in the third quarter of 2025 [{_n_of(messages[1]['content'], '236.9')}]."
    fake_llm.queue(reply, right)
    fixed = ask("What was Helvik Wind's revenue in the third quarter of 2025?", runtime=wind)
    assert not fixed.refused and "236.9" in fixed.text and "201.4" not in fixed.text


def test_no_correction_is_asked_for_when_no_source_states_a_figure_for_what_was_asked(wind, fake_llm):
    def reply(messages):
        return f"Helvik Wind's revenue was €268.1 million in Q4 2025 [{_n_of(messages[1]['content'], '268.1')}]."
    fake_llm.queue(reply)  # one reply only: a correction round would find none queued and fail
    a = ask("What revenue did Helvik Wind report for the fourth quarter of 2025?", runtime=wind)
    assert a.refused and "268.1" not in a.text and len(fake_llm.calls) == 1


def test_a_citation_to_the_wrong_source_is_moved_to_the_one_that_supports_it_and_recorded(wind, fake_llm):
    def reply(messages):
        prompt = messages[-1]["content"]
        right = _n_of(prompt, "162.3")
        wrong = next(n for n in range(6) if f"[{n}]" in prompt and n != right)
        return f"Helvik's EBITDA was €162.3 million in Q3 2025 [{wrong}]."
    fake_llm.queue(reply)
    a = ask("What was Helvik Wind's EBITDA in the third quarter of 2025?", runtime=wind)
    assert not a.refused and a.audit.claims[0].verdict == "supported"
    assert len(a.audit.citations_repaired) == 1 and "->" in a.audit.citations_repaired[0]


def test_a_draft_that_misstates_a_calculation_gives_way_to_the_calculation(wind, fake_llm):
    fake_llm.queue("Tern Power generated 7.81 GWh in Q3 2025, up from Q2.")  # uncited and wrong
    a = ask("What was the percentage change in Tern Power's generation from Q2 2025 to Q3 2025?", runtime=wind)
    assert not a.refused and "7.81 GWh" not in a.text and "-7.81%" in a.text
    assert all(c.verdict == "supported" for c in a.audit.claims)
    # a cited sentence with a figure no source states goes too, the calculation stands
    fake_llm.queue(lambda m: f"Tern Power's generation changed by 14.07% in Q3 2025 [{_n_of(m[1]['content'], 'Tern')}].")
    b = ask("What was the percentage change in Tern Power's generation from Q2 2025 to Q3 2025?", runtime=wind)
    assert not b.refused and "14.07" not in b.text and "-7.81%" in b.text


def test_a_figure_for_a_numbered_name_stated_for_another_number_is_flagged():
    src = source(0, "The Round 5 auction, concluded in September, awarded 2.4 GW. Round 6 will be held in 2026.")
    bad, _ = audit_answer("Varland will offer 2.4 GW in Round 6 [0].", [src])
    assert bad.claims[0].numbers[0].found_in == "mismatched" and "Round 5" in bad.claims[0].numbers[0].context
    ok, _ = audit_answer("Round 5 awarded 2.4 GW [0].", [src])
    assert ok.claims[0].verdict == "supported"


def test_an_answer_about_another_period_than_the_one_asked_is_refused(wind, fake_llm):
    def reply(messages):
        return f"Helvik Wind reported €268.1 million in revenue for the fourth quarter of 2024 " \
               f"[{_n_of(messages[-1]['content'], '268.1')}]."
    fake_llm.queue(reply)
    a = ask("What revenue did Helvik Wind report for the fourth quarter of 2025?", runtime=wind)
    assert a.refused and "268.1" not in a.text
    assert "Q4 2024" in a.refusal_reason and "Q4 2025" in a.refusal_reason


def test_a_clause_with_an_invented_figure_is_cut_and_the_rest_stands(wind, fake_llm):
    def reply(messages):
        n = _n_of(messages[-1]["content"], "162.3")
        return f"Helvik's EBITDA was €162.3 million in Q3 2025, an increase of 9.99% [{n}]."
    fake_llm.queue(reply)
    a = ask("What was Helvik Wind's EBITDA in the third quarter of 2025?", runtime=wind)
    assert not a.refused and "162.3" in a.text and "9.99" not in a.text
    assert a.audit.claims[0].verdict == "supported"


def test_a_sentence_whose_only_figure_is_invented_is_not_trimmed():
    from copilot.audit import trim_invented

    src = source(0, "Revenue was RMB 18.64 billion in H1 2025.")
    report, text = audit_answer("Revenue rose 4.62% in H1 2025 [0]. Revenue was RMB 18.64 billion, up 4.62% [0].",
                                [src])
    trimmed, cut = trim_invented(text, report)
    assert cut == 1 and trimmed == "Revenue rose 4.62% in H1 2025 [0]. Revenue was RMB 18.64 billion [0]."


def test_a_total_over_quarters_is_computed_from_the_table(wind, fake_llm):
    fake_llm.queue("Helvik Wind generated a lot of electricity.")
    a = ask("How much electricity did Helvik Wind generate in total from Q1 to Q3 2025?", runtime=wind)
    assert [c.name for c in a.tool_calls] == ["total"] and a.tool_calls[0].unit == "GWh"
    assert len(a.tool_calls[0].args) == 3 and not a.refused


def test_a_name_whose_only_word_in_the_sources_is_the_domain_s_common_word_is_refused(wind, fake_llm):
    a = ask("What was Aurora Offshore's installed capacity in Varland at the end of 2024?", runtime=wind)
    assert a.refused and "Aurora Offshore" in a.refusal_reason and fake_llm.calls == []


def test_a_figure_asked_for_one_period_gets_that_period_s_rows_only(wind, fake_llm):
    fake_llm.default = "Helvik's revenue was €209.2 million in Q2 2025 [0]."
    ask("What was Helvik Wind's revenue in Q2 2025?", runtime=wind)
    lines = _prompt(fake_llm).splitlines()
    rows = [lines[i] for i in _row_lines(_prompt(fake_llm))]
    assert rows and all("Q2 2025" in line for line in rows)


def test_a_share_question_brings_the_total_row_of_the_part_table(runtime, fake_llm, tmp_path):
    regions = ["Lakeside", "Hillcrest", "Marshend", "Dunmore", "Eastgate", "Fernvale", "Gorsey", "Harwick"]
    lines = ["Region,Crates 2023 (thousand),Crates 2024 (thousand)"]
    lines += [f"{r},{100 + 10 * i}.5,{120 + 10 * i}.5" for i, r in enumerate(regions)]
    lines.append("Total,1084.0,1244.0")
    folder = tmp_path / "crates"
    folder.mkdir()
    (folder / "regional_crates.csv").write_text("\n".join(lines) + "\n")
    runtime.ingest([folder], progress=False)
    runtime.settings.min_relevance = 0.0  # the fake embedder's scores are not a relevance; the rows are the point
    fake_llm.default = "Lakeside handled 100,500 crates in 2023 [0]."
    a = ask("What share of the national crate volume in 2023 came from the Lakeside region?", runtime=runtime)
    [call] = a.tool_calls
    assert call.name == "share" and call.args == {"part": 100500.0, "total": 1084000.0}


def test_a_question_for_a_figure_gets_the_sentence_with_the_figure_and_its_antecedent():
    text = ("NEWS\nOrwell, 2 May 2025 - Brackwater Mills today opened its new flour mill in Orwell, the largest town "
            "of the eastern plain, after two years of building work. The site represents an investment of £41.3 "
            "million and adds 900 tonnes of daily capacity. Of the new capacity, 600 tonnes go to bread flour. At full "
            "load the mill can ship up to 25 lorries per day.")
    got = passage(text, "How much did Brackwater Mills invest in its Orwell mill?", 60)
    assert "£41.3 million" in got and "Brackwater Mills today opened" in got


def test_a_figure_of_a_thing_no_passage_mentions_is_refused_before_the_model(wind, fake_llm):
    a = ask("What were the total methane emissions of Helvik Wind's fleet in 2024?", runtime=wind)
    assert a.refused and "methane emissions" in a.refusal_reason and fake_llm.calls == []
    # one unfamiliar word is not enough: 'earn' is not in the sources, 'revenue' is
    fake_llm.queue(lambda m: f"Helvik's revenue was €236.9 million in Q3 2025 [{_n_of(m[1]['content'], '236.9')}].")
    ok = ask("How much revenue did Helvik Wind earn in the third quarter of 2025?", runtime=wind)
    assert not ok.refused


def test_rows_of_another_period_give_way_to_a_passage_that_states_the_asked_one(runtime, fake_llm, tmp_path):
    folder = tmp_path / "ferries"
    folder.mkdir()
    rows = ["operator,period,measure,amount,unit"]
    rows += [f"{op},Q{q} 2025,cars_carried,{100 + 7 * q + i},thousand" for i, op in enumerate(["Orla Ferry Lines",
             "Skerry Boats"]) for q in (1, 2, 3)]
    (folder / "crossings_2025.csv").write_text("\n".join(rows) + "\n")
    (folder / "harbour_bulletin.md").write_text(
        "---\ntitle: Harbour Bulletin\npublisher: Ferry Operators Forum\ndate: 2025-11-05\n---\n\n"
        "## Market shares\n\nShares of cross-sound car traffic in 2024:\n\n- Orla Ferry Lines: 44%\n"
        "- Skerry Boats: 38%\n- Others: 18%\n")
    runtime.ingest([folder], progress=False)
    runtime.settings.min_relevance = 0.0
    runtime.settings.evidence_tokens = 90  # room for a few sources only: the order decides what the model sees
    fake_llm.default = "Orla Ferry Lines had the larger share, 44% [0]."
    ask("Which operator had the larger share of cross-sound car traffic in 2024, Orla Ferry Lines or Skerry Boats?",
        runtime=runtime)
    prompt = _prompt(fake_llm)
    assert "44%" in prompt
    rows = _row_lines(prompt)
    assert all(i > next(j for j, line in enumerate(prompt.splitlines()) if "44%" in line) for i in rows)


def test_a_difference_given_without_its_inputs_is_stated_with_them(runtime, fake_llm, tmp_path):
    folder = tmp_path / "bakeries"
    folder.mkdir()
    (folder / "ovens_2025.csv").write_text("bakery,period,measure,amount,unit\n"
                                           "Crumb & Co,Q1 2025,loaves_baked,6150,loaves\n"
                                           "Rye House,Q1 2025,loaves_baked,5480,loaves\n"
                                           "Crumb & Co,Q2 2025,loaves_baked,6010,loaves\n")
    runtime.ingest([folder], progress=False)
    runtime.settings.min_relevance = 0.0
    fake_llm.queue(lambda messages: "Crumb & Co baked 670 more loaves than Rye House in Q1 2025 "
                                    f"[{_n_of(messages[1]['content'], '670')}].")
    a = ask("Which bakery baked more loaves in Q1 2025, Crumb & Co or Rye House?", runtime=runtime)
    [call] = a.tool_calls
    assert call.result == 670 and "6,150" in a.text and "5,480" in a.text  # the answer can be checked by reading


def test_a_figure_cited_to_a_row_of_another_year_is_moved_to_the_passage_that_states_it_for_the_asked_one(runtime):
    from copilot.audit import audit_answer as audit
    from copilot.pipeline import RunState, repair_citations
    from tests.helpers import row, source

    rowsrc = source(0, "Table: port policy, United Kingdom: harbour dredging fund, 2025: £310 million.",
                    facts=[row("United Kingdom", "2025", 310e6, "GBP", "dredging_fund_gbp")])
    text = source(1, "The government pairs berth levies from 2027 with a £310 million dredging fund.", date="2025-06")
    claim = "The UK pairs berth levies from 2027 with a £310 million dredging fund [0]."
    report, _ = audit(claim, [rowsrc, text])
    assert any(t.found_in == "mismatched" for t in report.claims[0].numbers)
    state = RunState(question="What port measures are planned for 2027?", k=4, runtime=runtime)
    state.sources = [rowsrc, text]
    fixed, moved = repair_citations(claim, report, state)
    assert fixed.endswith("[1].") and moved


def test_a_which_question_whose_draft_leaves_out_names_another_source_gives_is_asked_once_more(runtime, fake_llm,
                                                                                                tmp_path):
    folder = tmp_path / "mills"
    folder.mkdir()
    (folder / "millers_review.md").write_text(
        "# Millers' review\n\n## Suppliers\n\nGrain prices steadied in the autumn after a wet summer.\n\n"
        "Brackwater Mills is testing stone-ground spelt at its Orwell site.\n")
    (folder / "trade_notes.md").write_text(
        "# Trade notes\n\n## Buyers\n\nBakers report steady demand for rye.\n\n"
        "Corbel Bakeries and Tansy Foods are buying stone-ground spelt from small mills to widen their ranges.\n")
    (folder / "market_digest.md").write_text(
        "# Market digest\n\nWheat flour sales were flat across the region and bakers held prices.\n")
    runtime.ingest([folder], progress=False)
    runtime.settings.min_relevance = 0.0
    fake_llm.queue(lambda m: f"Brackwater Mills is testing stone-ground spelt [{_n_of(m[1]['content'], 'Brackwater')}].")
    fake_llm.queue(lambda m: f"Brackwater Mills tests stone-ground spelt [{_n_of(m[1]['content'], 'Brackwater')}]. "
                             f"Corbel Bakeries and Tansy Foods buy it [{_n_of(m[1]['content'], 'Corbel')}].")
    a = ask("Which firms are named in connection with stone-ground spelt?", runtime=runtime)
    asked_again = fake_llm.calls[1]["messages"][-1]["content"] if len(fake_llm.calls) == 2 else ""
    assert "Corbel Bakeries and Tansy Foods are buying" in asked_again  # the sentence the draft left out
    assert "Corbel" in a.text and "Brackwater" in a.text and not a.refused


def test_a_which_question_answered_in_full_is_not_asked_again(runtime, fake_llm, tmp_path):
    folder = tmp_path / "mills"
    folder.mkdir()
    (folder / "millers_review.md").write_text("# Millers' review\n\nBrackwater Mills is testing stone-ground spelt.\n")
    (folder / "market_digest.md").write_text("# Market digest\n\nWheat flour sales were flat across the region.\n")
    runtime.ingest([folder], progress=False)
    runtime.settings.min_relevance = 0.0
    fake_llm.queue(lambda m: f"Brackwater Mills is testing stone-ground spelt [{_n_of(m[1]['content'], 'Brackwater')}].")
    ask("Which firms are named in connection with stone-ground spelt?", runtime=runtime)
    assert len(fake_llm.calls) == 1


def test_a_change_stated_in_a_sentence_that_names_no_one_is_computed_for_the_press_release_s_company(runtime,
                                                                                                     fake_llm,
                                                                                                     tmp_path):
    folder = tmp_path / "ferries"
    folder.mkdir()
    (folder / "orla_press_release.txt").write_text(
        "ORLA SAIL LINES - PRESS RELEASE\nPortree, 3 October 2025\n\n"
        "Coach crossings in H1 2025 were 8,450, compared with 7,120 in H1 2024. Orla Sail Lines carried 41,200 "
        "cars in the third quarter of 2025.\n")
    runtime.ingest([folder], progress=False)
    runtime.settings.min_relevance = 0.0
    fake_llm.default = "See the calculation."
    a = ask("By how much did Orla Sail Lines' coach crossings in H1 2025 exceed those of H1 2024, in number and "
            "in percent?", runtime=runtime)
    got = {c.name: (c.args, round(c.result, 2)) for c in a.tool_calls}
    assert got.get("difference") == ({"a": 8450.0, "b": 7120.0}, 1330.0)
    assert got.get("pct_change") == ({"old": 7120.0, "new": 8450.0}, 18.68)
    assert all(label.startswith("Orla Sail Lines, H1 202") for c in a.tool_calls for label in c.labels.values())


def test_a_why_question_gets_prose_first_not_the_rows_of_its_name_and_period(runtime, fake_llm, tmp_path):
    folder = tmp_path / "ferries"
    folder.mkdir()
    rows = ["operator,period,measure,amount,unit"]
    rows += [f"Skerry Boats,{m} 2025,cars_carried,{40 + i},thousand" for i, m in enumerate(["October", "November"])]
    rows += [f"Skerry Boats,{m} 2025,sailings,{300 + i},sailings" for i, m in enumerate(["October", "November"])]
    (folder / "ferry_months.csv").write_text("\n".join(rows) + "\n")
    (folder / "sound_review.md").write_text(
        "# Sound review\n\nHarbour pilots say the November 2025 decline at Skerry Boats reflects a timetable "
        "change, not weaker demand, since bookings for the winter season were at a record.\n")
    runtime.ingest([folder], progress=False)
    runtime.settings.min_relevance = 0.0
    fake_llm.default = "Pilots link it to a timetable change [0]."
    ask("Why do pilots read Skerry Boats' November 2025 decline as a timetable change?", runtime=runtime)
    first = next(line for line in _prompt(fake_llm).splitlines() if line.startswith("[0]"))
    assert "timetable change" in first


def test_a_draft_all_about_another_period_gets_one_correction_round(runtime, fake_llm, tmp_path):
    (tmp_path / "harbour.txt").write_text(
        "Harbour licences\n\nA total of 58 ferry operators held a harbour licence at 31 March 2025, compared with 51 "
        "at 31 March 2024. The annual licence fee will rise in 2026.\n")
    runtime.ingest([tmp_path], progress=False)

    def said(figure, day):
        return lambda messages: (f"{figure} ferry operators held a harbour licence at {day} "
                                 f"[{_n_of(messages[1]['content'], '58')}].")
    fake_llm.queue(said(58, "31 March 2025"), said(51, "31 March 2024"))
    a = ask("How many ferry operators held a harbour licence at 31 March 2024?", runtime=runtime)
    assert not a.refused and "51" in a.text and "58" not in a.text
    correction = fake_llm.calls[-1]["messages"][-1]["content"]
    assert "58" in correction and "2025" in correction


def test_a_figure_copied_with_another_currency_or_scale_is_written_as_its_source_writes_it(runtime, fake_llm,
                                                                                          tmp_path):
    """'$3.486 million' where the cited passage writes 'NOK 3,486 million': the same digits, copied wrong, not
    invented; the figure is written as the source writes it. A figure whose digits no cited source has is refused."""
    (tmp_path / "release.txt").write_text(
        "PRESS RELEASE\n\nSundholm Ferries posts higher first-half sales\n\nAT A GLANCE (H1 2025)\n\n"
        "  Ticket revenue .......... NOK 3,486 million (up 6.2% year on year)\n  Crossings ............... 4,300\n")
    runtime.ingest([tmp_path], progress=False)
    fake_llm.queue(lambda m: f"Sundholm Ferries had ticket revenue of $3.486 million in H1 2025 "
                             f"[{_n_of(m[1]['content'], '3,486')}].")
    a = ask("sundholm ticket revenue h1 2025?", runtime=runtime)
    assert not a.refused and "NOK 3,486 million" in a.text and "$3.486" not in a.text
    fake_llm.queue(lambda m: f"Sundholm Ferries had ticket revenue of $3.912 million in H1 2025 "
                             f"[{_n_of(m[1]['content'], '3,486')}].")
    assert ask("sundholm ticket revenue h1 2025?", runtime=runtime).refused
    # a quantity is not rewritten: its scale may stand in a header the passage does not show
    fake_llm.queue(lambda m: f"Sundholm Ferries made 4,300 thousand crossings in H1 2025 "
                             f"[{_n_of(m[1]['content'], '4,300')}].")
    assert ask("sundholm crossings h1 2025?", runtime=runtime).refused


def test_a_month_ranking_reads_a_document_table_s_lines_as_rows(runtime, fake_llm, tmp_path):
    """'In which month of 2025 was ... highest?' over a bulletin's monthly table (each row a line of text, two
    lines to a chunk), beside a CSV of regional prices that also speaks of price: the bulletin's lines of 2025
    reach the prompt before other passages and code ranks every month."""
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September"]
    diesel = [1.52, 1.55, 1.58, 1.61, 1.66, 1.71, 1.69, 1.64, 1.60]
    rows = "".join(f"| {m} 2025 | {180 + i} | {p:.2f} | {0.9 + i / 100:.2f} |\n"
                   for i, (m, p) in enumerate(zip(months, diesel)))
    rows += "".join(f"| {m} 2024 | {170 + i} | {p + 0.3:.2f} | 0.85 |\n" for i, (m, p) in enumerate(zip(months, diesel)))
    (tmp_path / "fuel_bulletin.md").write_text(
        "# Fuel Statistics Monthly - October 2025\n\n## Monthly series\n\nThe monthly national series is below.\n\n"
        "Table 1 - Fuel sales and wholesale prices, Norland\n\n| Month | Fuel sales (million litres) | "
        "Diesel wholesale price (NOK per litre) | Petrol wholesale price (NOK per litre) |\n|---|--:|--:|--:|\n"
        + rows + "\n## Outlook\n\nThe wholesale diesel price in October 2025 eased to NOK 1.58 per litre.\n")
    (tmp_path / "stations.csv").write_text("month,region,pump_price_nok_per_l,stations\n" + "".join(
        f"2025-{i + 1:02d},{r},{2.1 + i / 50:.2f},{40 + j}\n" for i in range(9) for j, r in
        enumerate(["Nordvik", "Sundby", "Elmhavn"])))
    (tmp_path / "fuel_review.md").write_text("# Norland fuel market review 2025\n\n" + "".join(
        f"## {topic}\n\nThe wholesale diesel price in 2025 weighed on {topic.lower()}, analysts said; the highest "
        f"wholesale diesel price of the year hurt margins, and diesel price swings in 2025 were wide.\n\n"
        for topic in ["Hauliers", "Farmers", "Ferry operators", "Bus companies", "Taxi firms", "Builders",
                      "Fishing fleets", "Rail freight"]))
    runtime.ingest([tmp_path], progress=False)
    fake_llm.default = "The wholesale diesel price was highest in June 2025 [0]."
    a = ask("In which month of 2025 was the wholesale diesel price highest, and what was it?", runtime=runtime)
    [call] = [c for c in a.tool_calls if c.name == "highest"]
    assert "June 2025" in call.formula.split(" = ")[-1] and call.result == 1.71
    assert len(call.args) == 9  # every month of 2025 the table gives, none of 2024
