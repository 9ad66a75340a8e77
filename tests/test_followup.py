"""Follow-up questions made standalone without the model: a new period, a period named relative to the previous
one, or a new name put in place of the old."""

import pytest

from copilot.followup import is_followup, rewrite
from copilot.periods import shift

MILL = "How much flour did Brannock Mills grind in the third quarter of 2025?"


@pytest.mark.parametrize("follow,standalone", [
    ("And in the same quarter of 2024?", "How much flour did Brannock Mills grind in Q3 2024?"),
    ("What about a year earlier?", "How much flour did Brannock Mills grind in Q3 2024?"),
    ("How about the same period last year?", "How much flour did Brannock Mills grind in Q3 2024?"),
    ("And the previous quarter?", "How much flour did Brannock Mills grind in Q2 2025?"),
    ("And the next quarter?", "How much flour did Brannock Mills grind in Q4 2025?"),
    ("And in Q2?", "How much flour did Brannock Mills grind in Q2 2025?"),
    ("And in 2024?", "How much flour did Brannock Mills grind in 2024?"),
    ("What about Osterby Grain?", "How much flour did Osterby Grain grind in the third quarter of 2025?"),
])
def test_a_follow_up_is_the_previous_question_with_its_new_period_or_name(follow, standalone):
    assert is_followup(follow, True)
    assert rewrite(follow, MILL) == standalone  # no model needed: rewrite(llm=None) would join the two otherwise


def test_a_year_earlier_keeps_the_grain_of_the_previous_period():
    assert rewrite("And a year before?", "What did the ferry carry in March 2025?") == \
        "What did the ferry carry in March 2024?"
    assert rewrite("What about the month before?", "What did the ferry carry in January 2025?") == \
        "What did the ferry carry in December 2024?"
    assert rewrite("And the prior year?", "What was Kell's fleet in FY2025?") == "What was Kell's fleet in FY2024?"


def test_periods_shift_by_years_and_by_their_own_length():
    assert shift("2025-Q1", steps=-1) == "2024-Q4"
    assert shift("2025-H2", steps=1) == "2026-H1"
    assert shift("2025-12", steps=1) == "2026-01"
    assert shift("2025-Q3", years=-1) == "2024-Q3"
    assert shift("2025-01..2025-03", years=-1) is None


def test_the_source_a_question_cites_is_not_the_name_a_follow_up_swaps():
    previous = "According to the Ferry Board, how many Kell Ferries sailings ran in Q2 2025?"
    assert rewrite("What about Brask Lines?", previous) == \
        "According to the Ferry Board, how many Brask Lines sailings ran in Q2 2025?"


def test_a_word_capitalised_only_because_it_opens_the_question_is_not_the_name_a_follow_up_swaps():
    assert rewrite("what about Osterby Grain?", "Avg milling fee at Brannock Mills in H1 2025?") == \
        "Avg milling fee at Osterby Grain in H1 2025?"
    assert rewrite("and Osterby?", "Brannock milling fee in H1 2025?") == "Osterby milling fee in H1 2025?"
