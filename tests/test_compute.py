import pytest

from copilot.compute import compute, detect_intent, named_entities, rules_plan, validate
from copilot.errors import ToolInputError
from copilot.llm import FakeChat
from tests.helpers import row, source

US_NOV = source(0, "rare-earth magnet exports, United States, November 2025: 582 t.", row("United States", "2025-11", 582))
US_OCT = source(1, "rare-earth magnet exports, United States, October 2025: 656 t.", row("United States", "2025-10", 656))
JP_NOV = source(2, "rare-earth magnet exports, Japan, November 2025: 305 t.", row("Japan", "2025-11", 305))
JP_PCT = source(3, "change, Japan, November 2025: 35%.", row("Japan", "2025-11", 35, "%", "magnet_exports_mom_pct"))
TOTAL = source(4, "rare-earth magnet exports, all destinations, November 2025: 6,150 t.",
               row("all destinations", "2025-11", 6150))
TEXT = source(5, "Shipments to Japan jumped 35% to 305 tons while US-bound fell to 582 tons.")
SOURCES = [US_NOV, US_OCT, JP_NOV, JP_PCT, TOTAL, TEXT]


@pytest.mark.parametrize("question,intent", [
    ("How many more tons went to the US than to Japan in November 2025?", "difference"),
    ("What was the percent change in US-bound exports from October to November 2025?", "pct_change"),
    ("What share of China's total exports went to the US in November 2025?", "share"),
    ("Given the 35% rise, how many tons went to Japan in October 2025?", "implied_prior"),
    ("How many times larger were US shipments than Japan's?", "ratio"),
    ("What was the value of magnet exports that went to the US in 2024?", "part_of"),
    ("What did China agree to in October?", None),
])
def test_intent_from_question(question, intent):
    assert detect_intent(question) == intent


def test_rules_plans_from_typed_rows():
    assert rules_plan("difference", "How many more tons to the US than to Japan in November 2025?", SOURCES) == (
        {"a": 582, "b": 305}, [0, 2])
    assert rules_plan("pct_change", "Percent change in US exports from October to November 2025?", SOURCES) == (
        {"old": 656, "new": 582}, [1, 0])
    assert rules_plan("share", "What share of total exports went to the US in November 2025?", SOURCES) == (
        {"part": 582, "total": 6150}, [0, 4])
    assert rules_plan("implied_prior", "Given the 35% rise, how many tons to Japan in October 2025?", SOURCES) == (
        {"current": 305, "pct": 35}, [2, 3])


def test_validation_rejects_inputs_no_source_states():
    with pytest.raises(ToolInputError, match="not stated"):
        validate("difference", {"a": 600, "b": 305}, "difference", "q", SOURCES)
    with pytest.raises(ToolInputError, match="does not answer"):
        validate("add", {"a": 582, "b": 305}, "difference", "q", SOURCES)
    with pytest.raises(ToolInputError, match="larger than total"):
        validate("share", {"part": 6150, "total": 582}, "share", "q", SOURCES)


def test_model_choice_is_used_and_its_order_corrected_by_the_rows():
    llm = FakeChat().queue('{"tool": "pct_change", "old": 582, "new": 656}')  # reversed, as small models do
    [call] = compute("What was the percent change in US-bound exports from October to November 2025?", SOURCES, llm)
    assert call.args == {"old": 656, "new": 582} and call.result == pytest.approx(-11.28, abs=0.01)
    assert call.chosen_by == "model" and call.cites == [1, 0]
    assert llm.calls[0]["json_schema"] is not None  # constrained output, not free text


def test_a_share_of_the_wrong_entity_is_rejected():
    us = source(6, "China shipped 582 tons of magnets to the United States in November 2025.")
    total = source(7, "China's total magnet exports reached 6,150 metric tons in November 2025.")
    llm = FakeChat().queue('{"tool": "share", "part": 582, "total": 6150}')
    assert compute("What share of China's November 2025 magnet exports went to Japan?", [us, total], llm) == []
    llm = FakeChat().queue('{"tool": "share", "part": 582, "total": 6150}')
    [call] = compute("What share of China's November 2025 magnet exports went to the US?", [us, total], llm)
    assert call.result == pytest.approx(9.46, abs=0.01)


def test_named_entities():
    assert named_entities("What share of China's November 2025 exports went to Japan and MP Materials?") == [
        "China", "Japan", "MP Materials"]


def test_model_input_not_in_sources_falls_back_to_rules():
    llm = FakeChat().queue('{"tool": "difference", "a": 600, "b": 305}')
    [call] = compute("How many more tons went to the US than to Japan in November 2025?", SOURCES, llm)
    assert call.result == 277 and call.chosen_by == "rules"


def test_model_choice_from_text_when_no_rows_match():
    llm = FakeChat().queue('{"tool": "ratio", "a": 582, "b": 305}')
    [call] = compute("How many times larger were shipments to the US than to Japan?", [TEXT], llm)
    assert call.chosen_by == "model" and call.cites == [5] and call.result == pytest.approx(1.908, abs=1e-3)


@pytest.mark.parametrize("question,current,pct,expected", [
    ("Given the 11% decline, how many tons went to the US in October 2025?", 582, 11, -11),
    ("Given the 35% rise, how many tons went to Japan in October 2025?", 305, -35, 35),
    ("Given the 35% change, how many tons went to Japan in October 2025?", 305, 35, 35),
])
def test_implied_prior_takes_its_sign_from_the_question(question, current, pct, expected):
    llm = FakeChat().queue(f'{{"tool": "implied_prior", "current": {current}, "pct": {pct}}}')
    [call] = compute(question, [TEXT, source(6, "US shipments fell 11% to 582 tons.")], llm)
    assert call.args["pct"] == expected and call.result == pytest.approx(current / (1 + expected / 100))


def test_implied_prior_of_another_entity_is_rejected():
    llm = FakeChat().queue('{"tool": "implied_prior", "current": 305, "pct": 11}')
    assert compute("Given the 11% decline, how many tons went to the US in October 2025?",
                   [TEXT, source(6, "US shipments fell 11% to 582 tons.")], llm) == []


def test_value_of_a_share_is_computed_from_the_rows():
    value = source(7, "value of magnet exports, all destinations, 2024: $2.9 billion.",
                   row("all destinations", "2024", 2.9e9, "USD", "magnet_export_value_usd"))
    share = source(8, "share of the value, United States, 2024: 12.8%.",
                   row("United States", "2024", 12.8, "%", "magnet_export_value_share_pct"))
    llm = FakeChat().queue('{"tool": "none"}')
    [call] = compute("What was the value of China's 2024 magnet exports to the United States?", [value, share], llm)
    assert call.name == "part_of" and call.result == pytest.approx(371.2e6) and call.unit == "USD"


def test_difference_of_two_measures_in_one_unit():
    india = source(9, "programme, India, 2025: $816 million.", row("India", "2025-11-26", 816e6, "USD", "programme_usd"))
    us = source(10, "funding, United States, 2025: $540 million.", row("United States", "2025", 540e6, "USD", "funding_usd"))
    llm = FakeChat().queue('{"tool": "none"}')
    [call] = compute("How many more dollars did India commit than the US?", [india, us], llm)
    assert call.args == {"a": 816e6, "b": 540e6} and call.result == 276e6 and call.chosen_by == "rules"


def test_no_calculation_without_a_calculation_question():
    llm = FakeChat()
    assert compute("What did China agree to?", SOURCES, llm) == [] and llm.calls == []


def test_bad_model_output_and_no_rows_means_no_calculation():
    llm = FakeChat().queue("not json")
    assert compute("How many times larger were shipments to the US than to Japan?", [TEXT], llm) == []
