import pytest

from copilot.errors import ToolInputError
from copilot.numbers import extract_numbers, numbers_match
from copilot.tools import TOOLS, add, difference, implied_prior, part_of, pct_change, ratio, run_tool, share


def test_tool_arithmetic():
    assert difference(582, 305) == 277
    assert pct_change(656, 582) == pytest.approx(-11.28, abs=0.01)
    assert share(582, 6150) == pytest.approx(9.46, abs=0.01)
    assert ratio(582, 305) == pytest.approx(1.908, abs=0.001)
    assert add(582, 305) == 887
    assert implied_prior(305, 35) == pytest.approx(225.93, abs=0.01)
    assert part_of(2.9e9, 12.8) == pytest.approx(371.2e6)


@pytest.mark.parametrize("name,args", [("pct_change", {"old": 0, "new": 5}), ("share", {"part": 1, "total": 0}),
                                       ("ratio", {"a": 1, "b": 0}), ("implied_prior", {"current": 5, "pct": -100}),
                                       ("share", {"part": 1}), ("nope", {"a": 1})])
def test_undefined_calls_are_rejected(name, args):
    with pytest.raises(ToolInputError):
        run_tool(name, args)


def test_every_tool_has_a_docstring_the_model_reads():
    assert all(t.doc for t in TOOLS.values())


@pytest.mark.parametrize("text,values", [
    ("6,150 metric tons", [(6150, "quantity")]),
    ("$816 million", [(816e6, "money")]),
    ("$2.9 billion and 12.8%", [(2.9e9, "money"), (12.8, "percent")]),
    ("a margin of -50.55%", [(-50.55, "percent")]),
    ("On November 26, 2025 [3]", [(26, "date"), (2025, "year")]),
    ("fell 11% [0][1]", [(11, "percent")]),
    ("model Q4_K_M", []),
])
def test_numbers_are_normalised(text, values):
    assert [(n.value, n.kind) for n in extract_numbers(text)] == values


@pytest.mark.parametrize("stated,ref,kind,ok", [
    (11, 11.28, "percent", True), (11, -11, "percent", True), (12, 11.28, "percent", False),
    (6150, 6150, "quantity", True), (6160, 6150, "quantity", False), (6151, 6150, "quantity", False),
    (226, 225.93, "quantity", True), (225.9, 225.93, "quantity", True), (225.93, 226, "quantity", False),
    (2025, 2024, "year", False),
])
def test_number_matching_rules(stated, ref, kind, ok):
    assert numbers_match(stated, ref, kind) is ok
