"""Units, currencies and periods in general: none of these rules knows a corpus."""

import pytest

from copilot.numbers import extract_numbers, format_number, numbers_match
from copilot.periods import find_periods, format_period, overlaps, shift, sort_key, within


@pytest.mark.parametrize("text,value,kind,unit", [
    ("€450 per MWh", 450, "money", "EUR/MWh"),
    ("30.5 euro cents per kWh", 30.5, "money", "ct/kWh"),  # a hundredth of a currency is its own unit
    ("8.4 ct/kWh", 8.4, "money", "ct/kWh"),
    ("a fare of 95 cents", 95, "money", "ct"),
    ("$4,200/t", 4200, "money", "USD/t"),
    ("NOK 478.1 per 100 kg", 478.1, "money", "NOK/100kg"),  # per a number of units: one figure, not two
    ("NOK 461.9/100kg", 461.9, "money", "NOK/100kg"),
    ("¥350,000", 350_000, "money", "JPY"),
    ("RMB 1.2 million", 1.2e6, "money", "CNY"),
    ("1.2 million euros", 1.2e6, "money", "EUR"),
    ("£3.1bn", 3.1e9, "money", "GBP"),
    ("US$415 million", 415e6, "money", "USD"),
    ("EUR 45m", 45e6, "money", "EUR"),
    ("6,150 tonnes", 6150, "quantity", "t"),
    ("300,000 barrels per day", 300_000, "quantity", "bbl/d"),
    ("1,200 MW", 1200, "quantity", "MW"),
    ("5.1 TWh", 5.1, "quantity", "TWh"),
    ("45 TEU", 45, "quantity", "TEU"),
    ("5m units", 5e6, "quantity", "units"),
    ("12.8%", 12.8, "percent", "%"),
    ("2.5 percentage points", 2.5, "points", "pp"),
    ("25 bp", 25, "bp", "bp"),
])
def test_units_and_currencies(text, value, kind, unit):
    [n] = extract_numbers(text)
    assert (n.value, n.kind, n.unit) == (pytest.approx(value), kind, unit)


def test_years_and_days_are_typed_apart():
    kinds = [(n.raw, n.kind) for n in extract_numbers("On March 3, 2025 output was 40 MW, as in 2024.")]
    assert kinds == [("3", "date"), ("2025", "year"), ("40", "quantity"), ("2024", "year")]


@pytest.mark.parametrize("text,codes", [
    ("in November 2025, up from October", ["2025-11", "2025-10"]),
    ("Q3 2025 and the fourth quarter of 2024", ["2025-Q3", "2024-Q4"]),
    ("H1 2025 against the second half of 2024", ["2025-H1", "2024-H2"]),
    ("FY2024 and fiscal 2025, FY25", ["FY2024", "FY2025", "FY2025"]),
    ("on 3 March 2025 and 2025-04-01", ["2025-03-03", "2025-04-01"]),
    ("3Q25 and Q4 FY2025", ["2025-Q3", "FY2025-Q4"]),
    ("installed by end-2024", ["2024"]),
    ("we may grow in May 2025", ["2025-05"]),
    # a stretch of months named as one period: a calendar quarter, half or year where it is one
    ("hauled 3.1 Mt in April to June 2025, against 2.8 Mt in January-March 2025", ["2025-Q2", "2025-Q1"]),
    ("between July and September 2025 the mill ran at 91%", ["2025-Q3"]),
    ("loaves sold in July and September 2025", ["2025-07", "2025-09"]),  # two months, not a stretch
    ("in the three months to 30 September 2025 and the six months ended June 30, 2025", ["2025-Q3", "2025-H1"]),
    ("from December 2024 to February 2025", ["2024-12..2025-02"]),
    ("the twelve months to March 2025", ["2024-04..2025-03"]),
    ("January through December 2024", ["2024"]),
    # after a change verb, 'from September to October' names the change's two ends
    ("exports dropped from September to October 2025", ["2025-09", "2025-10"]),
    # 'the same period of' a year is the stretch named before, in that year
    ("parcels in January-May 2025 against the same period of 2024", ["2025-01..2025-05", "2024-01..2024-05"]),
    ("lettuce sales in Q3 2025, up on the same quarter of 2024", ["2025-Q3", "2024-Q3"]),
    ("in 2025 and the same period of 2024", ["2025", "2024"]),
])
def test_periods_in_text(text, codes):
    assert [p.code for p in find_periods(text)] == codes


def test_a_yearless_stretch_of_months_takes_its_year_like_a_month():
    [p] = find_periods("ferry crossings from April to June", as_of="2025-08-01")
    assert (p.code, p.months) == ("2025-Q2", "2025-04..2025-06")
    assert [p.code for p in find_periods("sales from January to May")] == ["*-01", "*-05"]  # no code without a year


def test_a_month_without_a_year_takes_the_document_date():
    assert [p.code for p in find_periods("exports rose in December", as_of="2026-01-15")] == ["2025-12"]
    assert [p.code for p in find_periods("exports rose in December", as_of="2025-12-20")] == ["2025-12"]
    assert [p.code for p in find_periods("exports rose in December")] == ["*-12"]


def test_period_arithmetic():
    assert within("2025-11", "2025-Q4") and within("2025-Q4", "2025") and not within("2025", "2025-11")
    assert overlaps("2025", "2025-11") and not overlaps("2025-04", "2025-11")
    assert overlaps("*-11", "2024-11") and within("FY2025", "2025")
    assert sorted(["2025-11", "2025-10", "2025-Q3", "2024-H2"], key=sort_key) == ["2024-H2", "2025-Q3", "2025-10",
                                                                                  "2025-11"]
    assert [format_period(c) for c in ("2025-11", "2025-Q3", "2025-11-03", "FY2025-Q4")] == [
        "November 2025", "Q3 2025", "November 3, 2025", "Q4 FY2025"]


def test_a_fiscal_year_across_two_calendar_years_meets_only_its_own_halves_and_quarters():
    """'H1 FY2025/26' (April-September 2025 at a cooperative whose year ends in March) is not calendar H1 2025, nor
    is FY2025/26 the year 2025: which months it holds is the source's to say."""
    assert [p.code for p in find_periods("H1 FY2025/26 against the first half of FY2024/25")] == [
        "FY2025/26-H1", "FY2024/25-H1"]
    assert [p.code for p in find_periods("ferry fares h1 fy25/26, Q2 FY2025/26 (Jul-Sep 2025), fiscal 2025-26")] == [
        "FY2025/26-H1", "FY2025/26-Q2", "2025-Q3", "FY2025/26"]
    assert [p.code for p in find_periods("FY2024/26 and the 2024/25 crop")] == ["FY2024", "2024"]  # not one year
    assert within("FY2025/26-Q2", "FY2025/26-H1") and within("FY2025/26-H1", "FY2025/26")
    assert not within("FY2025/26-Q3", "FY2025/26-H1") and not overlaps("FY2025/26-H1", "2025-H1")
    assert not overlaps("FY2025/26", "2025") and not within("2025-05", "FY2025/26")
    assert shift("FY2025/26-H1", years=-1) == "FY2024/25-H1" and shift("FY2025/26-Q1", steps=-1) == "FY2024/25-Q4"
    assert sorted(["FY2025/26-H1", "FY2024/25-H1", "FY2025/26-Q1"], key=sort_key) == [
        "FY2024/25-H1", "FY2025/26-Q1", "FY2025/26-H1"]
    assert format_period("FY2025/26-H1") == "H1 FY2025/26"


def test_formats_and_roundings():
    assert format_number(2.9e9, "USD") == "$2.9 billion" and format_number(1.5e6, "EUR") == "€1.5 million"
    assert format_number(-11.2843, "%") == "-11.28%" and format_number(6150, "t") == "6,150 t"
    assert numbers_match(226, 225.93) and numbers_match(2.9e9, 2.912e9) and not numbers_match(227, 225.93)


def test_a_small_number_that_is_part_of_a_name_is_not_a_figure():
    from copilot.numbers import extract_numbers

    assert [(n.value, n.unit) for n in extract_numbers("Round 6 will offer 2.4 GW; Phase 2 adds 40 MW at Tarnholm 2.")] \
        == [(2.4, "GW"), (40, "MW")]
    assert [n.raw for n in extract_numbers("About 5 ships docked on October 16, 2025; Pier 7 took 3.")] == \
        ["5", "16", "2025", "3"]
    assert [n.value for n in extract_numbers("About 5 ships docked")] == [5]
