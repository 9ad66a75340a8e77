"""The numeric layer: which calculation a question asks for, which cited figures it takes, and what it rejects.

Sources span unrelated domains (wind power, coffee, shipping, magnets) so that no rule tuned to one corpus passes."""

import pytest

from copilot.compute import (_mentions, compute, context_periods, detect_intents, named_entities, read_question, source_facts,
                             validate)
from copilot.errors import ToolInputError
from copilot.llm import FakeChat
from copilot.types import CorpusKnowledge, FactRow
from tests.helpers import source


def fact(entity, period, value, unit, series="output", label="", total=False):
    return FactRow(series=series, entity=entity, period=period, value=value, unit=unit, source_doc="t",
                   label=label or series, is_total=total)


def row_source(n, *facts):
    return source(n, "; ".join(f"{f.entity} {f.label} {f.period}: {f.value:g} {f.unit}" for f in facts), facts=list(facts))


# a wide power table: capacity per operator and year, with a total row
HELVIK = row_source(0, fact("Helvik Wind (HLV)", "2024", 1200, "MW", "capacity_mw", "capacity"),
                    fact("Helvik Wind (HLV)", "2025", 1450, "MW", "capacity_mw", "capacity"))
TERN = row_source(1, fact("Tern Power", "2024", 800, "MW", "capacity_mw", "capacity"),
                  fact("Tern Power", "2025", 900, "MW", "capacity_mw", "capacity"))
ALL = row_source(2, fact("All operators", "2025", 4000, "MW", "capacity_mw", "capacity", total=True),
                 fact("All operators", "2024", 3500, "MW", "capacity_mw", "capacity", total=True))
REVENUE = row_source(3, fact("Helvik Wind (HLV)", "2025-Q3", 310e6, "EUR", "revenue_eur", "revenue"),
                     fact("Helvik Wind (HLV)", "2025-Q2", 290e6, "EUR", "revenue_eur", "revenue"))
COFFEE = source(4, "Arabica exports from Brazil reached 2.4 million bags in March 2025, while Colombia shipped "
                   "1.1 million bags. Robusta prices rose 8% to $4,200 per tonne in March 2025.")
POWER = [HELVIK, TERN, ALL, REVENUE, COFFEE]


def NONE():  # noqa: N802 - a model that never proposes a calculation
    return FakeChat(default='{"tool": "none"}')


@pytest.mark.parametrize("question,intents", [
    ("How much more capacity did Helvik have than Tern in 2025?", ["difference"]),
    ("What was the percentage change in Helvik's revenue from Q2 2025 to Q3 2025?", ["pct_change"]),
    ("What share of total capacity did Tern hold in 2025?", ["share"]),
    ("Given the 8% rise, what was the robusta price before March 2025?", ["implied_prior"]),
    ("How many times larger was Brazil's shipment than Colombia's?", ["ratio"]),
    ("By how much did parcel volumes in January-May 2025 grow on the same period of 2024, in percent?",
     ["pct_change"]),
    ("Lowest rent per square metre among the four districts in 2025?", ["rank"]),
    ("By how much, in MW and in percent, did Helvik's capacity grow from 2024 to 2025?", ["difference", "pct_change"]),
    ("What did the regulator announce in October?", []),
    ("How many more containers did Port Alpha handle in 2025 than in 2024, and what is that as a percentage "
     "increase?", ["difference", "pct_change"]),
    ("By how much did the index rise?", []),  # one party, one period: stated, not computed
    ("What is the value of the dredging contract the port signed?", []),  # a stated value, not a share of one
    ("What is a 12.5% stake in the $2.9 billion fund worth?", ["part_of"]),
    ("The mill says its flour output rose 6.5% to 41,200 t in 2025. What does that imply for 2024?", ["implied_prior"]),
    ("Flour output rose 6.5% in 2025; what was it in the third quarter?", []),  # a stated change, no inference asked
])
def test_what_the_question_asks(question, intents):
    assert read_question(question).intents == intents


def test_two_calculations_in_one_question_from_a_wide_table():
    result = compute("By how much, in MW and in percent, did Helvik's capacity grow from 2024 to 2025?", POWER,
                     FakeChat())
    diff, pct = result.calls
    assert (diff.name, diff.args, diff.unit) == ("difference", {"a": 1450, "b": 1200}, "MW") and diff.result == 250
    assert pct.name == "pct_change" and pct.result == pytest.approx(20.83, abs=0.01) and pct.cites == [0]
    assert "2024" in pct.labels["old"] and "Helvik" in pct.labels["old"]
    assert not result.model_called  # the rules decided: no model call whose result cannot change the answer


def test_difference_between_two_named_parties_in_the_question_order():
    [call] = compute("How much more capacity did Helvik have than Tern in 2025?", POWER, FakeChat()).calls
    assert call.args == {"a": 1450, "b": 900} and call.cites == [0, 1]


def test_share_of_a_total_row():
    [call] = compute("What share of total capacity did Tern hold in 2025?", POWER, FakeChat()).calls
    assert call.args == {"part": 900, "total": 4000} and call.result == pytest.approx(22.5)


def test_total_named_by_the_corpus_data_file():
    rows = [row_source(0, fact("Rotterdam", "2025", 14, "TEU", "teu")),
            row_source(1, fact("North Range ports", "2025", 40, "TEU", "teu"))]
    knowledge = CorpusKnowledge(totals=["North Range ports"])
    assert compute("What share of total TEU went through Rotterdam in 2025?", rows, NONE()).calls == []
    [call] = compute("What share of total TEU went through Rotterdam in 2025?", rows, FakeChat(), knowledge).calls
    assert call.args == {"part": 14, "total": 40}


def test_percent_change_over_quarters_in_euros():
    [call] = compute("What was the percentage change in Helvik's revenue from Q2 2025 to Q3 2025?", POWER,
                     FakeChat()).calls
    assert call.args == {"old": 290e6, "new": 310e6} and call.result == pytest.approx(6.897, abs=1e-3)


def test_implied_prior_value_from_text_takes_its_sign_from_the_question():
    [call] = compute("Given the 8% rise, what was the robusta price per tonne before March 2025?", POWER,
                     FakeChat()).calls
    assert call.name == "implied_prior" and call.args == {"current": 4200, "pct": 8}
    assert call.result == pytest.approx(3888.89, abs=0.01)


def test_aliases_from_the_corpus_data_file():
    rows = [row_source(0, fact("United Kingdom", "2025", 30, "t", "imports")),
            row_source(1, fact("Germany", "2025", 45, "t", "imports"))]
    question = "How many more tonnes did Germany import than Britain in 2025?"
    assert compute(question, rows, NONE()).calls == []  # 'Britain' names nobody the rows know
    knowledge = CorpusKnowledge(aliases={"United Kingdom": ["UK", "Britain"]})
    [call] = compute(question, rows, FakeChat(), knowledge).calls
    assert call.args == {"a": 45, "b": 30}


def test_initials_stand_for_the_name_they_abbreviate_with_no_data_file():
    rows = [row_source(0, fact("United Kingdom", "2025", 30, "t", "imports")),
            row_source(1, fact("Germany", "2025", 45, "t", "imports"))]
    [call] = compute("How many more tonnes did Germany import than the UK in 2025?", rows, FakeChat()).calls
    assert call.args == {"a": 45, "b": 30}
    assert _mentions("arrivals from the United States of America", "USA", CorpusKnowledge())
    assert _mentions("EU imports rose", "European Union", CorpusKnowledge())
    assert not _mentions("arrivals from the United Kingdom", "US", CorpusKnowledge())
    assert not _mentions("United Kingdom", "UAE", CorpusKnowledge())


BAGS = source(0, "Arabica shipments reached 2.4 million bags in March 2025 and robusta shipments 0.8 million bags; "
                "in April 2025 robusta shipments were 1.1 million bags.")


def test_model_proposal_is_checked_and_a_rejection_goes_back_once_with_the_reason():
    llm = FakeChat().queue('{"tool": "ratio", "a": 2400000, "b": 1100000}',  # April's figure for a March question
                           '{"tool": "ratio", "a": 2400000, "b": 800000}')
    result = compute("How many times larger were arabica shipments than robusta shipments in March 2025?", [BAGS], llm)
    [call] = result.calls
    assert call.args == {"a": 2.4e6, "b": 8e5} and call.chosen_by == "model" and call.result == 3
    assert len(result.rejected) == 1 and "not for what the question asks" in result.rejected[0]
    assert "rejected" in llm.calls[1]["messages"][-1]["content"]  # the reason went back to the model


def test_inputs_not_stated_are_rejected_and_nothing_is_computed():
    llm = FakeChat().queue('{"tool": "ratio", "a": 3, "b": 1}', '{"tool": "none"}')
    result = compute("How many times larger were arabica shipments than robusta shipments?", [BAGS], llm)
    assert result.calls == [] and "not stated" in result.rejected[0] and len(llm.calls) == 2


def test_validation_rules():
    frame = read_question("How much more capacity did Helvik have than Tern in 2025?")
    facts = source_facts(POWER)
    kn = CorpusKnowledge()
    with pytest.raises(ToolInputError, match="not stated"):
        validate("difference", {"a": 1451, "b": 900}, frame, facts, kn)
    with pytest.raises(ToolInputError, match="does not answer"):
        validate("add", {"a": 1450, "b": 900}, frame, facts, kn)
    with pytest.raises(ToolInputError, match="not for what the question asks"):
        validate("difference", {"a": 1200, "b": 800}, frame, facts, kn)  # 2024 figures for a 2025 question
    mixed = read_question("How much larger was Helvik's Q3 2025 figure than its 2025 capacity?")
    with pytest.raises(ToolInputError, match="different units"):
        validate("difference", {"a": 310e6, "b": 1450}, mixed, facts, kn)
    share = read_question("What share of total capacity did Tern hold in 2025?")
    with pytest.raises(ToolInputError, match="larger than total"):
        validate("share", {"part": 4000, "total": 900}, share, facts, kn)


def test_no_calculation_without_a_calculation_question():
    llm = FakeChat()
    result = compute("What did the regulator announce?", POWER, llm)
    assert result.calls == [] and llm.calls == []


def test_figures_in_text_carry_units_periods_and_names():
    facts = {f.value: f for f in source_facts([COFFEE])}
    assert facts[2.4e6].periods == ["2025-03"] and "Brazil" in facts[2.4e6].names
    assert facts[4200].unit == "USD/t" and facts[8].kind == "percent"


def test_named_entities():
    assert named_entities("What share of Helvik Wind's Q3 2025 revenue came from the UK and Tern Power?") == [
        "Helvik Wind", "UK", "Tern Power"]
    # analysts' shorthand for a comparison is no name
    assert named_entities("Orla says H1 2025 revenue rose 18.7% YoY and 3% QoQ; YTD sales?", proper_only=True) == []


def test_magnet_rows_still_compute():
    us = row_source(0, fact("United States", "2025-11", 582, "t", "exports"))
    jp = row_source(1, fact("Japan", "2025-11", 305, "t", "exports"))
    [call] = compute("How many more tons went to the United States than to Japan in November 2025?", [us, jp],
                     FakeChat()).calls
    assert call.result == 277 and call.unit == "t"


# quarterly shipments of a coffee roaster (one row per quarter), plus a text source with a full-year figure
ROASTER = row_source(6, *[fact("Alta Roasters", q, v, "t", "green_coffee_shipped_t", "green coffee shipped")
                          for q, v in (("2024-Q4", 510), ("2025-Q1", 420), ("2025-Q2", 388), ("2025-Q3", 455))])
ROASTER_TEXT = source(7, "Alta Roasters shipped 1,700 tonnes of green coffee in 2025, it expects.")


@pytest.mark.parametrize("question, expected", [
    ("How much green coffee did Alta Roasters ship in total in the first three quarters of 2025?", 1263),
    ("What were Alta Roasters' combined shipments from Q1 to Q2 2025?", 808),
    ("How many tonnes did Alta Roasters ship in total between Q4 2024 and Q2 2025?", 1318),
])
def test_a_total_over_a_stretch_of_periods_sums_one_figure_per_period(question, expected):
    result = compute(question, [ROASTER, ROASTER_TEXT], FakeChat())
    assert [c.name for c in result.calls] == ["total"]
    call = result.calls[0]
    assert call.result == expected and call.unit == "t"
    assert " + " in call.formula and len(call.args) == len(call.labels) >= 2


def test_a_total_with_a_period_missing_is_not_computed():
    result = compute("How much green coffee did Alta Roasters ship in total from Q1 to Q4 2025?",
                     [ROASTER, ROASTER_TEXT], FakeChat().queue('{"tool": "none"}'))
    assert result.calls == []


def test_period_ranges_are_read_from_questions():
    from copilot.periods import expand, find_range

    assert find_range("sales in the first nine months of 2025") == "2025-01..2025-09"
    assert find_range("from Q4 2024 to Q2 2025") == "2024-Q4..2025-Q2"
    assert expand("2024-Q4..2025-Q2") == ["2024-Q4", "2025-Q1", "2025-Q2"]
    assert find_range("revenue in Q3 2025 compared with Q3 2024") is None
    assert find_range("passengers across the four quarters of 2024") == "2024-Q1..2024-Q4"
    assert find_range("sales in all twelve months of 2024") == "2024-01..2024-12"
    assert find_range("in the two quarters of 2024") is None  # which two is not said
    assert find_range("in the three months to June 2025") == "2025-04..2025-06"  # the quarter to June, not the year's first three
    assert read_question("How many barrels in total in January to March 2025?").intents == ["total"]


def test_a_share_value_needs_a_percentage_not_another_figure():
    contract = source(0, "Marlin signed a US$415 million contract with Helvik for the 1,100 MW Skarn Bank project.")
    frame = read_question("What is a 10% stake in Marlin's contract with Helvik worth?")
    facts = source_facts([contract])
    with pytest.raises(ToolInputError, match="not a percentage"):
        validate("part_of", {"total": 415e6, "pct": 1100}, frame, facts, CorpusKnowledge())


def test_a_change_given_as_two_levels_is_computed_for_one_party():
    port = source(0, "The harbour board said the berth fee will rise from £1,800 to £2,070 per call from April. "
                     "Container volume was 41,000 TEU in March.")
    llm = FakeChat()
    result = compute("By how many pounds will the berth fee go up?", [port], llm)
    assert [(c.name, c.result) for c in result.calls] == [("difference", 270)] and llm.calls == []
    both = compute("How much will the berth fee rise, in pounds and in percent?", [port], llm)
    assert [(c.name, round(c.result, 1)) for c in both.calls] == [("difference", 270), ("pct_change", 15.0)]
    later = source(0, "Spot freight fell to $1,240 per box in June from $1,610 in May.")
    assert [c.result for c in compute("By how much did spot freight fall?", [later], llm).calls] == [-370]
    # a range is not a change, and a question about something else takes nothing from the sentence
    ranged = source(0, "Compliance will cost between €9 million and €12 million, from 3 to 5 years of work.")
    assert compute("By how much will compliance costs rise?", [ranged], llm).calls == []
    assert compute("By how many pounds will the pilotage charge rise?", [port], llm).calls == []


def test_the_old_level_of_a_change_in_a_sentence_with_no_period_of_its_own_is_not_given_the_inherited_period():
    from copilot.compute import source_facts, named_entities

    text = ("## First-half tonnage\nHolm Quarries shipped 4,480 kt in H1 2025, compared with 4,120 kt in H1 2024. "
            "Brede Stone's shipments rose from 1,870 kt to 1,990 kt over the same period.")
    facts = {f.value: f.periods for f in source_facts([source(0, text, date="2025-08-01")])}
    assert facts[1990e3] == ["2025-H1"] and facts[1870e3] == []  # 1,870 kt is H1 2024's, which the sentence leaves
    # to the reader; a megalitre is a unit, not a name
    assert named_entities("Corrin Bay Water produced 1,870 ML in Q1 2025") == ["Corrin Bay Water"]


def test_a_capitalised_opener_is_not_a_name_but_a_possessive_one_is():
    assert named_entities("Following the board's ruling, when does Orla Dairies' permit end?", proper_only=True) == [
        "Orla Dairies"]
    assert named_entities("Taking Kell Port and Brask together, what share did Kell Port handle?",
                          proper_only=True) == ["Kell Port", "Brask", "Kell Port"]
    assert named_entities("Which mill ran fuller, Arrow Mills or Tarn Mills? Give both rates.", proper_only=True) == [
        "Arrow Mills", "Tarn Mills"]
    assert named_entities("Skerrow's output in 2025?", proper_only=True) == ["Skerrow"]
    assert named_entities("United States imports in 2025?", proper_only=True) == ["United States"]


# a long table of a dairy group: litres of milk collected (a scale, not a unit, in the unit column) beside tonnes of
# cheese (a unit) and tanker trips (a count)
DAIRY = row_source(0, *[fact(who, q, v, u, s, s) for who, q, v, u, s in (
    ("Orla Dairies", "2025-Q3", 2.46e6, "", "litres_collected"), ("Orla Dairies", "2025-Q3", 1295, "t", "cheese"),
    ("Orla Dairies", "2025-Q3", 18950, "count", "trips"), ("Brask Farms", "2025-Q3", 1.87e6, "", "litres_collected"),
    ("Brask Farms", "2025-Q3", 495, "t", "cheese"), ("Brask Farms", "2025-Q3", 14160, "count", "trips"),
    ("Brask Farms", "2024-Q3", 1.71e6, "", "litres_collected"), ("Brask Farms", "2024-Q3", 480, "t", "cheese"))])


def test_the_series_the_question_names_wins_over_a_series_with_a_unit():
    [diff] = compute("How many more litres did Orla Dairies collect than Brask Farms in Q3 2025?", [DAIRY],
                     NONE()).calls
    assert diff.result == 590000
    [grow] = compute("By what percentage did Brask Farms' litres collected grow in Q3 2025 compared with Q3 2024?",
                     [DAIRY], NONE()).calls
    assert round(grow.result, 2) == 9.36
    # 'in tonnes' keeps the tonnes: a unit asked for decides over the series' words
    [tonnes] = compute("How much more did Orla Dairies produce than Brask Farms in Q3 2025, in tonnes?", [DAIRY],
                       NONE()).calls
    assert tonnes.result == 800 and tonnes.unit == "t"


def test_a_share_of_named_parts_taken_together():
    ports = row_source(0, fact("Kell Port", "2025", 5.61e6, "", "pax", "pax"),
                       fact("Brask Harbour", "2025", 2.96e6, "", "pax", "pax"),
                       fact("All ports", "2025", 23.49e6, "", "pax", "pax", total=True))
    [call] = compute("Taking Kell Port and Brask Harbour together, what share of their combined 2025 traffic did "
                     "Kell Port handle?", [ports], NONE()).calls
    assert call.name == "share_of_parts" and round(call.result, 2) == 65.46
    assert "(5.61 million + 2.96 million)" in call.formula
    # no repeated name: which one is the part is not clear, and the total row answers the plain share
    [plain] = compute("What share of all 2025 traffic did Kell Port handle?", [ports], NONE()).calls
    assert plain.name == "share" and round(plain.result, 2) == 23.88


def test_a_rate_of_two_measures_of_one_party():
    mill = row_source(0, fact("Tarn Mills", "2025-H1", 48600, "t", "flour_t", "flour"),
                      fact("Tarn Mills", "2025-H1", 120, "count", "employees", "employees"),
                      fact("Tarn Mills", "2025-H1", 3.1e6, "EUR", "revenue_eur", "revenue"))
    [call] = compute("On average, how many tonnes of flour did Tarn Mills mill per employee in H1 2025?", [mill],
                     NONE()).calls
    assert call.name == "ratio" and call.result == 405
    [money] = compute("What was Tarn Mills' average revenue per employee in H1 2025?", [mill], NONE()).calls
    assert round(money.result) == 25833
    assert read_question("How much did prices rise per tonne in 2024?").per == ("", "")


def test_a_rate_of_two_measures_named_by_their_unit_takes_a_figure_of_each():
    # 'tonnes of olives ... per tonne of oil': both sides in tonnes, told apart by the words after 'of'
    mill = source(0, "VERDAL MILL - 2025 HARVEST REPORT\n\nVerdal Mill pressed 52,000 tonnes of olives in 2025. "
                     "Verdal Mill's oil output was 8,000 tonnes in 2025. Verdal Mill also stored 5,000 tonnes of "
                     "pomace in 2025.")
    question = "How many tonnes of olives did Verdal Mill press per tonne of oil it produced in 2025?"
    frame = read_question(question)
    assert frame.per == ("olives", "oil") and frame.per_units == ("t", "t")
    [call] = compute(question, [mill], NONE()).calls
    assert call.name == "ratio" and call.result == 6.5
    facts, kn = source_facts([mill]), CorpusKnowledge()
    with pytest.raises(ToolInputError, match="not a figure of olives"):
        validate("ratio", {"a": 5000, "b": 8000}, frame, facts, kn)  # pomace stored is no olives pressed
    assert validate("ratio", {"a": 52000, "b": 8000}, frame, facts, kn)["a"].value == 52000
    # a rate whose measures are words, not units, reads as before
    assert read_question("How many passengers per flight did Kell Air carry in 2025?").per == ("passengers", "flight")


def test_a_price_per_unit_of_money_over_a_measure_is_in_that_currency_per_unit():
    # 'NOK per tonne': the currency's code is no name; the result is NOK per tonne, not a multiple
    line = source(0, "Fish exports to Orland: Value Jan-Sep 2025 was NOK 1,327 million; Volume Jan-Sep 2025 was "
                     "39.4 thousand tonnes.")
    question = "avg unit value of fish exports to Orland jan-sep 2025, NOK per tonne?"
    assert read_question(question).names == ["Orland"]
    [call] = compute(question, [line], NONE()).calls
    assert call.name == "ratio" and round(call.result) == 33680 and call.unit == "NOK/t"


def test_a_prior_value_implied_by_a_change_the_sources_state():
    release = source(0, "KELL FERRIES - TRADING UPDATE\n\nThe operator carried 410,000 vehicles in May 2025, an "
                        "increase of 8.5% on May 2024. The summer timetable starts in June.")
    frame = read_question("Based on the growth Kell Ferries reported for May 2025, roughly how many vehicles did it "
                          "carry in May 2024?")
    assert frame.intents == ["implied_prior"]
    [call] = compute(frame.question, [release], NONE()).calls
    assert round(call.result) == 377880


def test_a_yearless_period_takes_its_own_sentence_year_not_a_comparison_year():
    from copilot.periods import find_periods

    text = ("Ports handled 23.5 million tonnes in 2025, 7.6% more than the 21.8 million recorded in 2024. The fourth "
            "quarter contributed 5.5 million tonnes, of which December accounted for 1.7 million.")
    assert [p.code for p in find_periods(text)][2:] == ["2025-Q4", "2025-12"]
    assert [p.code for p in find_periods("In 2024 it sold 5 t. In 2025 it sold 7 t. The fourth quarter was strong.")
            ][-1] == "2025-Q4"


def test_a_sentence_opening_date_dates_the_whole_sentence():
    from copilot.compute import context_periods

    s = "On 9 October 2025 the board approved an order for four barges, valued at €96 million, for delivery in 2027."
    start = s.index("€96")
    assert "2025-10-09" in context_periods(s, start, start + 11, strict=True)


def test_a_share_of_a_whole_that_prose_names_in_its_own_words():
    kell = row_source(0, fact("Kell Ferries", "2025-Q3", 2.46e6, "", "vehicles", "vehicles"))
    board = source(1, "Operators holding a Brask sailing licence carried 5.84 million vehicles between July and "
                      "September 2025, up 6.6% on the same quarter of 2024.")
    [call] = compute("What share of all vehicles carried by Brask-licensed operators in the third quarter of 2025 did "
                     "Kell Ferries account for?", [kell, board], NONE()).calls
    assert call.name == "share" and round(call.result, 2) == 42.12
    facts = {f.value: f.periods for f in source_facts([board])}
    assert facts[5.84e6] == ["2025-Q3"]  # "between July and September 2025" is the third quarter, whole


# a long quarterly table of two bakeries: loaves, revenue and a margin per quarter
BAKERY = [row_source(i, f) for i, f in enumerate([
    fact("Osterby Bakeries", "2024-Q3", 41.0e6, "units", "loaves", "loaves"),
    fact("Osterby Bakeries", "2025-Q3", 45.1e6, "units", "loaves", "loaves"),
    fact("Osterby Bakeries", "2024-Q3", 120e6, "EUR", "revenue", "revenue"),
    fact("Osterby Bakeries", "2025-Q3", 138e6, "EUR", "revenue", "revenue"),
    fact("Osterby Bakeries", "2024-Q3", 24.1, "%", "margin", "operating margin"),
    fact("Osterby Bakeries", "2025-Q3", 26.3, "%", "margin", "operating margin"),
    fact("Brannock Mills", "2024-Q3", 80e6, "EUR", "revenue", "revenue"),
    fact("Brannock Mills", "2025-Q3", 84e6, "EUR", "revenue", "revenue"),
])]


def test_year_on_year_growth_compares_with_the_same_period_a_year_before():
    frame = read_question("What was Osterby's year-on-year growth in loaves sold in the third quarter of 2025?")
    assert frame.intents == ["pct_change"] and frame.periods == ["2024-Q3", "2025-Q3"]
    [call] = compute("What was Osterby's year-on-year growth in loaves sold in the third quarter of 2025?", BAKERY,
                     NONE()).calls
    assert call.name == "pct_change" and round(call.result, 2) == 10.0


def test_a_change_of_a_rate_in_percentage_points_is_a_difference_of_the_two_rates():
    question = "How much did Osterby's operating margin move between Q3 2024 and Q3 2025? Give it in percentage points."
    assert read_question(question).intents == ["difference"]
    [call] = compute(question, BAKERY, NONE()).calls
    assert call.name == "difference" and round(call.result, 2) == 2.2 and call.unit == "pp"


def test_whose_growth_was_faster_gets_each_partys_own_change():
    question = "Osterby vs Brannock - whose revenue grew faster year on year in Q3 2025?"
    assert read_question(question).names == ["Osterby", "Brannock"]  # a name opening a list is a name
    calls = compute(question, BAKERY, NONE()).calls
    assert [(c.name, round(c.result, 1)) for c in calls] == [("pct_change", 15.0), ("pct_change", 5.0)]
    assert "Osterby" in calls[0].labels["old"] and "Brannock" in calls[1].labels["new"]


def test_a_name_opening_the_question_in_a_list_of_names_is_a_name():
    assert named_entities("Kell plus Brask: what was their combined fleet?", proper_only=True) == ["Kell", "Brask"]
    assert named_entities("Revenue for 2024 was what?", proper_only=True) == []


def test_a_rate_from_a_document_about_the_party_whose_sentences_name_no_one():
    """'Revenue from ferry traffic was ...' in Kell Ferries' own report is Kell's figure."""
    report = source(0, "FERRY TRAFFIC, H1 2025\n- Cars: 0.42 million vehicles (H1 2024: 0.40 million vehicles)\n"
                       "FINANCIALS\nRevenue from car traffic was DKK 84.0 million in H1 2025.")
    report = report.model_copy(update={"title": "Kell Ferries - Traffic Report H1 2025", "publisher": "Kell Ferries"})
    [call] = compute("Work out Kell's car revenue per vehicle carried in H1 2025.", [report], NONE()).calls
    assert call.name == "ratio" and round(call.result) == 200


def test_a_currency_code_before_its_amount_is_not_a_name():
    assert named_entities("Revenue from car traffic was DKK 84.0 million and TVD 12 million.", proper_only=True) == []
    assert named_entities("The NEO 2026 levy", proper_only=True) == ["NEO"]


def test_a_level_with_no_period_of_its_own_takes_its_documents_reporting_period():
    results = source(0, "## Highlights\n- Gross margin was 41.2%, against 43.0% in the first half of 2024.")
    results = results.model_copy(update={"title": "Brannock Mills plc - Half-Year Results H1 2025",
                                         "publisher": "Brannock Mills plc"})
    [call] = compute("By how many percentage points did Brannock's gross margin fall between the first half of 2024 "
                     "and the first half of 2025?", [results], NONE()).calls
    assert call.name == "difference" and round(call.result, 1) == -1.8 and call.unit == "pp"


def test_which_party_ranks_highest_and_lowest_from_table_rows():
    rows = [row_source(i, fact(name, "2025-Q2", value, "%", "gross_margin", "gross margin"))
            for i, (name, value) in enumerate([("Harrow Mills", 31.8), ("Brannock Mills", 37.2), ("Osterby", 29.4)])]
    rows.append(row_source(3, fact("All mills", "2025-Q2", 32.5, "%", "gross_margin", "gross margin", total=True)))
    question = "Which mill had the highest and which the lowest gross margin in Q2 2025?"
    assert read_question(question).intents == ["rank"]
    calls = compute(question, rows, NONE()).calls
    assert [c.name for c in calls] == ["highest", "lowest"]
    assert calls[0].formula.endswith("= Brannock Mills (37.2%)") and calls[1].formula.endswith("= Osterby (29.4%)")


def test_which_line_of_a_document_table_grew_fastest_ranks_the_stated_changes():
    table = source(0, "Sailings by route\nNorth: April-June 2025 was 1,240 sailings; April-June 2024 was 1,190 "
                      "sailings; Change +4.2%.\nSouth: April-June 2025 was 860 sailings; April-June 2024 was 700 "
                      "sailings; Change +22.9%.\nTotal: April-June 2025 was 2,100 sailings; April-June 2024 was 1,890 "
                      "sailings; Change +11.1%.")
    [call] = compute("Which route grew fastest in April to June 2025 compared with a year earlier?", [table],
                     NONE()).calls
    assert call.name == "highest" and call.result == 22.9 and "South" in call.formula and "Total" not in call.formula


def test_which_party_grew_fastest_between_two_periods_computes_each_change():
    rows, i = [], 0
    for name, old, new in [("Harrow Mills", 410, 430), ("Brannock Mills", 250, 300), ("Osterby", 120, 118),
                           ("All mills", 780, 848)]:
        for year, value in (("2023", old), ("2024", new)):
            rows.append(row_source(i, fact(name, year, value, "t", "flour_t", "flour", total=name == "All mills")))
            i += 1
        rows.append(row_source(i, fact(name, "2024", old / 10, "staff", "staff", "staff")))
        i += 1
    question = "Which mill grew its flour output fastest in percentage terms from 2023 to 2024?"
    calls = compute(question, rows, NONE()).calls
    assert [c.name for c in calls] == ["pct_change"] * 3 + ["highest"]
    assert "Brannock Mills" in str(calls[0].labels)
    assert round(calls[0].result, 1) == 20.0 and round(calls[2].result, 1) == -1.7
    # the ranking cites the calculations, numbered after the sources
    assert calls[-1].formula.endswith("= Brannock Mills (20%)") and calls[-1].cites == [len(rows) + i for i in range(3)]
    slowest = compute(question.replace("fastest", "slowest"), rows, NONE()).calls
    assert round(slowest[0].result, 1) == -1.7 and slowest[-1].name == "lowest" and "Osterby" in slowest[-1].formula


def test_how_the_question_words_its_calculation():
    # 'by how much, in percent' is one calculation; a year compared with 'the previous fiscal year' adds that year
    frame = read_question("By how much, in percent, did Harrow's flour sales grow in fiscal 2025 compared with the "
                          "previous fiscal year?")
    assert frame.intents == ["pct_change"] and frame.periods == ["FY2024", "FY2025"]
    # 'how many tonnes did each truckload carry?' is a rate, as 'tonnes per truckload' is
    frame = read_question("On average, how many tonnes did each Harrow truckload to Osterland carry in H1 2025?")
    assert (frame.intents, frame.per) == (["ratio"], ("tonnes", "truckload"))
    assert read_question("How much revenue did each of the two mills earn in 2025?").per == ("", "")
    # a sentence's end and an acronym's 'of' part names; a currency code before its scale is no name
    assert read_question("Add up the 2024 EBIT of Harrow Mills and Osterby. What's the combined figure in KSK "
                         "million?").names == ["EBIT", "Harrow Mills", "Osterby"]


def test_a_comparison_after_a_figure_dates_the_figure_compared_with():
    sentence = ("Rail: 1,250 wagons carried 64,300 tonnes to the coast, compared with 1,190 wagons in the first half "
                "of 2024.")
    at = sentence.find("64,300")
    assert context_periods(sentence, at, at + 6) == []  # the document's own period applies, not H1 2024
    at = sentence.find("1,190")
    assert context_periods(sentence, at, at + 5) == ["2024-H1"]


def test_a_stretch_of_months_that_is_one_quarter_is_searched_as_that_quarter():
    frame = read_question("How much flour did Harrow mill in the three months to September 2025?")
    assert (frame.periods, frame.span) == (["2025-Q3"], "")
    frame = read_question("How much flour did Harrow mill in total in the three months to September 2025?")
    assert frame.intents == ["total"] and frame.span == "2025-07..2025-09"


def test_a_demonym_or_a_superlative_opening_a_question():
    # 'Korean' opening a question names Korea; 'Lowest' opening one is no part of a name
    assert named_entities("Korean parcel volumes in Q3 2025?", proper_only=True) == ["Korean"]
    assert _mentions("Korea: parcels, Q3 2025: 41,000", "Korean", CorpusKnowledge())
    assert named_entities("Median rent in Q3 2025?", proper_only=True) == []
    assert named_entities("Lowest Yield Index among the districts in 2025?", proper_only=True) == ["Yield Index"]


def test_a_table_s_total_row_named_after_its_parts_is_a_total(tmp_path):
    from retrieval.loaders import load_file

    csv = tmp_path / "rents.csv"
    csv.write_text("district,rent_2025_eur_m2\nHarbourside,14.2\nFour-district total,12.1\n")
    assert [(r.entity, r.is_total) for rs in load_file(csv).record_facts for r in rs] == [
        ("Harbourside", False), ("Four-district total", True)]


def test_a_change_over_two_stretches_takes_a_figure_stated_for_each_not_months_within_them():
    # the parcel counts of January-May are not those of May or of April, which lie within the stretches
    months = [source(0, "In May 2025, parcels rose to 412 thousand, against 380 thousand in April 2024.")]
    frame = read_question("By how much did parcels in January-May 2025 grow on the same period of 2024, in percent?")
    facts = source_facts(months, CorpusKnowledge())
    with pytest.raises(ToolInputError, match="not stated for"):
        validate("pct_change", {"old": 380000, "new": 412000}, frame, facts, CorpusKnowledge())
    stretch = [source(0, "Parcels in January-May 2025 were 1,950 thousand, against 1,800 thousand in January-May "
                         "2024.")]
    facts = source_facts(stretch, CorpusKnowledge())
    assert validate("pct_change", {"old": 1800000, "new": 1950000}, frame, facts, CorpusKnowledge())


def test_an_implied_prior_stretch_is_not_backed_out_of_a_month_within_it():
    # August 2024 lies within the asked June-August 2024: it is no current value to back the change out of
    rows = [row_source(0, fact("Oldwick ferries", "2024-08", 36100, "passengers", "passengers")),
            source(1, "Oldwick ferries: Passengers Jun–Aug 2025 was 116.2 thousand; Change on Jun–Aug 2024 was "
                      "+15.2%.")]
    question = ("The port says Oldwick ferries' passengers rose 15.2% this summer. What does that imply for their "
                "passengers in June-August 2024?")
    [call] = compute(question, rows, NONE()).calls
    assert call.name == "implied_prior" and call.args["current"] == pytest.approx(116200)
    assert call.result == pytest.approx(100868.06, abs=0.01)


def test_a_margin_is_the_measure_as_a_share_of_revenue_in_the_party_s_own_report():
    report = [source(0, "## Key figures\nOperating profit: H1 2025 was GBP 12.6 million; H1 2024 was GBP 10.1 million."),
              source(1, "- Sales rose to GBP 84.0 million in the first half of 2025."),
              source(2, "- Net debt was GBP 40.0 million at 30 June 2025.")]
    for s in report:
        s.title = "Crumbwell Bakeries plc - Half-Year Report 2025"
    [call] = compute("What was Crumbwell's operating margin in H1 2025?", report, NONE()).calls
    assert call.name == "share" and call.args == {"part": pytest.approx(12.6e6), "total": pytest.approx(84.0e6)}
    assert call.result == pytest.approx(15.0)
    # a margin the question asks to compare in points is no share of revenue
    assert "share" not in read_question("By how many points did Crumbwell's operating margin rise in H1 2025?").intents


def test_the_biggest_gain_in_a_rate_ranks_the_parties_changes_in_points():
    rows = [row_source(i, fact(city, "2024-H1", old, "%", "occupancy_pct", "occupancy"),
                       fact(city, "2025-H1", new, "%", "occupancy_pct", "occupancy"))
            for i, (city, old, new) in enumerate([("Brask", 70.0, 71.0), ("Kell", 60.0, 66.5), ("Orwe", 80.0, 79.0)])]
    calls = compute("Which district had the biggest gain in office occupancy between H1 2024 and H1 2025?", rows,
                    NONE()).calls
    assert [c.name for c in calls] == ["difference"] * 3 + ["highest"]
    assert calls[-1].result == pytest.approx(6.5) and calls[-1].unit == "pp"
    assert calls[-1].labels["x1"].startswith("Kell")


def test_which_month_ranks_the_months_within_the_asked_year():
    lines = [source(0, "#### Parcels delivered, thousands\nApril: April 2025 was 5,038 thousand; April 2024 was 4,611 "
                       "thousand; Change +9.3%.\nMay: May 2025 was 6,274 thousand; May 2024 was 6,050 thousand; Change "
                       "+3.7%."),
             source(1, "March: March 2025 was 4,102 thousand; March 2024 was 4,245 thousand; Change −3.4%.")]
    calls = compute("In which month of 2025 did parcel deliveries grow most strongly year on year?", lines,
                    NONE()).calls
    assert calls and calls[-1].name == "highest" and calls[-1].result == pytest.approx(9.3)


def test_a_share_or_margin_a_source_states_is_quoted_not_proposed_to_the_model():
    report = [source(0, "## Sales channels\nOnline orders made up 18% of revenue in Q2 2025, against 14% in Q2 2024."),
              source(1, "- EBITDA of SEK 41 million, giving an EBITDA margin of 21.5%, up from 19.8% a year earlier."),
              source(2, "Ferry crossings rose 6% in Q2 2025.")]
    for s in report:
        s.title = "Fjordline Ferries AB - Interim Report Q2 2025"
        s.publisher = "Fjordline Ferries AB"
    llm = FakeChat()  # nothing queued: any model call fails the test
    share = compute("What share of Fjordline's revenue came from online orders in Q2 2025?", report, llm)
    assert share.calls == [] and share.stated is not None and share.stated.value == 18 and not share.model_called
    margin = compute("What was Fjordline's EBITDA margin in Q2 2025?", report, llm)
    assert margin.stated is not None and margin.stated.value == 21.5 and llm.calls == []
    # stated for another period, or another measure: the model is still asked
    for question in ("What share of Fjordline's revenue came from online orders in Q3 2025?",
                     "What was Fjordline's operating margin in Q2 2025?"):
        asked = FakeChat().queue('{"tool": "none"}')
        result = compute(question, report, asked)
        assert result.stated is None and len(asked.calls) == 1, question


def test_a_level_implied_by_a_rate_is_shown_to_four_significant_figures_in_millions():
    release = source(0, "Orla Sail Lines: ticket revenue was NOK 63.5 million in H1 2025, up 18.7% on H1 2024.")
    [call] = compute("Orla says H1 2025 ticket revenue rose 18.7% YoY. What does that imply for H1 2024?", [release],
                     NONE()).calls
    assert call.name == "implied_prior" and call.result == pytest.approx(53.5e6)
    assert "53.5 million" in call.formula


def test_a_change_told_as_two_levels_of_other_periods_does_not_answer_for_the_asked_ones():
    note = source(0, "The number of public berths grew from 2,980 at end-2023 to 3,860 at end-2024.")
    asked = "By how much did berth income in Jan-Sep 2025 grow on Jan-Sep 2024, in percent?"
    assert compute(asked, [note], NONE()).calls == []
    [call] = compute("By how much did the number of public berths grow in 2024, in percent?", [note], NONE()).calls
    assert call.name == "pct_change" and call.result == pytest.approx(29.53, abs=0.01)


def test_names_typed_in_lowercase_are_read_as_the_passages_write_them():
    from copilot.compute import restore_names, written_as_names

    passages = ["## Results\nBrask Ferries carried 1.2 million passengers. Fares at Brask Ferries rose 4%.",
                "Avg fare: H1 2025 was €12.4.\nAvg fare: H1 2024 was €11.9.",  # line openers, whatever they are
                "The operator expects the total to grow; the ORLA port authority approved it. Total traffic rose.",
                "Crossings to Orla rose in 2025, ORLA said."]
    found = written_as_names("brask avg fare per passenger in 2025, and total traffic per orla?", passages)
    assert found == {"brask": "Brask"}  # 'total' is written in lowercase too; 'Orla' and 'ORLA' disagree
    # a word inside another's name is no name of its own, unless the question gives the words before it
    inside = ["Fares are set by the Veldan Ferry Authority. Ferry crossings rose.", "Sailings of Orla Express rose."]
    assert written_as_names("brask ferry fares 2025", inside) == {}
    assert written_as_names("orla express sailings", inside) == {"orla": "Orla", "express": "Express"}
    question = restore_names("brask share of all crossings in 2025?", found)
    assert question == "Brask share of all crossings in 2025?"
    frame = read_question(question, known=frozenset(found))
    assert frame.intents == ["share"] and frame.names == ["Brask"]
    assert read_question(question).names == []  # an opening capitalised word alone is no name without the passages
    rate = read_question("Brask avg fare per passenger in 2025?", known=frozenset(found))
    assert rate.intents == ["ratio"] and rate.per == ("fare", "passenger") and rate.names == ["Brask"]
    margin = read_question("Brask EBITDA margin q3 25", known=frozenset(found))
    assert margin.names == ["Brask"] and margin.periods == ["2025-Q3"] and margin.per == ("ebitda", "revenue")


def test_a_rate_of_energy_per_count_reads_at_the_prefix_that_fits():
    report = [source(0, "#### Key figures\nEnergy delivered: Q2 2025 was 41.6 GWh.\nCharging sessions: Q2 2025 was "
                        "1.52 million.")]
    for s in report:
        s.title = "Brask Charging - Q2 2025 report"
    [call] = compute("What was Brask's average energy per charging session in Q2 2025?", report, NONE()).calls
    assert call.name == "ratio" and call.unit == "kWh" and call.result == pytest.approx(27.37, abs=0.01)
    assert "27.37 kWh" in call.formula


def test_the_biggest_increase_in_a_year_ranks_each_table_lines_change_over_the_year_before():
    from copilot.types import Citation

    fares = Citation(n=0, doc_id="d", title="Ferry fares 2026",
                     text="#### Table 1. Average ferry fares by route, 2025 and 2026 (EUR per trip)\n"
                          "Island loop: Operator Kell; 2025 was €5.64/trip; 2026 was €6.38/trip.\n"
                          "Harbour shuttle: Operator Kell; 2025 was €9.42/trip; 2026 was €10.15/trip.\n"
                          "Night boat: Operator Brask; 2025 was €8.10/trip; 2026 was €8.52/trip.")
    result = compute("Which route faces the biggest % increase in fares in 2026?", [fares], None)
    ranked = result.calls[-1]
    assert ranked.name == "highest" and ranked.result == pytest.approx(13.12, abs=0.01)
    assert "Island loop" in ranked.formula and len(result.calls) == 4
    # a level asked for, not a change: the levels of that year are ranked
    level = compute("Which route has the highest fare in 2026?", [fares], None)
    assert [c.name for c in level.calls] == ["highest"] and level.calls[0].result == pytest.approx(10.15)


def test_a_change_between_two_months_a_year_apart_is_from_the_first_to_the_last():
    bread = source(0, "#### Table 1: Bread prices by month\n"
                      "August: Loaf price August 2025 was 30.2 ct/loaf; Loaf price August 2024 was 31.5 ct/loaf.\n"
                      "July: Loaf price July 2025 was 29.9 ct/loaf; Loaf price July 2024 was 31.3 ct/loaf.")
    calls = compute("How much did the loaf price change between August 2024 and August 2025, in cents and in "
                    "percent?", [bread], None).calls
    assert [c.name for c in calls] == ["difference", "pct_change"]
    assert calls[0].result == pytest.approx(-1.3) and calls[1].result == pytest.approx(-4.127, abs=0.001)
