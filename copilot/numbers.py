"""Numbers in text, normalised: '6,150' = 6150, '$816 million' = 816000000, '11%' = 11 (percent), dates apart."""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_MONTHS = "|".join(m.lower() for m in MONTHS) + "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
          "trillion": 1e12, "tn": 1e12}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12}

_CITATION = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")
_NUMBER = re.compile(
    r"(?P<neg>[-−–](?=\$?\d))?(?P<cur>\$|US\$|USD\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|percentage points?\b|pp\b))?"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|mn|bn|tn)\b)?",
    re.I,
)
_DATE_BEFORE = re.compile(rf"\b(?:{_MONTHS})\.?\s*$", re.I)
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORDS) + r")\b(?=[\s-]+(?:rare|elements?|years?|months?|tons?|"
                          r"tonnes?|companies|countries|percent))", re.I)


@dataclass(frozen=True)
class Number:
    raw: str
    value: float
    kind: str  # percent | money | quantity | year | date
    start: int = 0
    end: int = 0


def strip_citations(text: str) -> str:
    return _CITATION.sub(lambda m: " " * len(m.group(0)), text)


def extract_numbers(text: str, words: bool = False) -> list[Number]:
    """Every figure in ``text`` (citation markers ignored). Years and days of dates are typed apart."""
    clean = strip_citations(text)
    out: list[Number] = []
    for m in _NUMBER.finditer(clean):
        start = m.start()
        if start > 0 and (clean[start - 1].isalnum() or clean[start - 1] in "._") and not m.group("neg"):
            continue  # inside a word or identifier (Q4, v2.1)
        raw = m.group(0).strip()
        value = float(m.group("num").replace(",", ""))
        if m.group("neg"):
            value = -value
        scale = (m.group("scale") or "").lower()
        if scale:
            value *= _SCALE[scale]
        if m.group("pct"):
            kind = "percent"
        elif m.group("cur") or scale:
            kind = "money" if m.group("cur") else "quantity"
        else:
            kind = "quantity"
            is_int = "." not in m.group("num") and "," not in m.group("num")
            before = clean[max(0, start - 12):start]
            if is_int and 1900 <= value <= 2100:
                kind = "year"
            elif is_int and value <= 31 and _DATE_BEFORE.search(before):
                kind = "date"
        out.append(Number(raw=raw, value=value, kind=kind, start=m.start(), end=m.end()))
    if words:
        for m in _WORD_NUMBER.finditer(clean):
            out.append(Number(raw=m.group(1), value=float(_WORDS[m.group(1).lower()]), kind="quantity",
                              start=m.start(), end=m.end()))
    return out


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    """Sentences and lines of ``text`` (a plain split; claims use ``copilot.citations.split_claims``)."""
    return _SENTENCE_BREAK.split(text)


def states_value(text: str, value: float) -> bool:
    """Does ``text`` state ``value``? Percent figures match either sign ('fell 11%' states -11)."""
    return any(n.value == value or (n.kind == "percent" and abs(n.value) == abs(value))
               for n in extract_numbers(text, words=True))


def numbers_match(a: float, b: float, kind: str = "quantity", pct_tol: float = 0.5, rel_tol: float = 0.0) -> bool:
    """Does stated figure ``a`` match reference figure ``b``? Percents within ``pct_tol`` points (signs loose:
    'fell 11%' states -11); others within ``rel_tol`` relative, or ``a`` a rounding of ``b`` (226 for 225.93)."""
    if kind == "percent":
        return abs(abs(a) - abs(b)) <= pct_tol
    if a == b:
        return True
    if kind == "year":
        return False
    scale = max(abs(a), abs(b))
    if abs(abs(a) - abs(b)) <= rel_tol * scale:
        return True
    # a stated rounding: '226 tons' for 225.93, '2.9 billion' for 2,912,000,000
    return _rounds_to(a, b)


def _rounds_to(stated: float, exact: float) -> bool:
    if stated == 0 or abs(exact) < 1:
        return False
    text = f"{abs(stated):.10g}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return round(abs(exact), decimals) == round(abs(stated), decimals) and abs(abs(exact) - abs(stated)) < 1


def format_number(value: float, unit: str = "") -> str:
    if unit == "%":
        return f"{value:,.2f}".rstrip("0").rstrip(".") + "%"
    if unit == "USD":
        from retrieval.tables import format_value

        return format_value(round(value, 2), "USD")
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


_UNIT_AFTER = re.compile(r"^\s*(?:metric\s+)?(tons?|tonnes?|t)\b", re.I)


def unit_after(text: str, number: Number) -> str:
    """The unit word right after a number in ``text`` ('582 tons' -> 't'), or ''."""
    if number.kind == "money":
        return "USD"
    return "t" if _UNIT_AFTER.match(strip_citations(text)[number.end:]) else ""
