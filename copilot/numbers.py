"""Numbers in text, normalised with their units: '6,150 tonnes' = 6150 t, '$816 million' = 816000000 USD,
'€1.2bn' = 1.2e9 EUR, '11%' = 11 percent, '2.5 percentage points', '25 bp'; years and days of dates typed apart.

Only general conventions live here (currency signs and codes, scale words, common measurement units). What a
particular corpus calls its units beyond these is data beside that corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.periods import MONTHS

_MONTHS = "|".join(m.lower() for m in MONTHS) + "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
          "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12}

#: Currency signs and codes -> ISO code. '$' alone is read as US dollars.
CURRENCY_PREFIX = {"us$": "USD", "$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
                   "¥": "JPY", "jpy": "JPY", "rmb": "CNY", "cny": "CNY", "c$": "CAD", "cad": "CAD", "a$": "AUD",
                   "aud": "AUD", "hk$": "HKD", "chf": "CHF", "₹": "INR", "inr": "INR", "nok": "NOK", "sek": "SEK",
                   "dkk": "DKK"}
CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP",
                  "sterling": "GBP", "yen": "JPY", "yuan": "CNY", "renminbi": "CNY", "usd": "USD", "eur": "EUR",
                  "gbp": "GBP", "jpy": "JPY", "cny": "CNY", "rmb": "CNY", "chf": "CHF", "nok": "NOK", "sek": "SEK",
                  "dkk": "DKK", "cad": "CAD", "aud": "AUD", "inr": "INR"}
SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

#: Measurement units in general use -> one spelling each.
UNITS = {
    "t": "t", "ton": "t", "tons": "t", "tonne": "t", "tonnes": "t", "metric ton": "t", "metric tons": "t",
    "metric tonnes": "t", "kt": "kt", "kilotonnes": "kt", "kilotons": "kt", "mt": "Mt", "megatonnes": "Mt",
    "kg": "kg", "kilograms": "kg", "lb": "lb", "lbs": "lb", "pounds weight": "lb", "oz": "oz", "ounces": "oz",
    "barrel": "bbl", "barrels": "bbl", "bbl": "bbl", "bpd": "bbl/d", "barrels per day": "bbl/d", "b/d": "bbl/d",
    "w": "W", "kw": "kW", "mw": "MW", "gw": "GW", "tw": "TW", "kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "twh": "TWh",
    "teu": "TEU", "teus": "TEU", "units": "units", "unit": "units", "shares": "shares", "vehicles": "vehicles",
    "cars": "vehicles", "employees": "employees", "people": "people", "jobs": "jobs", "litres": "l", "liters": "l",
    "ml": "ML", "megalitres": "ML", "megaliters": "ML", "gl": "GL", "gigalitres": "GL", "gigaliters": "GL",
    "m3": "m3", "bcm": "bcm", "cubic metres": "m3", "hectares": "ha", "ha": "ha", "km": "km", "miles": "miles",
    "containers": "containers", "ships": "ships", "vessels": "vessels", "wafers": "wafers", "devices": "devices",
    "passengers": "passengers", "customers": "customers", "subscribers": "subscribers", "orders": "orders",
    "days": "days", "months": "months", "years": "years", "hours": "hours",
}
#: Units that are a multiple of another: read as that unit, so '1.19 Mt' and '1.19 million tonnes' are one figure.
SCALED_UNITS = {"Mt": ("t", 1e6), "kt": ("t", 1e3)}


_PREFIXES = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


def rescale(value: float, unit: str) -> tuple[float, str]:
    """A figure in a metric unit at the prefix that reads best (2.394e-05 GWh -> 23.94 kWh); other units as they
    are."""
    m = re.fullmatch(r"([kMGT]?)(Wh|W)", unit or "")
    if not m or value == 0:
        return value, unit
    base = value * _PREFIXES[m.group(1)]
    prefix = max((p for p, f in _PREFIXES.items() if abs(base) >= f), key=_PREFIXES.get, default="")
    return base / _PREFIXES[prefix], prefix + m.group(2)


def normalise_unit(value: float, unit: str) -> tuple[float, str]:
    """A figure in a multiple of a unit in that unit: (1.19, 'Mt') -> (1190000, 't')."""
    base, factor = SCALED_UNITS.get(unit, (unit, 1.0))
    return value * factor, base


def is_currency_code(word: str) -> bool:
    """A currency's code: a known one, or any three capital letters that are not a unit ('TVD', 'VMK')."""
    return word.lower() in CURRENCY_WORDS or (re.fullmatch(r"[A-Z]{3}", word) is not None
                                               and word.lower() not in UNITS)


_CODE_BEFORE = re.compile(r"(?<![\w$])([A-Z]{3})\s?$")
_UNIT_RE = re.compile(r"^\s*(?:" + "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
                      + r")\b", re.I)

_CITATION = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")
_CUR = "|".join(re.escape(c) for c in sorted(CURRENCY_PREFIX, key=len, reverse=True))
_NUMBER = re.compile(
    r"(?P<neg>[-−–](?=(?:" + _CUR + r")?\s?\d))?(?P<cur>(?:" + _CUR + r")\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?P<attached>k|m|mn|bn|b|tn)\b|\s?(?P<scale>thousand|million|billion|trillion|mn|mln|bn|tn|trn)\b)?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|percentage points?\b|pp\b|ppts?\b|basis points?\b|bps?\b))?",
    re.I,
)
_CUR_AFTER = re.compile(r"^\s?(?P<w>" + "|".join(sorted(CURRENCY_WORDS, key=len, reverse=True)) + r")\b", re.I)
_CENTS = re.compile(r"^\s?(?:(?:euro|eur|us|usd|€|\$)\s?)?(?:cents?|ct|¢)(?![\w])", re.I)
_DATE_BEFORE = re.compile(rf"\b(?:{_MONTHS})\.?\s*$", re.I)
_DATE_AFTER = re.compile(rf"^(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b", re.I)
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORDS) + r")\b(?=[\s-]+[a-z])", re.I)


@dataclass(frozen=True)
class Number:
    raw: str
    value: float
    kind: str  # percent | points | bp | money | quantity | year | date
    start: int = 0
    end: int = 0
    unit: str = ""  # '%', 'pp', 'bp', an ISO currency code, a measurement unit ('t', 'MW'), or ''


def strip_citations(text: str) -> str:
    return _CITATION.sub(lambda m: " " * len(m.group(0)), text)


def unit_of_text(text: str) -> str:
    """The measurement unit a phrase starts with ('tonnes of ...' -> 't'), or ''."""
    m = _UNIT_RE.match(text)
    return UNITS[" ".join(m.group(0).lower().split())] if m else ""


_NAME_WORD = r"\b([A-Z][a-z]{2,})\s+(?:No\.?\s*)?"  # the word of a numbered name: 'Round 5', 'Block No. 9'
_NAME_BEFORE = re.compile(_NAME_WORD + r"$")
_NUMBERED_NAME = re.compile(_NAME_WORD + r"(\d{1,3}[A-Za-z]?)\b(?![.,]\d)")
_NOT_NAME_WORDS = {"about", "around", "some", "over", "under", "nearly", "almost", "only", "just", "roughly",
                   "approximately", "another", "all", "and", "but", "the", "its", "their", "these", "those", "each",
                   "every", "after", "before", "since", "until", "within", "than", "least", "most", "more", "less",
                   "fewer", "exactly", "with", "from", "for", "into", "onto", "past", "next", "last", "first",
                   "down", "plus", "minus", "were", "was", "are", "had", "has", "have", "rose", "fell", "grew", "hit",
                   "reached", "totalled", "totaled", "added", "shipped", "employed", "hired", "opened", "closed"}


def _is_name_number(before: str) -> bool:
    """Does the text before a small bare integer make it part of a name ('Round 5', 'Block 9'), not a figure?"""
    m = _NAME_BEFORE.search(before)
    if not m:
        return False
    word = m.group(1)
    return word.lower() not in _NOT_NAME_WORDS and word.lower()[:3] not in _MONTH_STEMS


_MONTH_STEMS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


def numbered_names(text: str) -> dict[str, str]:
    """Names made of a word and a number ('Round 5', 'Phase 2', 'Block 9'): word -> number. Months with a day
    ('October 16') are not names."""
    return {m.group(1): m.group(2) for m in _NUMBERED_NAME.finditer(text)
            if m.group(1).lower()[:3] not in _MONTH_STEMS}


def extract_numbers(text: str, words: bool = False) -> list[Number]:
    """Every figure in ``text`` (citation markers ignored), with its unit. Years and days of dates typed apart."""
    clean = strip_citations(text)
    out: list[Number] = []
    taken = 0  # the end of a price per a number of units ('TVC 461.9/100kg'): its '100' is no figure of its own
    for m in _NUMBER.finditer(clean):
        start = m.start()
        if start < taken:
            continue
        if start > 0 and (clean[start - 1].isalnum() or clean[start - 1] in "._") and not (m.group("neg") or m.group("cur")):
            continue  # inside a word or identifier (Q4, v2.1)
        if re.match(r"\d{2}\b", clean[start:]) and re.search(r"(?:(?<!\d)(?:19|20)\d\d|\bFY\d\d)/$", clean[:start], re.I):
            continue  # the second year of a split fiscal year ('FY2024/25', '2024/25')
        if m.group("cur") and m.group("cur").strip().isalpha() and start > 0 and clean[start - 1].isalnum():
            continue
        value = float(m.group("num").replace(",", ""))
        # a hyphen after a digit or a letter joins, it is no minus: 2025-12, 2020-2024, 10-12, end-2023, mid-2025
        joined = bool(m.group("neg")) and start > 0 and clean[start - 1].isalnum()
        if joined:
            start += 1
        elif m.group("neg"):
            value = -value
        scale = (m.group("scale") or m.group("attached") or "").lower()
        if scale in ("m", "b") and not m.group("cur") and not _CUR_AFTER.match(clean[m.end():]) \
                and not unit_of_text(clean[m.end():]):
            scale = ""  # a lone letter is a scale for money or a counted unit ('$45m', '5m units'); '5m' may be metres
        end = m.end()
        if scale:
            value *= SCALES[scale]
        pct = (m.group("pct") or "").lower()
        unit = ""
        currency = CURRENCY_PREFIX.get((m.group("cur") or "").strip().lower(), "")
        # a hundredth of a currency: '30.5 euro cents', '6.38 EUR cents per kWh', '30.4 ct/kWh', '45¢'
        cents = None if pct or scale else _CENTS.match(clean[end:])
        if cents:
            currency = "ct"
            end += cents.end()
        elif not currency and not pct:
            after = _CUR_AFTER.match(clean[end:])
            if after:
                currency = CURRENCY_WORDS[after.group("w").lower()]
                end += after.end()
            elif (code := _CODE_BEFORE.search(clean[:start])) and is_currency_code(code.group(1)) and not (
                    not scale and "." not in m.group("num") and "," not in m.group("num")
                    and 1900 <= value <= 2100):  # 'TVD 2,410 million', not 'NEO 2026'
                currency = code.group(1)
                start = code.start(1)
        if pct.startswith(("percentage point", "pp", "ppt")):
            kind, unit = "points", "pp"
        elif pct.startswith(("basis", "bp")):
            kind, unit = "bp", "bp"
        elif pct:
            kind, unit = "percent", "%"
        elif currency:
            kind, unit = "money", currency
            per = re.match(r"^\s?(?:/|per\s)\s?(\d{1,4}\s?)?([A-Za-z][A-Za-z0-9]*)", clean[end:])
            if per and (unit_of_text(per.group(2)) or per.group(2) in ("share", "unit", "barrel", "tonne", "kg")
                        or per.group(0).lstrip().startswith("/")):  # '84 ct/loaf': a slash makes any word a unit
                count = (per.group(1) or "").strip()  # 'per 100 kg'
                unit = f"{currency}/{count}{unit_of_text(per.group(2)) or per.group(2)}"
                end += per.end()
                taken = end
        else:
            kind = "quantity"
            unit = unit_of_text(clean[end:])
            is_int = "." not in m.group("num") and "," not in m.group("num")
            before = clean[max(0, start - 12):start]
            if is_int and not scale and not unit and 1900 <= value <= 2100:
                kind = "year"
            elif joined and is_int and len(m.group("num")) == 2 and re.search(r"\b(?:19|20)\d{2}(?:-\d{2})?-$",
                                                                              clean[:start]):
                kind = "date"  # the month or day of an ISO date
            elif is_int and not scale and value <= 31 and (_DATE_BEFORE.search(before)
                                                             or _DATE_AFTER.match(clean[end:])):
                kind = "date"
            if kind == "quantity" and is_int and not scale and not unit and value < 100 and _is_name_number(before):
                continue  # 'Round 5', 'Phase 2', 'Tarnholm 2': part of a name, not a figure
        value, unit = normalise_unit(value, unit)
        out.append(Number(raw=clean[start:end].strip(), value=value, kind=kind, start=start, end=end, unit=unit))
    if words:
        for m in _WORD_NUMBER.finditer(clean):
            out.append(Number(raw=m.group(1), value=float(_WORDS[m.group(1).lower()]), kind="quantity",
                              start=m.start(), end=m.end(), unit=unit_of_text(clean[m.end():])))
    return out


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])|(?<=[.!?][\])\"'])\s+(?=[A-Z0-9\"'(\[])|\n+")


def sentences(text: str) -> list[str]:
    """Sentences and lines of ``text`` (a plain split; claims use ``copilot.citations.split_claims``)."""
    parts = [s for s in _SENTENCE_BREAK.split(text) if s.strip()]
    out: list[str] = []
    for part in parts:  # a section's number stays with its title ('3. Dwell time and charges')
        if out and re.fullmatch(r"\s*\d{1,2}(?:\.\d{1,2})*\.", out[-1]):
            out[-1] = out[-1].strip() + " " + part.strip()
        else:
            out.append(part)
    return out


def is_heading(line: str) -> bool:
    """A Markdown heading; a short line with no figure that ends in a colon; or a short line in capitals, or numbered
    as a section ('TRAFFIC BY COMMODITY, H1 2025', '3. Dwell time and charges'), that ends in no full stop and
    states no figure but a period."""
    line = line.strip()
    if len(line) >= 100:
        return False
    if line.startswith("#") or (line.endswith(":") and not extract_numbers(line)):
        return True
    letters = [ch for ch in line if ch.isalpha()]
    styled = (len(letters) >= 4 and all(ch.isupper() for ch in letters)) or re.match(r"^\d{1,2}(?:\.\d+)*\.?\s+[A-Z]", line)
    title = re.sub(r"^\d{1,2}(?:\.\d+)*\.?\s+", "", line)
    return bool(styled) and len(line) < 70 and not re.search(r"[.!?;,]$", line) and not any(
        n.kind not in ("year", "date") for n in extract_numbers(title))


def sentences_under_headings(text: str):
    """Each sentence of ``text`` that is not a heading, with the heading it stands under (or None)."""
    heading = None
    for sentence in sentences(text):
        if is_heading(sentence):
            heading = sentence
            continue
        yield sentence, heading


def is_signed_kind(kind: str) -> bool:
    """Percent-like figures: 'fell 11%' states -11, so signs are compared loosely."""
    return kind in ("percent", "points", "bp")


def states_value(text: str, value: float) -> bool:
    """Does ``text`` state ``value``? Percent-like figures match either sign ('fell 11%' states -11)."""
    return any(n.value == value or (is_signed_kind(n.kind) and abs(n.value) == abs(value))
               for n in extract_numbers(text, words=True) if n.kind not in ("year", "date"))


def numbers_match(a: float, b: float, kind: str = "quantity", pct_tol: float = 0.5, rel_tol: float = 0.0) -> bool:
    """Does stated figure ``a`` match reference figure ``b``? Percents within ``pct_tol`` points (signs loose:
    'fell 11%' states -11); others within ``rel_tol`` relative, or ``a`` a rounding of ``b`` (226 for 225.93)."""
    if is_signed_kind(kind):
        return abs(abs(a) - abs(b)) <= pct_tol
    if a == b:
        return True
    if kind == "year":
        return False
    scale = max(abs(a), abs(b))
    if abs(abs(a) - abs(b)) <= rel_tol * scale:
        return True
    return _rounds_to(a, b)


def _rounds_to(stated: float, exact: float) -> bool:
    """A stated rounding: '226 units' for 225.93, '2.9 billion' for 2,912,000,000."""
    if stated == 0 or abs(exact) < 1:
        return False
    for size in (1e12, 1e9, 1e6, 1e3, 1):
        if abs(stated) >= size:
            s, e = abs(stated) / size, abs(exact) / size
            text = f"{s:.10g}"
            decimals = len(text.split(".")[1]) if "." in text else 0
            return round(e, decimals) == round(s, decimals) and abs(e - s) < 1
    return False


def format_number(value: float, unit: str = "") -> str:
    """6150, 't' -> '6,150 t'; 2.9e9, 'USD' -> '$2.9 billion'; -11.28, '%' -> '-11.28%'; 1.5e6, 'EUR' -> '€1.5 million'."""
    if unit == "%":
        return _short(value) + "%"
    if unit == "pp":
        return _short(value) + " percentage points"
    if unit == "bp":
        return _short(value) + " bp"
    if "/" in unit and re.fullmatch(r"[A-Z]{3}", unit.split("/")[0]):  # a price per unit: '€64.83/MWh'
        money, per = unit.split("/", 1)
        return format_number(value, money) + f"/{per}"
    if unit in SYMBOL or unit in CURRENCY_WORDS.values() or re.fullmatch(r"[A-Z]{3}", unit):
        sign = "-" if value < 0 else ""
        prefix = SYMBOL.get(unit, unit + " ")
        return sign + prefix + _scaled(abs(value))
    if unit == "x":
        return _short(value) + "x"
    text = _scaled(value) if abs(value) >= 1e6 else _short(value)
    return f"{text} {unit}".strip()


def _short(value: float) -> str:
    digits = 2 if abs(value) < 1000 else 0
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _scaled(value: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:  # as many decimals as the value needs, so a stated 1,931,600 is not shown as 1.932
            decimals = next((d for d in range(3, 7) if abs(round(value / size, d) * size - value) < 0.5), 6)
            return f"{value / size:,.{decimals}f}".rstrip("0").rstrip(".") + f" {word}"
    return _short(value)
