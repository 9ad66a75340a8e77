"""Periods in text, questions and table headers, normalised to one code each.

Codes: ``2025`` (year), ``2025-11`` (month), ``2025-11-03`` (date), ``2025-Q3`` (quarter), ``2025-H1`` (half),
``FY2025`` (fiscal year, compared as the calendar year of the same number), ``FY2025/26`` and ``FY2025/26-H1`` (a
fiscal year across two calendar years and its halves and quarters: compared only with periods of such a year, since
which months it holds is the source's to say), ``A..B`` (a range). A month or quarter named without a year is
``*-11`` / ``*-Q3`` until a year from its context resolves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_ABBR = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_MONTH_NAMES = {m.lower(): i + 1 for i, m in enumerate(MONTHS)}
_MONTH_RE = r"(?:" + "|".join(m.lower() for m in MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_YEAR = r"(?:19|20)\d{2}"
_FY = r"(?:fy\s?'?(?P<fy>(?:19|20)?\d{2})|fiscal(?:\s+year)?\s+(?P<fy2>" + _YEAR + r"))"


@dataclass(frozen=True)
class PeriodMention:
    code: str
    start: int
    end: int
    text: str
    months: str = ""  # a stretch of months named as one ('April to June 2025'): its month span, 2025-04..2025-06
    # ('*' until a year resolves a yearless one)


def _month(token: str) -> int:
    token = token.lower().rstrip(".")
    return _MONTH_NAMES.get(token) or _ABBR.get(token[:4] if token.startswith("sept") else token[:3], 0)


def _fy_year(m: re.Match) -> str:
    raw = m.group("fy") or m.group("fy2")
    return raw if len(raw) == 4 else "20" + raw


#: A fiscal year across two calendar years: 'FY2025/26', 'FY25/26', 'fiscal 2025-26', 'financial year 2024/25'.
_FY_SPLIT = (r"(?:fy\s?'?|(?:the\s+)?financial\s+year\s+|(?:the\s+)?fiscal(?:\s+year)?\s+)(?P<a>(?:19|20)?\d{2})\s?"
             r"[/\u2013-]\s?(?P<b>(?:19|20)?\d{2})\b")
_PART = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def _fy_split(m: re.Match) -> str | None:
    """'FY2025/26' for the two years of a fiscal year, where the second follows the first; else None."""
    a, b = m.group("a"), m.group("b")
    a = a if len(a) == 4 else "20" + a
    if int(b[-2:]) != (int(a) + 1) % 100:
        return None
    g = m.groupdict()
    part = ""
    if g.get("h"):
        part = f"-H{g['h']}"
    elif g.get("q"):
        part = f"-Q{g['q']}"
    elif g.get("o"):
        part = f"-{'H' if g['unit'].lower() == 'half' else 'Q'}{_PART[g['o'].lower()]}"
    if part.startswith("-H") and part[2] not in "12":
        return None
    return f"FY{a}/{b[-2:]}{part}"


_MONTH_JOIN = r"\s*(?:to|through|thru|until|till|[-\u2013\u2014/])\s*"
_N_MONTHS = {"three": 3, "3": 3, "six": 6, "6": 6, "nine": 9, "9": 9, "twelve": 12, "12": 12}

# Most specific first; each match consumes its span so '2025' inside 'Q3 2025' is not also a year.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    # a half or quarter of a fiscal year across two calendar years: 'H1 FY2025/26', 'the first half of FY2024/25',
    # 'Q2 FY25/26', 'FY2025/26 H1'; the year alone
    ("fy_split", re.compile(r"\b(?:h(?P<h>[12])|q(?P<q>[1-4])|(?P<o>first|second|third|fourth)[-\s](?P<unit>half|"
                            r"quarter))(?:\s+of)?(?:\s+(?:the|its))?\s*[-/ ]?\s*" + _FY_SPLIT, re.I)),
    ("fy_split", re.compile(r"\b" + _FY_SPLIT + r"\s*[-/ ]?\s*(?:h(?P<h>[12])|q(?P<q>[1-4]))\b", re.I)),
    ("fy_split", re.compile(r"\b" + _FY_SPLIT, re.I)),
    # a stretch of months read as one period: 'April to June 2025' is Q2 2025, 'between July and September 2025' Q3,
    # 'December 2024 to February 2025' a range; 'July and September 2025' (two months) is not one
    ("month_range", re.compile(r"\b(?:(?P<between>between)\s+)?(?P<m1>" + _MONTH_RE + r")(?:\s+(?P<y1>" + _YEAR
                               + r"))?(?(between)\s+and\s+|" + _MONTH_JOIN + r")(?P<m2>" + _MONTH_RE
                               + r"),?(?:\s+(?P<y>" + _YEAR + r"))?\b", re.I)),
    # 'the three months to 30 September 2025', 'six months ended June 30, 2025', 'nine months to September 2025'
    ("months_to", re.compile(r"\b(?P<n>three|six|nine|twelve|3|6|9|12)[-\s]months?\s+(?:to|ended|ending|through|"
                             r"until)\s+(?:(?:[12]?\d|3[01])(?:st|nd|rd|th)?\s+)?(?P<mon>" + _MONTH_RE
                             + r")(?:\s+(?:[12]?\d|3[01])(?:st|nd|rd|th)?)?,?\s+(?P<y>" + _YEAR + r")\b", re.I)),
    ("iso_date", re.compile(r"\b(?P<y>" + _YEAR + r")-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])\b")),
    ("iso_month", re.compile(r"\b(?P<y>" + _YEAR + r")-(?P<m>0[1-9]|1[0-2])\b(?!-\d)")),
    ("mdy", re.compile(r"\b(?P<mon>" + _MONTH_RE + r")\s+(?P<d>[12]?\d|3[01])(?:st|nd|rd|th)?,?\s+(?P<y>" + _YEAR
                       + r")\b", re.I)),
    ("dmy", re.compile(r"\b(?P<d>[12]?\d|3[01])(?:st|nd|rd|th)?\s+(?P<mon>" + _MONTH_RE + r"),?\s+(?P<y>" + _YEAR
                       + r")\b", re.I)),
    ("fq", re.compile(r"\bq(?P<q>[1-4])\s*[-/ ]?\s*" + _FY + r"\b", re.I)),
    ("q_y", re.compile(r"\b(?:q(?P<q>[1-4])|(?P<q2>[1-4])q)\s*[-/ ]?\s*(?P<y>" + _YEAR + r"|'?\d{2})\b", re.I)),
    ("y_q", re.compile(r"\b(?P<y>" + _YEAR + r")\s*[-/ ]?\s*q(?P<q>[1-4])\b", re.I)),
    ("word_q", re.compile(r"\b(?P<o>first|second|third|fourth|1st|2nd|3rd|4th)[-\s]quarter(?:\s+(?:of\s+)?(?:(?:fiscal\s+"
                          r"(?:year\s+)?|fy\s?)(?P<fyq>" + _YEAR + r")|(?P<y>" + _YEAR + r")))?\b", re.I)),
    ("h_y", re.compile(r"\b(?:h(?P<h>[12])|(?P<h2>[12])h)\s*[-/ ]?\s*(?P<y>" + _YEAR + r"|'?\d{2})\b", re.I)),
    ("y_h", re.compile(r"\b(?P<y>" + _YEAR + r")\s*[-/ ]?\s*h(?P<h>[12])\b", re.I)),
    ("word_h", re.compile(r"\b(?P<o>first|second|1st|2nd)[-\s]half(?:\s+(?:of\s+)?(?P<y>" + _YEAR + r"))?\b", re.I)),
    ("fy", re.compile(r"\b" + _FY + r"\b", re.I)),
    ("month_year", re.compile(r"\b(?P<mon>" + _MONTH_RE + r")(?:\s+of)?,?\s+(?P<y>" + _YEAR + r")\b", re.I)),
    ("bare_q", re.compile(r"\bq(?P<q>[1-4])\b", re.I)),
    ("bare_h", re.compile(r"\bh(?P<h>[12])\b", re.I)),
    # a month name alone: capitalised (so 'may' the verb and 'march' the verb are left alone)
    ("month", re.compile(r"\b(?P<mon>" + "|".join(MONTHS) + r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b"
                         r"(?!\s*\d)")),
    ("year", re.compile(r"(?<![\d.,$€£¥])\b(?P<y>" + _YEAR + r")\b(?![.,]\d|\s*%)")),
]


def _year(raw: str | None) -> str:
    if not raw:
        return "*"
    raw = raw.lstrip("'")
    return raw if len(raw) == 4 else "20" + raw


def _months_code(y1: int | None, m1: int, y2: int | None, m2: int) -> str | None:
    """The one code of a stretch of months: a calendar quarter, half or year where it is one, else ``A..B``.
    Without a year only a quarter or a half has a code (``*-Q2``)."""
    if not m1 or not m2:
        return None
    if y2 is None:
        if m2 - m1 == 2 and m2 % 3 == 0:
            return f"*-Q{m2 // 3}"
        if m2 - m1 == 5 and m2 % 6 == 0:
            return f"*-H{m2 // 6}"
        return None
    y1 = y1 if y1 is not None else (y2 if m1 <= m2 else y2 - 1)
    if (y1, m1) >= (y2, m2):
        return None
    if y1 == y2:
        if m2 - m1 == 2 and m2 % 3 == 0:
            return f"{y2}-Q{m2 // 3}"
        if m2 - m1 == 5 and m2 % 6 == 0:
            return f"{y2}-H{m2 // 6}"
        if (m1, m2) == (1, 12):
            return str(y2)
    return f"{y1}-{m1:02d}..{y2}-{m2:02d}"


def _month_span(code: str) -> str:
    """A resolved period as a span of months (2025-Q2 -> 2025-04..2025-06); '' for an unresolved one."""
    if ".." in code:
        return code
    iv = _interval(code)
    return f"{iv[0][0]}-{iv[0][1]:02d}..{iv[1][0]}-{iv[1][1]:02d}" if iv else ""


def _code(kind: str, m: re.Match) -> str | None:
    g = m.groupdict()
    if kind == "fy_split":
        return _fy_split(m)
    if kind == "month_range":
        return _months_code(int(g["y1"]) if g["y1"] else None, _month(g["m1"]), int(g["y"]) if g["y"] else None,
                            _month(g["m2"]))
    if kind == "months_to":
        n, end, y = _N_MONTHS[g["n"].lower()], _month(g["mon"]), int(g["y"])
        if not end:
            return None
        start = end - n + 1
        return _months_code(y if start >= 1 else y - 1, (start - 1) % 12 + 1, y, end)
    if kind == "iso_date":
        return f"{g['y']}-{g['m']}-{g['d']}"
    if kind == "iso_month":
        return f"{g['y']}-{g['m']}"
    if kind in ("mdy", "dmy"):
        month = _month(g["mon"])
        return f"{g['y']}-{month:02d}-{int(g['d']):02d}" if month else None
    if kind == "fq":
        return f"FY{_fy_year(m)}-Q{g['q']}"
    if kind in ("q_y", "y_q"):
        return f"{_year(g.get('y'))}-Q{g.get('q') or g.get('q2')}"
    if kind == "word_q":
        if g.get("fyq"):
            return f"FY{g['fyq']}-Q{_ORDINAL[g['o'].lower()]}"
        return f"{_year(g.get('y'))}-Q{_ORDINAL[g['o'].lower()]}"
    if kind in ("h_y", "y_h"):
        return f"{_year(g.get('y'))}-H{g.get('h') or g.get('h2')}"
    if kind == "word_h":
        return f"{_year(g.get('y'))}-H{_ORDINAL[g['o'].lower()]}"
    if kind == "fy":
        return f"FY{_fy_year(m)}"
    if kind == "month_year":
        month = _month(g["mon"])
        return f"{g['y']}-{month:02d}" if month else None
    if kind == "bare_q":
        return f"*-Q{g['q']}"
    if kind == "bare_h":
        return f"*-H{g['h']}"
    if kind == "month":
        return f"*-{_month(g['mon']):02d}"
    if kind == "year":
        return g["y"]
    return None


_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z])|\n\s*\n")
_COMPARED = re.compile(r"\b(?:than|compared (?:with|to)|against|versus|vs\.?|from|a year earlier|last year)\b"
                       r"(?:[^.;]|\.(?=\d))*$", re.I)


# a change verb, then 'from' right before the first month: the two months are a change's ends
_ENDPOINTS = re.compile(r"\b(?:ris(?:e|es|en|ing)|rose|f[ae]ll(?:s|en|ing)?|grow(?:s|n|ing)?|grew|increas\w*|"
                        r"decreas\w*|declin\w*|drop(?:s|ped|ping)?|climb\w*|eas(?:e|ed|es|ing)|slip\w*|chang\w*|"
                        r"mov(?:e|ed|es)|jump\w*|slid|sank|dipp?\w*)\b[^.;!?]*\bfrom\s+$", re.I)


def find_periods(text: str, default_year: str | None = None, as_of: str | None = None) -> list[PeriodMention]:
    """Every period named in ``text``, in order. A month or quarter without a year takes the nearest year named in
    the same text, else the latest such period on or before ``as_of`` (a document's date), else ``default_year``,
    else stays unresolved (``*-11``)."""
    if as_of and not default_year:
        default_year = year_of(as_of)
    taken = [False] * len(text)
    found: list[PeriodMention] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(taken[m.start():m.end()]):
                continue
            if kind == "month_range" and _ENDPOINTS.search(text[max(0, m.start() - 80):m.start()]):
                continue  # 'dropped from September to October 2025': two months compared, not one stretch
            code = _code(kind, m)
            if not code:
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            found.append(PeriodMention(code, m.start(), m.end(), m.group(0), (_month_span(code) or "*")
                                       if kind in ("month_range", "months_to") else ""))
    found.sort(key=lambda p: p.start)
    years = [(p.start, year_of(p.code)) for p in found if year_of(p.code)]
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    out = []
    for p in found:
        if p.code.startswith("*"):
            opened = max((e for e in ends if e <= p.start), default=0)
            closed = min((e for e in ends if e > p.start), default=len(text))
            # the nearest year of its own sentence; else the nearest one before it that is not a comparison's
            # ('7.6% more than the 21.84 million recorded in 2024. The fourth quarter ...' is 2025's fourth quarter)
            own = [y for y in years if opened <= y[0] < closed]
            before = [y for y in years if y[0] < opened and not _COMPARED.search(text[max(0, y[0] - 40):y[0]])]
            pool = own or before or years
            near = min(pool, key=lambda y: abs(y[0] - p.start))[1] if pool else default_year
            if near and not years and as_of and _interval(near + p.code[1:]) and _interval(as_of) \
                    and _interval(near + p.code[1:])[0] > _interval(as_of)[0]:
                near = str(int(near) - 1)  # 'in December' in a January report is last December
            if near:
                code = near + p.code[1:]
                p = PeriodMention(code, p.start, p.end, p.text, _month_span(code) if p.months else "")
        elif re.fullmatch(r"(?:19|20)\d{2}", p.code) and out and _SAME_PERIOD.search(text[max(0, p.start - 40):p.start]):
            # 'January-August 2025 ... on the same period of 2024': the earlier stretch, in that year
            code = _in_year(out[-1].code, p.code)
            if code:
                p = PeriodMention(code, p.start, p.end, p.text, _month_span(code) if ".." in code else "")
        out.append(p)
    return out


#: 'the same period of 2024', 'the same months in 2024', 'the same quarter of 2024'.
_SAME_PERIOD = re.compile(r"\bsame\s+(?:period|months?|quarter|half|stretch|weeks?|time)\s+(?:of|in|a year earlier in)\s+$",
                          re.I)


def _in_year(code: str, year: str) -> str | None:
    """A period or stretch moved to ``year`` (2025-01..2025-08 in 2024 is 2024-01..2024-08); None for a whole year."""
    own = year_of(code)
    if not own or re.fullmatch(r"(?:FY)?\d{4}", code):
        return None
    parts = [shift(part, years=int(year) - int(own)) for part in code.split("..")]
    return "..".join(parts) if all(parts) else None


def year_of(code: str) -> str | None:
    m = re.match(r"(?:FY)?((?:19|20)\d{2})", code)
    return m.group(1) if m else None


def _interval(code: str) -> tuple[tuple, tuple] | None:
    """(start, end) as (year, month, day) tuples; None for an unresolved code. Fiscal years count as calendar
    years: where a source's fiscal year differs, that is for the corpus's own notes to say."""
    if ".." in code:
        a, b = code.split("..", 1)
        ia, ib = _interval(a), _interval(b)
        return (ia[0], ib[1]) if ia and ib else None
    m = re.fullmatch(r"(?:FY)?((?:19|20)\d{2})(?:-(\d{2})(?:-(\d{2}))?|-Q([1-4])|-H([12]))?", code)
    if not m:
        return None
    y = int(m.group(1))
    if m.group(3):
        d = (y, int(m.group(2)), int(m.group(3)))
        return d, d
    if m.group(2):
        return (y, int(m.group(2)), 1), (y, int(m.group(2)), 31)
    if m.group(4):
        q = int(m.group(4))
        return (y, 3 * q - 2, 1), (y, 3 * q, 31)
    if m.group(5):
        h = int(m.group(5))
        return (y, 6 * h - 5, 1), (y, 6 * h, 31)
    return (y, 1, 1), (y, 12, 31)


_SPLIT_CODE = re.compile(r"FY((?:19|20)\d{2})/\d{2}(?:-([QH])([1-4]))?")


def _split_parts(code: str) -> tuple[int, set[int]] | None:
    """A split fiscal year's code as (first year, the quarters it holds); None for any other code."""
    m = _SPLIT_CODE.fullmatch(code)
    if not m:
        return None
    if not m.group(2):
        return int(m.group(1)), {1, 2, 3, 4}
    n = int(m.group(3))
    return int(m.group(1)), ({n} if m.group(2) == "Q" else {2 * n - 1, 2 * n})


def _split_compare(a: str, b: str, inner: bool) -> bool:
    """Two periods where one is of a split fiscal year: only such periods of the same year meet (its months are the
    source's to say, so no calendar period is part of one)."""
    pa, pb = _split_parts(a), _split_parts(b)
    if pa is None or pb is None or pa[0] != pb[0]:
        return False
    return pa[1] <= pb[1] if inner else bool(pa[1] & pb[1])


def _wild_match(a: str, b: str) -> bool:
    """An unresolved '*-11' against a resolved code: the same month or quarter of any year."""
    wild, other = (a, b) if a.startswith("*") else (b, a)
    suffix = wild[1:]
    if other.startswith("*"):
        return suffix == other[1:]
    return other.endswith(suffix) or (suffix[1:3].isdigit() and other[4:7] == suffix)


def overlaps(a: str, b: str) -> bool:
    """Do two periods share any time (2025 and 2025-11 do; 2025-04 and 2025-11 do not)?"""
    if a.startswith("*") or b.startswith("*"):
        return _wild_match(a, b)
    if _SPLIT_CODE.fullmatch(a) or _SPLIT_CODE.fullmatch(b):
        return _split_compare(a, b, inner=False)
    ia, ib = _interval(a), _interval(b)
    if ia is None or ib is None:
        return a == b
    return ia[0] <= ib[1] and ib[0] <= ia[1]


def within(inner: str, outer: str) -> bool:
    """Is ``inner`` the same period as ``outer`` or part of it (2025-11 within 2025)?"""
    if inner.startswith("*") or outer.startswith("*"):
        return _wild_match(inner, outer)
    if _SPLIT_CODE.fullmatch(inner) or _SPLIT_CODE.fullmatch(outer):
        return _split_compare(inner, outer, inner=True)
    ii, io = _interval(inner), _interval(outer)
    if ii is None or io is None:
        return inner == outer
    return io[0] <= ii[0] and ii[1] <= io[1]


def sort_key(code: str) -> tuple:
    """Time order: by start, then shorter periods first (a split fiscal year's quarters in their own order)."""
    split = _split_parts(code)
    if split is not None:
        return (split[0], min(split[1]), 0, len(split[1]), code)
    iv = _interval(code)
    if iv is None:
        return (9999, 99, 99, 0, code)
    span = (iv[1][0] - iv[0][0]) * 400 + (iv[1][1] - iv[0][1]) * 31 + (iv[1][2] - iv[0][2])
    return (*iv[0], span, code)


def format_period(code: str) -> str:
    """'2025-11' -> 'November 2025', '2025-Q3' -> 'Q3 2025', '2025-11-03' -> 'November 3, 2025'."""
    if ".." in code:
        a, b = code.split("..", 1)
        return f"{format_period(a)} to {format_period(b)}"
    m = re.fullmatch(r"(FY(?:19|20)\d{2}/\d{2})-(Q[1-4]|H[12])", code)
    if m:
        return f"{m.group(2)} {m.group(1)}"
    m = re.fullmatch(r"(FY)?(\*|(?:19|20)\d{2})-(Q[1-4]|H[12])", code)
    if m:
        year = "" if m.group(2) == "*" else f" {m.group(1) or ''}{m.group(2)}"
        return f"{m.group(3)}{year}"
    m = re.fullmatch(r"(\*|(?:19|20)\d{2})-(\d{2})(?:-(\d{2}))?", code)
    if m and 1 <= int(m.group(2)) <= 12:
        month = MONTHS[int(m.group(2)) - 1]
        year = "" if m.group(1) == "*" else m.group(1)
        if m.group(3):
            return f"{month} {int(m.group(3))}, {year}".rstrip(", ")
        return f"{month} {year}".strip()
    return code


_COUNT = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
          "eleven": 11, "twelve": 12}
_FIRST_N = re.compile(r"\b(?:(?P<first>first)|(?:all\s+)?the|all|each\s+of\s+the)\s+(?P<n>\d{1,2}|"
                      + "|".join(_COUNT) + r")\s+(?P<unit>months|quarters)(?!\s+(?:to|ending|ended|through|until)\b)"
                      r"(?:\s+of(?:\s+the\s+year)?)?(?:\s+(?P<y>" + _YEAR + r"))?", re.I)
_JOINER = re.compile(r"^\s*(?:(?:up\s+)?to|through|thru|until|till|and|[-\u2013\u2014]|to\s+the\s+end\s+of)\s*$", re.I)


def _granularity(code: str) -> str | None:
    m = re.fullmatch(r"(?:19|20)\d{2}(-Q[1-4]|-H[12]|-\d{2})?", code)
    if not m:
        return None
    return {None: "year"}.get(m.group(1)) or {"Q": "quarter", "H": "half"}.get(m.group(1)[1], "month")


def find_range(text: str, default_year: str | None = None) -> str | None:
    """The span of consecutive periods a text asks about as one stretch, as ``A..B``: 'the first three quarters of
    2025' (2025-Q1..2025-Q3), 'the first nine months of 2025', 'from January to March 2025', 'Q1-Q3 2025',
    'between 2022 and 2024'. None when the text names no such span."""
    m = _FIRST_N.search(text)
    if m:
        n = int(m.group("n")) if m.group("n").isdigit() else _COUNT[m.group("n").lower()]
        year = m.group("y") or next((year_of(p.code) for p in find_periods(text, default_year) if year_of(p.code)),
                                    default_year)
        unit = m.group("unit").lower()
        if not m.group("first") and n != (4 if unit == "quarters" else 12):
            year = None  # 'the four quarters of 2024' is the year's; 'the two quarters of 2024' says not which
        if year and ((unit == "quarters" and 2 <= n <= 4) or (unit == "months" and 2 <= n <= 12)):
            return f"{year}-Q1..{year}-Q{n}" if unit == "quarters" else f"{year}-01..{year}-{n:02d}"
    found = [p for p in find_periods(text, default_year) if not p.code.startswith("*")]
    stretch = next((p.months for p in found if p.months and p.months != "*"), None)
    if stretch:  # 'January to September 2025', 'April to June 2025': a stretch of months named as one
        return stretch
    for a, b in zip(found, found[1:]):
        kind = _granularity(a.code)
        if kind and kind == _granularity(b.code) and sort_key(a.code) < sort_key(b.code) \
                and _JOINER.match(text[a.end:b.start]):
            return f"{a.code}..{b.code}"
    return None


def expand(span: str) -> list[str]:
    """The periods of one granularity that make up a range: 2025-Q1..2025-Q3 -> [2025-Q1, 2025-Q2, 2025-Q3]."""
    a, _, b = span.partition("..")
    kind = _granularity(a)
    if not b or kind is None or kind != _granularity(b):
        return [span]
    step = {"year": 12, "half": 6, "quarter": 3, "month": 1}[kind]
    (y, mo, _d), _ = _interval(a)
    end = _interval(b)[0]
    out = []
    while (y, mo) <= end[:2] and len(out) < 240:
        out.append(str(y) if kind == "year" else f"{y}-H{(mo + 5) // 6}" if kind == "half"
                   else f"{y}-Q{(mo + 2) // 3}" if kind == "quarter" else f"{y}-{mo:02d}")
        mo += step
        y, mo = y + (mo - 1) // 12, (mo - 1) % 12 + 1
    return out


def parse_period(text: str) -> str | None:
    """The one period a whole cell or header names ('Q3 2025', '2025-11', 'FY24'), else None."""
    text = text.strip()
    found = find_periods(text)
    if len(found) == 1 and len(found[0].text) >= len(text) - 2:
        return found[0].code
    return None


def shift(code: str, years: int = 0, steps: int = 0) -> str | None:
    """A period moved by whole years, or by ``steps`` of its own length (2025-Q3 -> 2024-Q3 by a year, 2025-Q2 by
    a step back); None for a code that cannot move (a range, an unresolved one)."""
    split = _SPLIT_CODE.fullmatch(code)
    if split:  # FY2025/26-H1 -> FY2024/25-H1 by a year, FY2025/26-H2 by a step
        year, part = int(split.group(1)) + years, split.group(2)
        if part:
            size = 4 if part == "Q" else 2
            index = int(split.group(3)) - 1 + steps
            year, index = year + index // size, index % size
            return f"FY{year}/{(year + 1) % 100:02d}-{part}{index + 1}"
        year += steps
        return f"FY{year}/{(year + 1) % 100:02d}"
    m = re.fullmatch(r"(FY)?((?:19|20)\d{2})(?:-(Q[1-4]|H[12]|\d{2}))?", code)
    if not m:
        return None
    fy, year, part = m.group(1) or "", int(m.group(2)) + years, m.group(3)
    if not part:
        return f"{fy}{year + steps}"
    size = {"Q": 4, "H": 2}.get(part[0], 12)
    index = int(part[1:] if part[0] in "QH" else part) - 1 + steps
    year, index = year + index // size, index % size
    label = f"{part[0]}{index + 1}" if part[0] in "QH" else f"{index + 1:02d}"
    return f"{fy}{year}-{label}"


def title_period(title: str, as_of: str | None = None) -> list[str]:
    """The one reporting period a document's title gives ('Results for the third quarter of 2025', 'Half-Year
    Results H1 2025'), else none. A month or a day in a title is most often the issue's date ('Wind Monthly -
    October 2025'), and a year may be an outlook's, so only a quarter or a half counts."""
    codes = list(dict.fromkeys(p.code for p in find_periods(title or "", as_of=as_of) if not p.code.startswith("*")))
    return codes if len(codes) == 1 and re.fullmatch(r"(?:\d{4}|FY\d{4}/\d{2})-(?:Q[1-4]|H[12])", codes[0]) else []
