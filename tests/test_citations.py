import pytest

from copilot.citations import cited_numbers, render_citations, split_claims


@pytest.mark.parametrize("raw,n,text,invented", [
    ("Exports fell 11% [0].", 3, "Exports fell 11% [0].", []),
    ("Exports fell [1][2].", 3, "Exports fell [1][2].", []),
    ("Exports fell [1, 2].", 3, "Exports fell [1][2].", []),
    ("Exports fell [1][1].", 3, "Exports fell [1].", []),
    ("Exports fell [9].", 3, "Exports fell.", [9]),
    ("Exports fell [0][9][2].", 3, "Exports fell [0][2].", [9]),
    ("Exports fell [a].", 3, "Exports fell [a].", []),
    ("Exports fell.", 3, "Exports fell.", []),
    ("Exports fell. [2] Japan rose. [0]", 3, "Exports fell [2]. Japan rose [0].", []),
    ("Exports fell [0].\n\nSources: [0] Bloomberg", 3, "Exports fell [0].", []),
])
def test_render_citations(raw, n, text, invented):
    assert render_citations(raw, n) == (text, invented)


def test_cited_numbers_in_order_without_duplicates():
    assert cited_numbers("A [2][0]. B [2]. C [1, 3].") == [2, 0, 1, 3]


def test_split_claims_keeps_markers_and_abbreviations():
    text = "U.S. shipments fell 11% [0]. Japan rose 35% [1][2]. No citation here. - a bullet [3]"
    assert split_claims(text) == ["U.S. shipments fell 11% [0].", "Japan rose 35% [1][2].", "No citation here.",
                                  "a bullet [3]"]
