"""Plan and run the calculations a question asks for, from figures the numbered sources state.

Code reads the question (which calculation, for whom, when, in which unit) and the sources (each figure with what
it is about: a table row's entity, period and series; a sentence's names, periods and unit), then pairs the figures
the question names. Only where these rules find no plan does the model propose one; its proposal passes the same
checks (every input stated in a source, for the question's entities and periods, in one unit), and a rejected
proposal goes back to it once with the reason. Code does the arithmetic. Nothing here knows any corpus: names a
corpus needs beyond these rules come from its data file (``CorpusKnowledge``).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from copilot.errors import LLMUnavailable, ToolInputError
from copilot.numbers import (CURRENCY_WORDS, UNITS, Number, extract_numbers, format_number, is_currency_code, rescale,
                             is_signed_kind, numbers_match, sentences_under_headings, unit_of_text, _MONTH_STEMS)
from copilot.periods import (MONTHS, expand, find_periods, find_range, format_period, overlaps, parse_period, shift,
                             sort_key, title_period, within, year_of)
from copilot.tools import TOOLS, run_tool, tool_call_schema
from copilot.types import Citation, CorpusKnowledge, ToolCall

log = logging.getLogger(__name__)
CURRENCY_CODES = set(CURRENCY_WORDS.values())

# What a question asks for, in general English, most specific first.
_TWO_CALCS = re.compile(r"\bin (?:absolute|\w+) (?:terms )?and (?:in )?(?:percent(?:age)?|relative|%)|"
                        r"\bhow much and by what percent|\bby how (?:much|many)\b.*\band by what percent|"
                        r"\band (?:in|by) (?:what )?percent(?:age)?(?: terms)?\b", re.I)
INTENT_PATTERNS: list[tuple[str, str]] = [
    ("implied_prior", r"\b(?:given|implied|implies|imply|back out|assuming)\b.*\d+(?:\.\d+)?\s?(?:%|percent)"
                      r"|\d+(?:\.\d+)?\s?(?:%|percent).*\b(?:implied|implies|imply|back out)\b"
                      r"|\d+(?:\.\d+)?\s?(?:%|percent)\s+(?:rise|increase|jump|gain|growth|decline|drop|fall)"
                      r".*\b(?:before|prior|previous|earlier)\b"
                      r"|\bbased on\b.*\b(?:growth|increase|rise|decline|fall|drop|change)\b.*\bhow (?:many|much)\b"
                      r"|\b(?:back(?:ing)? out|implied|imply|implies|infer)\b.*\b(?:earlier|before|prior|previous|ago|"
                      r"last year)\b"),
    ("pct_change", r"percent(?:age)? change|% change|\bby what percent|\bgrowth rate\b|"
                   r"percent(?:age)? (?:increase|decrease|decline|rise|drop|fall|growth|gain)|"
                   r"\bhow much\b.*\bin percent|\bhow many percent"),
    ("share", r"\b(?:what|which) (?:share|percentage|proportion|fraction|portion|percent)\b|\bshare of (?:the )?(?:total|all)\b"
              r"|\bpercent(?:age)? of (?:the )?(?:total|overall|all)\b|\baccount(?:ed)? for what\b"),
    ("ratio", r"\bhow many times\b|\bratio\b|\btimes (?:larger|bigger|more|higher|as)\b"),
    ("rank", r"\b(?:which|what|who|whose)\b[^?]*\b(?:highest|lowest|largest|smallest|biggest|greatest|most|least|"
             r"fastest|slowest|strongest|weakest|best|worst)\b|\brank\b|"
             r"^\s*(?:the\s+)?(?:highest|lowest|largest|smallest|biggest|greatest|top)\b"),
    ("difference", r"\bhow (?:many|much) (?:more|fewer|less|higher|lower|bigger|smaller|larger)\b|\bdifference\b|"
                   r"\bwhich\b.*\b(?:higher|lower|larger|smaller|more|less|bigger|greater)\b|^\s*compare\b|"
                   r"\bgap\b|\bby how (?:many|much)\b|\bhow much did\b.*\b(?:rise|fall|grow|increase|decrease|"
                   r"decline|drop|change|shrink)\b"),
    ("add", r"\bcombined\b|\btogether\b|\bsum of\b|\badded up\b|\bin total\b.*\b(?:and|plus)\b"),
    ("part_of", r"^(?=.*(?:\d\s?%|\bpercent\b|\bstake\b|\bshare\b|\bportion\b))"
                r".*(?:\bvalue\b.*\b(?:of|to|for)\b|\bworth\b)"),
]
#: A unit that is a thing counted ('passengers', 'vehicles'): the name of a table's series as often as a unit.
_COUNT_NOUN = re.compile(r"(?!(?:miles|days|months|years|hours)$)[a-z]{4,}")
_QUESTION_WORDS = {"what", "which", "who", "whom", "how", "why", "when", "where", "did", "does", "do", "is", "are",
                   "was", "were", "given", "by", "in", "the", "a", "an", "compare", "roughly", "about", "and", "of",
                   "approximately", "according", "between", "from", "to", "for", "if", "assuming", "than"}
_STOP = _QUESTION_WORDS | {"many", "much", "more", "less", "fewer", "percent", "percentage", "change", "share",
                           "total", "times", "difference", "value", "went", "go", "its", "their", "that", "this",
                           "with", "on", "at", "as", "it", "be", "been", "has", "have", "had", "rise", "fall",
                           "grow", "growth", "increase", "decrease", "decline", "terms", "absolute", "both",
                           "there", "over", "year", "month", "quarter", "period"} | {
    u for u, v in UNITS.items() if not _COUNT_NOUN.fullmatch(v)}  # 'passengers' names a series, 'tonnes' does not
_FALL = re.compile(r"\b(?:declin\w*|drop\w*|fall|fell|fallen|decreas\w*|down|lower|shr[iu]nk\w*|slump\w*|plung\w*|"
                   r"contract\w*|cut)\b", re.I)
_RISE = re.compile(r"\b(?:ris\w*|rose|increas\w*|jump\w*|grow\w*|grew|gain\w*|up|higher|surg\w*|climb\w*|"
                   r"expand\w*)\b", re.I)
_UNIT_ASKED = re.compile(r"\b(?:in|of|how many)\s+([A-Za-z]+(?:\s[a-z]+)?)")


_PAIRED = {"difference", "pct_change", "ratio", "add"}
#: A margin asked for: a measure of profit as a share of revenue ('EBITDA margin', 'operating margin').
_MARGIN = re.compile(r"\b([A-Za-z]+)\s+margin\b(?!\s+(?:change|points?)\b)", re.I)
#: Other names of a company's revenue, the whole a margin is taken of.
_REVENUE = ("revenue", "sales", "turnover")
#: A rate asked for: 'how many passengers ... per flight', 'on average, ... tonnes per hectare'.
_PER = re.compile(r"\bhow (?:many|much) (?P<top>[a-z]+)\b[^?]*?\bper (?!cent\b)(?P<bottom>[A-Za-z]+)", re.I)
_PER_EACH = re.compile(r"\b(?i:how) (?:many|much) (?P<top>[a-z]+)\b[^?]*?\beach\s+(?:[A-Z][\w-]*\s+)*"
                       r"(?!of\b)(?P<bottom>[a-z]{3,})")
_PER_AVERAGE = re.compile(r"\b(?:average|avg)\b[^?]*?\bper (?!cent\b)(?P<bottom>[A-Za-z]+)", re.I)
#: A rate the question asks to work out ('Work out the revenue per tonne hauled'): stated rates are not asked so.
_PER_WORKED = re.compile(r"\b(?:work out|calculate|compute|derive|divide)\b[^?]*?\b(?P<top>[a-z]+)\s+per\s+"
                         r"(?!cent\b)(?P<bottom>[A-Za-z]+)", re.I)
_TOTAL = re.compile(r"\b(?:in total|total|totals|combined|sum|summed|altogether|cumulative\w*|all together|"
                    r"added up|overall)\b", re.I)


#: A change of a rate asked for in points: a difference of two percents, not a percent change of one.
_POINTS = re.compile(r"\bpercentage[- ]points?\b|\bpp\b|\bppts?\b|\bbasis points?\b|\bbps\b|\bin points\b", re.I)
#: Growth asked for against a year before: 'year on year', 'y/y', 'versus the same quarter a year earlier'.
_YEAR_ON_YEAR = re.compile(r"\b(?:year[- ]on[- ]year|year[- ]over[- ]year|y/y|yoy|(?:than|from|on|versus|vs\.?|"
                           r"compared (?:with|to)|against)\s+(?:the same \w+ (?:of |in )?)?(?:a|one|the) year "
                           r"(?:earlier|before|ago)|(?:than|from|on|versus|vs\.?|compared (?:with|to)|against)\s+"
                           r"(?:the\s+)?same (?:quarter|month|half|period) (?:of |in )?"
                           r"(?:the previous|the prior|last) year|"
                           r"(?:than|from|on|versus|vs\.?|compared (?:with|to)|against)\s+the (?:previous|prior|"
                           r"preceding) (?:fiscal |financial )?year)\b",
                           re.I)
#: Two parties' growth compared: 'whose revenue grew faster', 'which grew the most'.
_GROWTH_COMPARED = re.compile(r"\b(?:grew|grow(?:s|ing)?|rose|risen|increased|expanded|fell|declined)\s+(?:the\s+)?"
                              r"(?:faster|fastest|more|most|slower|slowest|less|least)\b|\b(?:faster|fastest|"
                              r"strongest|weakest|slowest|higher|highest)\s+(?:growth|grower|rise|increase)\b", re.I)
_SUPERLATIVE = re.compile(r"\b(?:highest|lowest|largest|smallest|biggest|greatest|most|least|fastest|slowest|"
                          r"strongest|weakest|best|worst)\b", re.I)
_LOW = re.compile(r"\b(?:lowest|smallest|least|fastest decline|slowest|weakest|worst)\b", re.I)
_HIGH = re.compile(r"\b(?:highest|largest|biggest|greatest|most|fastest|strongest|best)\b", re.I)
_CHANGE_ASKED = re.compile(r"\b(?:percent(?:age)?\s+(?:increase|rise|growth|gain|decrease|decline|fall|drop|change)|"
                           r"grew|grow|growth|fastest|slowest|change)\b", re.I)
_ROW_LABEL = re.compile(r"^\W*([A-Z][^:;\u2014\u2013]{1,40}?)\s*(?::|\u2014|\u2013| - )\s")
_TOTAL_WORDS = re.compile(r"^\s*(?:total|grand total|all\b.*|overall|other\b.*|sum|aggregate|combined|.*\btotal)\s*$", re.I)
#: Growth asked as a rate ('year-on-year growth', 'how much did sales grow, in percent'), not a change in units.
_GROWTH_RATE = re.compile(r"\b(?:growth|grow|grew)\b|\bin percent|\bpercent(?:age)?\b", re.I)
#: A measure that is itself a percent: its change is in points, and is most often stated.
_RATE_MEASURE = re.compile(r"\b(?:margin|share|rate|ratio|yield|utili[sz]ation|load factor|percentage points?)\b",
                           re.I)


def detect_intents(question: str) -> list[str]:
    """The calculations a question asks for: none, one, or a change in units and in percent (two)."""
    if _POINTS.search(question) and re.search(r"\b(?:how (?:much|many)|by what|change|move|moved|differ|gap|"
                                              r"rise|fall|widen|narrow)", question, re.I):
        return ["difference"]  # 'by how many percentage points did the margin fall?'
    if re.search(r"\bby how much\b(?:[^?]*,)?\s+(?:in|as an?)\s+(?:percent(?:age)?|%)", question, re.I) and \
            not _TWO_CALCS.search(question):
        return ["pct_change"]  # 'by how much, in percent, did ... grow?'
    if _TWO_CALCS.search(question) or all(re.search(dict(INTENT_PATTERNS)[n], question, re.I)
                                          for n in ("difference", "pct_change")):
        return ["difference", "pct_change"]  # 'how many more ..., and what is that as a percentage increase?'
    if re.search(dict(INTENT_PATTERNS)["implied_prior"], question, re.I):
        return ["implied_prior"]  # 'based on the year-on-year growth reported ..., how many in October 2024?'
    if _GROWTH_COMPARED.search(question) or (_YEAR_ON_YEAR.search(question) and _GROWTH_RATE.search(question)
                                             and not _RATE_MEASURE.search(question)):
        return ["pct_change"]  # 'whose revenue grew faster?', 'what was the year-on-year growth?'

    for name, pattern in INTENT_PATTERNS:
        if re.search(pattern, question, re.I):
            return [name]
    return []


_NAME = re.compile(r"\b[A-Z][\w.&-]*(?:'s?)?(?:\s+(?:of\s+|de\s+|&\s+)?[A-Z][\w.&-]*(?:'s?)?)*"
                   r"(?:\s+(?!(?:19|20)\d\d\b)\d{1,3}[A-Za-z]?\b(?![.,]\d))?")
#: A sentence's first word that is a verb, not part of the name after it: a participle ('Taking', 'Based',
#: 'Following'), an instruction ('Give', 'List') or a superlative or aggregate ('Lowest', 'Average', 'Total').
_OPENER = re.compile(r"[A-Z][a-z]+(?:ing|ed)|Give|List|Name|Show|Tell|State|Calculate|Compute|Estimate|Explain|"
                     r"Describe|Summari[sz]e|Rank|Identify|"
                     r"(?:Low|High|Larg|Bigg|Small|Fast|Slow|Strong|Weak|Cheap)est|Top|Average|Mean|Median|Total|"
                     r"Combined|Overall")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;(]\s+|\n\s*(?:[-*•#]+\s*)?|^\s*[-*•#]+\s*)$")


def written_as_names(question: str, texts: list[str]) -> dict[str, str]:
    """The question's words that the given passages only ever write as names, capitalised and not only at a
    sentence's start ('solvik' -> 'Solvik', 'kera' -> 'KERA'): an analyst types 'solvik ebitda margin q3 25'."""
    out = {}
    asked = {w.lower() for w in re.findall(r"[A-Za-z]+", question)}
    for word in dict.fromkeys(re.findall(r"[A-Za-z][a-z]{2,}|[A-Za-z]{3,}", question)):
        low = word.lower()
        if low in _STOP or low in UNITS or low in _COMPARISON_ABBREVIATIONS or low[:3] in _MONTH_STEMS:
            continue
        forms = [(m.group(0), m.start(), t) for t in texts for m in re.finditer(rf"\b{re.escape(low)}\b", t, re.I)]
        # (a word opening a sentence or a table's line is capitalised whatever it is: 'Household price 2025')
        # (a word inside another's name is not a name of its own: 'energy' in 'the Kestrian Energy Regulator', unless
        # the question gives the name's words before it: 'voltmark energie')
        mid = [f for f, start, t in forms if not _SENTENCE_START.search(t[:start])
               and (not (prev := re.search(r"\b([A-Z][\w-]*)\s+$", t[:start])) or prev.group(1).lower() in asked)]
        if mid and all(f[0].isupper() for f, _, _ in forms) and all(f == mid[0] for f in mid):
            out[low] = mid[0]
    return out


def restore_names(question: str, names: dict[str, str]) -> str:
    """The question with the words ``written_as_names`` found written as the passages write them."""
    for low, form in names.items():
        question = re.sub(rf"\b{re.escape(low)}\b", form, question, flags=re.I)
    return question


def named_entities(text: str, proper_only: bool = False, known: frozenset[str] = frozenset()) -> list[str]:
    """Capitalised names in ``text`` ('Brazil', 'Helvik Wind', 'UK', 'Round 5'); months, question words and units
    left out; "Varland's Round 5" is two names. With ``proper_only``, a single capitalised word that only opens
    a sentence or a line ('Gross margin was ...') is not taken for a name, unless it is one of the ``known`` names
    (lowercase) the stored passages write as a name ('Solvik share of all charge points?')."""
    names = []
    months = {m.lower() for m in MONTHS} | {m[:3].lower() for m in MONTHS}
    # a currency's code before its amount is not a name ('TVD 184.6 million', 'VMK 1.05'), nor before its scale
    # ('in KSK million') or a unit it is paid per ('TVC per tonne', 'NOK/t')
    text = re.sub(r"\b[A-Z]{3}(?=\s?\d|\s+(?:thousand|million|billion|trillion|mn|bn|m)\b|\s+per\s+[a-z]|/[a-z])"
                  r"(?!\s?(?:19|20)\d\d\b(?![.,]\d))",
                  lambda m: " " * 3 if is_currency_code(m.group(0)) else m.group(0), text)
    for m in _NAME.finditer(text):
        # "Varland's Round 5" is two names; so are 'Sildaby Fisk. What' (a sentence ends) and 'EBIT of Kelvane
        # Aqua' (an acronym's measure of a name)
        for i, part in enumerate(re.split(r"'s?\s+(?=[A-Z])|(?<=[a-z]{2})\.\s+(?=[A-Z])|(?<=[A-Z]{2})\s+of\s+(?=[A-Z])",
                                          m.group(0))):
            words = [w for w in part.split()
                     if re.sub(r"'s?$", "", w.lower().strip(".'")) not in months | _QUESTION_WORDS
                     and not all(x in months for x in re.split(r"[-/\u2013]", w.lower().strip(".'")))
                     and not re.fullmatch(r"(?:Q[1-4]|H[12]|FY[\d/-]*)", w) and w.strip(".,;:'").lower() not in UNITS
                     and w.strip(".,;:'?").lower() not in _COMPARISON_ABBREVIATIONS
                     and w.strip(".'").upper() not in CURRENCY_CODES]
            name = " ".join(words).strip(".'")
            name = re.sub(r"'s?$|-[a-z]+$", "", name)  # "Japan's", "Japan-bound" -> "Japan"
            if not name or re.fullmatch(r"\d+\w?", name):
                continue
            at_start = i == 0 and _SENTENCE_START.search(text[:m.start()]) is not None
            first = name.split()[0]
            if proper_only and at_start and len(name.split()) > 1 and _OPENER.fullmatch(first) and \
                    first.lower() not in _GENERIC_OPENERS:  # not 'United States'
                name = name.split(None, 1)[1]  # 'Taking Port Aldane and ...', 'List Corvel Air's routes'
            elif proper_only and at_start and len(name.split()) == 1 and not name.isupper() and \
                    not re.search(r"'s?$", part.rstrip()) and not _is_demonym(name) and name.lower() not in known and \
                    not _LISTED.match(text[m.end():]):  # "Skerrow's revenue", 'Kalder plus Meridane' are names
                continue
            names.append(name)
    return names


#: Analysts' shorthand for a comparison or a stretch of time ('revenue rose 18.7% YoY'): no one's name.
_COMPARISON_ABBREVIATIONS = {"yoy", "qoq", "mom", "hoh", "wow", "ytd", "qtd", "mtd", "ltm", "ttm", "ntm"}

#: A word that opens a list of names: 'Kalder plus Meridane', 'Halvren vs Kalder', 'Brask, Kell and ...'.
_LISTED = re.compile(r"\s*(?:,|&|/|\band\b|\bplus\b|\bvs\.?|\bversus\b|\bor\b)\s*[A-Z]")

#: Words that open many names, so a name's first word alone does not stand for it ('United Kingdom').
_GENERIC_OPENERS = {"united", "new", "north", "south", "east", "west", "general", "national", "first", "great", "royal",
                    "american", "international", "global", "central", "the", "bank", "state", "federal"}


#: Words shaped like a people's name that are not one.
_NOT_DEMONYMS = {"clean", "median", "urban", "suburban", "human", "ocean", "veteran", "organ", "orphan", "titan",
                 "artisan", "caravan", "metropolitan", "establish", "finish", "publish", "furnish", "diminish",
                 "accomplish", "abolish", "punish", "relish", "cherish", "flourish", "nourish", "perish", "vanish"}


def demonym_stem(word: str) -> str:
    """What a people's adjective shares with its place's name: 'Ethiop' of 'Ethiopian' (Ethiopia), 'Kenya' of
    'Kenyan'."""
    return word[:max(5, len(word) - 3)]


def _is_demonym(word: str) -> bool:
    """'German', 'Korean', 'Ethiopian', 'Japanese', 'Danish': the adjective of a place's name."""
    return re.fullmatch(r"[A-Z][a-z]{2,}(?:ian|ean|an|ese|ish)", word) is not None and word.lower() not in _NOT_DEMONYMS


def _mentions(text: str, name: str, knowledge: CorpusKnowledge) -> bool:
    """Does ``text`` name ``name``, one of its aliases, or its short form (a company's distinctive first word:
    'Marlin' for 'Marlin Subsea Cables')? Short all-capital names match only in capitals."""
    for alias in knowledge.names(name):
        alias = alias.strip()
        if not alias:
            continue
        # 'US' is not 'us'; a code with a digit ('CO2', 'A320') is itself in any case
        flags = 0 if (len(alias) <= 4 and alias.upper() == alias and not re.search(r"\d", alias)) else re.I
        if re.search(r"(?<![\w-])" + re.escape(alias) + r"(?![\w])", text, flags):
            return True
    if _is_demonym(name):  # 'Ethiopian' coffee is Ethiopia's, 'German' arrivals Germany's
        stem = demonym_stem(name)
        if re.search(r"(?<![\w-])" + re.escape(stem) + r"[a-z]{0,3}(?![\w])", text):
            return True
    if _initials_match(text, name):
        return True
    first = name.split()[0] if len(name.split()) > 1 and not re.search(r"\d", name) else ""
    if len(first) >= 4 and first.lower() not in _GENERIC_OPENERS and first[0].isupper():
        return re.search(r"(?<![\w-])" + re.escape(first) + r"(?:'s)?(?![\w])", text) is not None
    return False


def expansion(text: str, initials: str) -> str | None:
    """The capitalised words of ``text`` that ``initials`` abbreviate ('United Kingdom' for 'UK'), or None."""
    m = re.search(r"\b" + r"[a-z]+\s+(?:of\s+(?:the\s+)?)?".join(initials) + r"[a-z]+\b", text)
    return m.group(0) if m else None


def _initials_match(text: str, name: str) -> bool:
    """Initials stand for the capitalised words they abbreviate, either way: 'UK' for 'United Kingdom', 'EU' for
    'European Union', 'USA' for 'United States of America', and the long name for its initials."""
    if re.fullmatch(r"[A-Z]{2,4}", name):
        return expansion(text, name) is not None
    words = [w for w in name.split() if w.lower() not in ("of", "the", "and", "&")]
    if len(words) >= 2 and all(re.fullmatch(r"[A-Z][a-z]+", w) for w in words):
        initials = "".join(w[0] for w in words)
        return re.search(rf"\b{initials}\b|\b{'.'.join(initials)}\.", text) is not None
    return False


@dataclass
class Fact:
    """A figure a numbered source states, with what it is about."""

    value: float
    unit: str
    kind: str
    n: int
    about: str  # a table row's series label, or the clause that states the figure
    entity: str = ""  # a table row's entity
    names: list[str] = field(default_factory=list)  # names in the stating clause
    periods: list[str] = field(default_factory=list)
    qualifier: str = ""
    is_total: bool = False
    series: str = ""
    sentence: str = ""
    subject: str = ""  # whom the stating document is from or about: its publisher and title

    def label(self, who: str | None = None) -> str:
        who = self.entity or who or ", ".join(self.names[:1])
        when = ", ".join(format_period(p) for p in self.periods[:1])
        hedge = {"approx": "about ", "below": "below ", "above": "above "}.get(self.qualifier, "")
        if who and when and who in when:
            who = ""  # a month ranked is its own party ('August 2025', not 'August, August 2025')
        head = ", ".join(x for x in (who, when) if x)
        return f"{head}: {hedge}{format_number(self.value, self.unit)}" if head else format_number(self.value, self.unit)


_HEDGE_WORDS = re.compile(r"\b(?:about|around|roughly|nearly|almost|approximately|some|close to|just over|"
                          r"just under)\s*$", re.I)


def source_facts(sources: list[Citation], knowledge: CorpusKnowledge | None = None) -> list[Fact]:
    """Every figure the numbered sources state: typed table rows first, then figures in the text."""
    knowledge = knowledge or CorpusKnowledge()
    out: list[Fact] = []
    for c in sources:
        if c.kind == "calculation":
            continue
        for f in c.facts:
            kind = {"%": "percent", "pp": "points", "bp": "bp"}.get(f.unit, "money" if _is_currency(f.unit)
                                                                    else "quantity")
            out.append(Fact(f.value, f.unit, kind, c.n, f.label or f.series.replace("_", " "), entity=f.entity,
                            periods=[f.period] if f.period else [], qualifier=f.qualifier,
                            is_total=f.is_total or knowledge.is_total(f.entity), series=f.series,
                            sentence=c.text))
        if c.facts:
            continue
        as_of = c.date or None
        for sentence, heading in sentences_under_headings(c.text):
            # 'output rose from 1,870 ML to 1,990 ML over the same period': where the sentence names no period of
            # its own, the period it inherits is the new level's; the old level's is not stated
            earlier = {old.start for old, _ in _levels(sentence)} if not find_periods(sentence) else set()
            for num in extract_numbers(sentence, words=True):
                if num.kind in ("year", "date") or (num.raw.isalpha() and not num.unit):
                    continue  # a year, a day, or a number word without a unit
                if num.kind == "quantity" and not num.unit and re.search(r"\b[A-Z][a-z]+\s$", sentence[:num.start]):
                    continue  # part of a name: 'Round 5', 'Phase 2'
                clause = _clause(sentence, num.start, num.end)
                periods = [] if num.start in earlier else \
                    context_periods(sentence, num.start, num.end, as_of, heading=heading)
                if not periods and num.start not in earlier and num.kind in ("money", "quantity", "percent"):
                    periods = title_period(c.title, as_of)  # a level in 'Half-Year Results H1 2025' is H1 2025's
                names = named_entities(clause, proper_only=True) or named_entities(sentence, proper_only=True)
                before = sentence[:num.start]
                qualifier = "approx" if _HEDGE_WORDS.search(before) else (
                    "below" if re.search(r"\b(?:below|under|less than)\s*$", before, re.I) else "")
                out.append(Fact(num.value, num.unit, num.kind, c.n, clause.strip(), names=names, periods=periods,
                                qualifier=qualifier, sentence=sentence, subject=f"{c.publisher} {c.title}".strip()))
    return out


def _is_currency(unit: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{3}", unit or ""))


_DELIM = re.compile(r"[,;:()]|\b(?:while|whereas|but|and|against|versus|vs\.?|compared (?:with|to))\b")


def _clause(sentence: str, start: int, end: int) -> str:
    """The part of a sentence around a figure: split at commas, semicolons, colons, brackets and 'while/whereas/but/
    and'. A bracket that only names a period again is part of the period before it ('Q1 FY2025/26 (Apr-Jun 2025) was
    14.6 thousand tonnes')."""
    aliases = {i for m in re.finditer(r"(?<=\w)\s*\(([^()]{3,40})\)", sentence)
               if m.end() <= start and parse_period(m.group(1)) for i in (m.start(1) - 1, m.end(1))}
    marks = [m for m in _DELIM.finditer(sentence) if m.start() not in aliases]
    lo = max([0] + [m.end() for m in marks if m.end() <= start])
    hi = min([len(sentence)] + [m.start() for m in marks if m.start() >= end])
    clause = sentence[lo:hi]
    return clause if len(clause.split()) >= 3 else sentence


#: A sentence's opening time phrase, which dates the whole sentence.
_OPENING_TIME = re.compile(r"\s*(?:On|In|During|At|By|As (?:of|at)|Since)\s+[^,;]{0,24}?\b(?:19|20)\d\d\b")


_A_YEAR_BEFORE = re.compile(r"\b(?:(?:a|one) year (?:earlier|before|ago|previously)|the (?:previous|prior|preceding) "
                            r"year|last year|the year before|(?:in )?the same (?:quarter|month|half|period) "
                            r"(?:of |in )?(?:the previous|the prior|last) year)\b", re.I)


def year_before(sentence: str, clause: str, as_of: str | None = None) -> list[str] | None:
    """A figure's clause that says 'a year earlier' ('from 8.1 days a year earlier') is stated for the sentence's
    own period a year before; None when the clause says no such thing or the sentence names no period."""
    if not _A_YEAR_BEFORE.search(clause):
        return None
    at = sentence.find(clause)
    base = [p.code for p in find_periods(sentence, as_of=as_of) if not (at <= p.start < at + len(clause))
            and not p.code.startswith("*")]
    moved = [m for m in (shift(base[0], years=-1),) if m] if base else []
    return moved or None


def _blank_brackets(text: str) -> str:
    """``text`` with each bracket's content blanked, positions kept: a bracket's period is its own."""
    return re.sub(r"\([^)]*\)", lambda m: " " * len(m.group(0)), text)


def trailing_periods(sentence: str, end: int, as_of: str | None = None) -> list[str]:
    """The periods of a clause right after a figure that dates it, past any bracket and figure-free clauses: 'KSK
    78.60 per kg (EUR 6.84 per kg) in October 2025, down from ...' is October 2025's; [] where none does."""
    bare = _blank_brackets(sentence)
    marks = [m.end() for m in _DELIM.finditer(bare) if m.start() >= end]
    tail = bare[end:]
    first = re.match(r"[^,;:]*", tail)  # the rest of the figure's own clause, once its bracket is blanked
    parts = [tail[:first.end()]] if first else []
    parts += [bare[lo:hi] for lo, hi in zip(marks, marks[1:] + [len(bare)])]
    for part in parts:
        if any(n.kind not in ("year", "date") for n in extract_numbers(part)):
            break
        lead = re.match(r"\s*(?:in|during|for|over|throughout)\s+(?:the\s+)?", part, re.I)
        found = find_periods(part, as_of=as_of) if lead else []
        if found and found[0].start == lead.end():  # 'in October 2025', not 'for delivery in 2027'
            return [p.code for p in found]
    return []


def context_periods(sentence: str, start: int, end: int, as_of: str | None = None, strict: bool = False,
                    heading: str | None = None) -> list[str]:
    """The periods a figure at sentence[start:end] is stated for: those of its clause; else those of the sentence's
    clauses that state no figure of their own ('In March 2025, Brazil shipped 2.4 million bags'); else those of
    the heading the sentence stands under ('## Highlights of Q3 2025'); else, unless ``strict``, the sentence's one
    period outside brackets. A period in '(Q3 2024: €139.0 million)' belongs to that
    bracket's figure, not to the figure before it."""
    clause = _clause(sentence, start, end)
    own = [p.code for p in find_periods(clause, as_of=as_of)]
    if any(code.startswith("*") for code in own):  # 'between July' cut from 'between July and September 2025'
        at = sentence.find(clause)
        whole = [p for p in find_periods(sentence, as_of=as_of) if at <= p.start < at + len(clause)]
        own = [p.code for p in whole] or own
        span = find_range(sentence)
        if span and any(code in span.split("..") for code in own):
            own = [span]
    if own:
        return own
    earlier = year_before(sentence, clause, as_of)
    if earlier is not None:  # 'from 8.1 days a year earlier': the sentence's period, a year before
        return earlier
    trailing = trailing_periods(sentence, end, as_of)
    if trailing:
        return trailing
    sentence = _blank_brackets(sentence)  # a bracket's period is its own
    bounds = [0] + [m.end() for m in _DELIM.finditer(sentence)] + [len(sentence)]
    free: list[str] = []
    for lo, hi in zip(bounds, bounds[1:]):
        part = sentence[lo:hi]
        if lo >= end and not re.match(r"\s*(?:in|during|for|over|throughout)\s", part, re.I):
            continue  # a clause after the figure dates something else ('..., helped by the lane opened in February')
        if not any(n.kind not in ("year", "date") for n in extract_numbers(part)):
            free += [p.code for p in find_periods(part, as_of=as_of) if p.code not in free]
    opening = _OPENING_TIME.match(sentence)  # 'On 9 October 2025 the board approved ..., valued at US$96 million'
    if opening:
        free += [p.code for p in find_periods(opening.group(0), as_of=as_of) if p.code not in free]
    if free:
        return free
    if heading is not None:
        return [p.code for p in find_periods(heading, as_of=as_of)]
    if strict:
        return []
    outside = re.sub(r"\([^)]*\)", " ", sentence)
    # a comparison after the figure dates the figure compared with, not this one ('3,480 truckloads carried 52,780
    # tonnes ..., compared with 3,190 truckloads in the first half of 2024')
    compared = _COMPARISON.search(outside, end)
    if compared:
        outside = outside[:compared.start()]
    codes = {p.code for p in find_periods(outside, as_of=as_of)}
    return list(codes) if len(codes) == 1 else []


_COMPARISON = re.compile(r"\b(?:compared (?:with|to)|against|versus|vs\.?|than|up from|down from)\b", re.I)


@dataclass
class Frame:
    """What the question asks: which calculations, for whom, when, in which unit."""

    question: str
    intents: list[str]
    periods: list[str]
    names: list[str]
    unit: str
    premise: list[float]
    words: tuple[str, ...]  # the question's content words, in its order (a search query built from them is the same
    # in every process)
    weights: dict[str, float] = field(default_factory=dict)  # a word found in few figures' labels counts more
    span: str = ""  # a stretch of consecutive periods asked about as one ('the first three quarters of 2025')
    moved: list[str] = field(default_factory=list)  # a change of one party asked about ('by how many euros will
    # the fee rise?'): computed only where a source gives the two levels ('from €2,400 to €2,950')
    per: tuple[str, str] = ("", "")  # a rate of two measures of one party ('how many passengers per flight')
    per_units: tuple[str, str] = ("", "")  # their units, where the question names a measure by its unit ('tonnes
    # of green coffee per tonne of roasted coffee': per = ('green', 'roasted'), per_units = ('t', 't'))

    def weigh(self, facts: list["Fact"]) -> None:
        labels = [{x[:5] for x in re.findall(r"[a-z][a-z-]+", (f.about + " " + f.entity).lower())} for f in facts]
        self.weights = {w: 1.0 / (1 + sum(w[:5] in have for have in labels)) for w in self.words}


def _measures(question: str, top: str, bottom: str) -> tuple[str, str, tuple[str, str]]:
    """A rate's two measures where the question names them by their unit ('tonnes of green coffee ... per tonne
    of roasted coffee'): the words after 'of' that tell the two apart, each with its unit; the words as they were
    elsewhere."""
    def after(word: str) -> list[str]:
        m = re.search(rf"\b{re.escape(word)}\s+of\s+((?:[a-z][a-z-]+\s*){{1,3}})", question)
        words = []
        for w in (m.group(1).split() if m else []):
            if w in _STOP or w in _QUESTION_WORDS:
                break
            words.append(w)
        return words

    if not (UNITS.get(top) or UNITS.get(bottom)):
        return top, bottom, ("", "")
    ups, downs = after(top), after(bottom)
    up = next((w for w in ups if w not in downs), "")
    down = next((w for w in downs if w not in ups), "")
    if not up and not down:
        return top, bottom, ("", "")
    return (up or top, down or bottom, (UNITS.get(top, "") if up else "", UNITS.get(bottom, "") if down else ""))


def read_question(question: str, default_year: str | None = None, known: frozenset[str] = frozenset()) -> Frame:
    unit = ""
    for m in _UNIT_ASKED.finditer(question):  # 'in tonnes', 'how many barrels', 'in euros'
        word = m.group(1)
        unit = unit_of_text(word) or CURRENCY_WORDS.get(word.split()[0].lower(), "")
        if unit:
            break
    periods = []
    for p in find_periods(question, default_year=default_year):
        if p.code not in periods:
            periods.append(p.code)
    if len(periods) == 1 and _YEAR_ON_YEAR.search(question) and detect_intents(question) == ["pct_change"] \
            and (before := shift(periods[0], years=-1)):
        periods.insert(0, before)  # 'growth year on year in Q3 2025' compares with Q3 2024
    names = named_entities(question, proper_only=True, known=known)
    premise = [n.value for n in extract_numbers(question) if is_signed_kind(n.kind)]
    words = tuple(dict.fromkeys(w for w in re.findall(r"[a-z][a-z-]+", question.lower())
                                if w not in _STOP and len(w) > 2))
    intents = detect_intents(question)
    if intents == ["pct_change"] and len(names) < 2 and _SUPERLATIVE.search(question):
        intents = ["rank"]  # 'which origin grew fastest?': the stated changes ranked
    span = find_range(question, default_year) or ""
    if span and intents in ([], ["add"]) and _TOTAL.search(question):
        intents = ["total"]  # a sum over the periods of a stretch ('in total in Q1 to Q3')
    if span and intents != ["total"] and len(periods) == 1 and ".." not in periods[0]:
        span = ""  # 'the three months to September 2025' asked as one period is the third quarter, not three months
    margin = _MARGIN.search(question)
    # 'EBITDA' is the measure, also where it ends a name ('Solvik EBITDA margin')
    of_whom = [re.sub(rf"\s+{re.escape(margin.group(1))}$", "", n, flags=re.I) for n in names
               if margin and n.lower() != margin.group(1).lower()]
    if margin and not intents and len(periods) < 2 and len(of_whom) < 2 and margin.group(1).lower() not in _STOP:
        # 'Halvard's EBITDA margin in Q2 2025': EBITDA as a share of revenue, where no source states the margin
        return Frame(question, ["share"], periods, of_whom, unit, premise, words, span=span,
                     per=(margin.group(1).lower(), "revenue"))
    per = _PER.search(question) or _PER_AVERAGE.search(question) or _PER_WORKED.search(question) or \
        _PER_EACH.search(question)  # 'how many tonnes did each truckload carry?'

    # one party's rate: one measure over another ('each Saltgate truckload to continental Europe': a place may qualify)
    if per and len(periods) < 2 and len(names) < (3 if per.re is _PER_EACH else 2):
        before = re.findall(r"[a-z][a-z-]+", question[:question.lower().rfind(" per ")].lower())
        top = per.groupdict().get("top") or next((w for w in reversed(before) if w not in _STOP and len(w) > 2), "")
        if top and top not in _STOP - set(UNITS):
            top, bottom, units = _measures(question, top, per.group("bottom").lower())
            return Frame(question, ["ratio"], periods, names, unit, premise, words, span=span,
                         per=(top, bottom), per_units=units)
    if intents and intents[0] in _PAIRED and len(periods) < 2 and len(names) < 2 and \
            not re.search(r"\b(?:than|versus|vs\.?|compared (?:with|to)|and)\b", question, re.I):
        # a change or a comparison of one party in one period is stated, not computed ('by how much did X rise?')
        moved = [i for i in intents if i in ("difference", "pct_change")]
        return Frame(question, [], periods, names, unit, premise, words, span=span, moved=moved)
    return Frame(question, intents, periods, names, unit, premise, words, span=span)


def _unit_fits(unit: str, asked: str) -> bool:
    """'EUR/MWh' answers a question asked 'in euros'; 't' answers 'in tonnes'."""
    return unit == asked or unit.split("/")[0] == asked


#: The whole a share is asked of: 'what share of all passengers carried by X', 'of the total output of Y'.
_WHOLE = re.compile(r"\bshare of (?:all|the total|total|the)\s+([a-z][\w\s-]{3,80}?)"
                    r"(?=\s+(?:did|does|do|was|is|in|for)\b|[?,])", re.I)


def _same_unit(a: str, b: str) -> bool:
    """One unit, or a count ('passengers') beside a figure of that series stated with no unit."""
    return a == b or (not a and bool(_COUNT_NOUN.fullmatch(b))) or (not b and bool(_COUNT_NOUN.fullmatch(a)))


def _word_overlap(words: tuple[str, ...], text: str) -> float:
    have = {w[:5] for w in re.findall(r"[a-z][a-z-]+", text.lower())}
    return sum(1 for w in words if w[:5] in have) / max(len(words), 1)


def _same_period(fact: Fact, period: str) -> bool:
    """Is the figure stated for ``period``? A table row's period must be that period; a sentence's periods must
    include one that overlaps it."""
    if not fact.periods:
        return False
    if fact.entity or fact.series:  # a table row: exact
        return any(within(fp, period) and within(period, fp) for fp in fact.periods)
    # a sentence's figure: for that period, or for a day of it (a stock 'at 30 June 2025'); a quarter's figure is
    # not September's, nor a month's the quarter's
    return any(within(fp, period) and (within(period, fp) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", fp) is not None
                                       or fp.startswith("*") or ".." in fp)
               for fp in fact.periods)


def _about(fact: Fact, name: str, knowledge: CorpusKnowledge) -> bool:
    if fact.entity:
        return _mentions(fact.entity, name, knowledge) or any(_mentions(a, name, knowledge)
                                                            for a in knowledge.names(fact.entity))
    if _mentions(fact.about, name, knowledge):
        return True
    if named_entities(fact.about, proper_only=True):
        return False
    # a clause that names no one: its sentence's name, or, where the sentence names no one either ('Revenue from
    # cement traffic was TVD 184.6 million'), the party the document is from or about
    return _mentions(fact.sentence, name, knowledge) or (not named_entities(fact.sentence, proper_only=True)
                                                         and _mentions(fact.subject, name, knowledge))


def _score(fact: Fact, frame: Frame) -> float:
    """How well a figure fits the question's words (rarer words weigh more); typed table rows and figures with a
    unit first."""
    have = {x[:5] for x in re.findall(r"[a-z][a-z-]+", (fact.about + " " + fact.entity).lower())}
    weights = frame.weights or {w: 1.0 for w in frame.words}
    total = sum(weights.values()) or 1.0
    overlap = sum(v for w, v in weights.items() if w[:5] in have) / total
    # a table row is typed by its row and series; a unit counts for a figure in prose only (a row whose unit column
    # holds a scale, 'million', is not worse than one that holds 't')
    return overlap + (0.5 if fact.entity or fact.unit else 0.0)


def _pick(facts: list[Fact], frame: Frame, name: str | None, period: str | None, knowledge: CorpusKnowledge,
          unit: str | None = None, exclude: tuple = ()) -> Fact | None:
    best, best_score = None, -1.0
    for f in facts:
        if f in exclude or f.kind in ("percent", "points", "bp") and frame.intents[0] not in ("difference", "ratio"):
            continue
        if unit is not None and f.unit != unit:
            continue
        if frame.unit and f.unit and not _unit_fits(f.unit, frame.unit):
            continue
        if name is not None and not _about(f, name, knowledge):
            continue
        if period is not None and not _same_period(f, period):
            continue
        s = _score(f, frame)
        if s > best_score:
            best, best_score = f, s
    return best


def _asks_percent(frame: Frame) -> bool:
    return bool(re.search(r"%|percent|points?\b|\bshares? of\b|\bmargin", frame.question, re.I))


def _pair(frame: Frame, facts: list[Fact], knowledge: CorpusKnowledge) -> tuple[Fact, Fact, str | None, str | None] | None:
    """Two figures of one measure that the question compares: across two periods (earlier first) or two names
    (in the question's order)."""
    want_pct = _asks_percent(frame) and "pct_change" not in frame.intents
    pool = [f for f in facts if (f.kind in ("percent", "points", "bp")) == want_pct
            and (want_pct or not (frame.unit and f.unit) or _unit_fits(f.unit, frame.unit))]
    if frame.unit and not want_pct and not _COUNT_NOUN.fullmatch(frame.unit):
        # 'in tonnes' asks for figures stated in tonnes, where there are any ('passengers' may be a row's series
        # with no unit)
        pool = [f for f in pool if f.unit and _unit_fits(f.unit, frame.unit)] or pool
    names = [n for n in frame.names if any(_about(f, n, knowledge) for f in pool)]
    count = {n: sum(_about(f, n, knowledge) for f in pool) for n in names}
    periods = sorted(frame.periods, key=sort_key)
    candidates: list[tuple[float, Fact, Fact, str | None, str | None]] = []
    if len(periods) >= 2:
        def of(f, name):  # a figure of that name's, or one whose sentence names no one ('Barley volumes for H1
            # 2025 were ...' in the name's own press release); the named ones first
            return name is None or _about(f, name, knowledge) or not _names_of(f, frame)

        for name in names or [None]:
            for a in [f for f in pool if _same_period(f, periods[0]) and of(f, name)]:
                for b in [f for f in pool if _same_period(f, periods[-1]) and f is not a and f.unit == a.unit
                          and of(f, name)]:
                    if a.entity and b.entity and a.entity != b.entity:
                        continue
                    same_series = 1.0 if a.series and a.series == b.series else 0.0
                    named = 0.5 * sum(name is not None and _about(f, name, knowledge) for f in (a, b))
                    candidates.append((same_series + _score(a, frame) + _score(b, frame) + (1 if name else 0) + named,
                                       a, b, name, name))
    elif len(names) >= 2:
        period = periods[0] if periods else None
        for i, na in enumerate(names):
            for nb in names[i + 1:]:
                for a in [f for f in pool if _about(f, na, knowledge) and not _about(f, nb, knowledge)
                          and (period is None or _same_period(f, period))]:
                    for b in [f for f in pool if _about(f, nb, knowledge) and not _about(f, na, knowledge)
                              and f is not a and f.unit == a.unit and (period is None or _same_period(f, period))]:
                        if a.periods and b.periods and not any(overlaps(x, y) for x in a.periods for y in b.periods):
                            continue
                        same_series = 1.0 if a.series and a.series == b.series else 0.0
                        specific = 1 / (1 + count[na]) + 1 / (1 + count[nb])  # 'Round 5' over 'Varland'
                        candidates.append((same_series + _score(a, frame) + _score(b, frame) - 0.1 * i + specific,
                                           a, b, na, nb))
    if not candidates:
        return None
    return max(candidates, key=lambda c: c[0])[1:]


def _rarest(names: list[str], facts: list[Fact], knowledge: CorpusKnowledge) -> list[str]:
    """Names ordered from the most specific (stated with the fewest figures) to the least."""
    return sorted(names, key=lambda n: sum(_about(f, n, knowledge) for f in facts) or 10 ** 6)


@dataclass
class Plan:
    name: str
    args: dict[str, float]
    inputs: dict[str, Fact]
    who: dict[str, str] = field(default_factory=dict)  # the question's name each input is for


def rules_plans(frame: Frame, facts: list[Fact], knowledge: CorpusKnowledge) -> list[Plan]:
    """The calculations the question asks for, planned from the figures the sources state; [] where none fits."""
    if not frame.intents:
        return []
    intent = frame.intents[0]
    plans: list[Plan] = []
    if frame.per[0]:
        plan = _per_plan(frame, facts, knowledge)
        return [plan] if plan is not None else []
    if intent == "rank":
        return _rank_plans(frame, facts, knowledge)
    if intent == "pct_change" and len(frame.names) >= 2 and len(frame.periods) >= 2:
        # each party's own change over the asked periods ('whose revenue grew faster, A's or B's?')
        for name in frame.names:
            got = _pair(replace(frame, names=[name]), facts, knowledge)
            if got is not None and got[0].kind not in ("percent", "points", "bp") and _about(got[0], name, knowledge):
                a, b, wa, wb = got
                plans.append(Plan("pct_change", {"old": a.value, "new": b.value}, {"old": a, "new": b},
                                  {"old": name, "new": name}))
        return plans if len(plans) >= 2 else []
    if intent in ("difference", "ratio", "add", "pct_change"):
        got = _pair(frame, facts, knowledge)
        if got is None:
            return []
        a, b, wa, wb = got
        over_time = len(frame.periods) >= 2
        for name in frame.intents:
            if name == "pct_change":
                if a.kind in ("percent", "points", "bp"):
                    continue
                plans.append(Plan(name, {"old": a.value, "new": b.value}, {"old": a, "new": b},
                                  {"old": wa, "new": wb}))
            elif over_time and name == "difference":
                plans.append(Plan(name, {"a": b.value, "b": a.value}, {"a": b, "b": a}, {"a": wb, "b": wa}))
            else:
                plans.append(Plan(name, {"a": a.value, "b": b.value}, {"a": a, "b": b}, {"a": wa, "b": wb}))
    elif intent == "share":
        period = frame.periods[0] if frame.periods else None
        plan = _parts_plan(frame, facts, knowledge)
        if plan is not None:
            return [plan]
        for name in _rarest(frame.names, facts, knowledge):
            part = _pick([f for f in facts if not f.is_total], frame, name, period, knowledge)
            if part is None:
                continue
            totals = [f for f in facts if f.is_total and f.unit == part.unit and f is not part
                      and (not part.series or f.series == part.series)
                      and (not part.periods or any(_same_period(f, p) for p in part.periods))]
            if not totals:
                # a figure in prose that says it is a whole ('in total'), or that names the whole the question names
                # ('share of all passengers carried by Halvorian-licensed airlines': 'Airlines holding a Halvorian
                # licence carried 5.84 million passengers')
                whole = _WHOLE.search(frame.question)
                wanted = [w for w in re.findall(r"[a-z]{3,}", whole.group(1).lower()) if w not in _STOP] \
                    if whole else []
                totals = [f for f in facts if f is not part and _same_unit(f.unit, part.unit) and f.value > part.value
                          and (re.search(r"\b(?:total|overall|all|in all|combined|worldwide)\b", f.about, re.I)
                               or (len(wanted) >= 2 and _word_overlap(tuple(wanted), f.about) >= 0.6))
                          and (period is None or _same_period(f, period))]
            if totals:
                total = max(totals, key=lambda f: _score(f, frame))
                plans.append(Plan("share", {"part": part.value, "total": total.value}, {"part": part, "total": total},
                                  {"part": name}))
                break
    elif intent == "total":
        plan = _total_plan(frame, facts, knowledge)
        if plan is not None:
            plans.append(plan)
    elif intent == "implied_prior":
        wanted = [abs(p) for p in frame.premise]
        for name in _rarest(frame.names, facts, knowledge) or [None]:
            # the name's figures, or one whose sentence names no one ('The airline carried 612,000 passengers in
            # October 2025, an increase of 11.5%' in the name's own press release)
            mine = [f for f in facts if name is None or _about(f, name, knowledge) or not _names_of(f, frame)]
            # a level stated for the asked earlier period, or within it ('August 2024' for 'June-August 2024'), is
            # no current value ('before March 2025' names the current period, not the earlier one)
            prior = min(frame.periods, key=sort_key) if frame.periods and not re.search(
                r"\b(?:before|prior to|ahead of)\b", frame.question, re.I) else None
            levels = [f for f in mine if f.kind not in ("percent", "points", "bp")
                      and (not frame.unit or _unit_fits(f.unit, frame.unit))
                      and not (prior and any(overlaps(fp, prior) for fp in f.periods))]
            pct_fact = next((p for p in mine if p.kind == "percent" and (not wanted or abs(p.value) in wanted)), None)
            if not levels or (not wanted and pct_fact is None):
                continue
            # the level stated with the change ('rose 8% to $4,200'), else the best match outside the asked period
            changes = [p for p in mine if p.kind == "percent" and (not wanted or abs(p.value) in wanted)]
            with_change = [f for f in levels if any(f.n == p.n and (
                f.sentence == p.sentence if not f.entity else f.periods == p.periods) for p in changes)]
            others = [f for f in levels if not any(_same_period(f, p) for p in frame.periods)
                      and (name is not None or _word_overlap(frame.words, f.about) > 0)]
            if not (with_change or others):
                continue
            current = max(with_change or others, key=lambda f: _score(f, frame))
            pct = signed_change(frame.question, wanted[0] if wanted else pct_fact.value)
            inputs = {"current": current} | ({"pct": pct_fact} if pct_fact is not None else {})
            plans.append(Plan("implied_prior", {"current": current.value, "pct": pct}, inputs,
                              {"current": name, "pct": name}))
            break
    elif intent == "part_of":
        for name in _rarest(frame.names, facts, knowledge):
            pct = next((f for f in facts if f.kind == "percent" and _about(f, name, knowledge)), None)
            if pct is None:
                continue
            totals = [f for f in facts if f.kind == "money" and (f.is_total or not _about(f, name, knowledge))
                      and (not pct.periods or not f.periods or any(overlaps(x, y) for x in f.periods
                                                                  for y in pct.periods))]
            if totals:
                total = max(totals, key=lambda f: _score(f, frame))
                plans.append(Plan("part_of", {"total": total.value, "pct": pct.value}, {"total": total, "pct": pct},
                                  {"pct": name}))
                break
    return plans


_CHANGE_VERB = re.compile(r"\b(?:ris(?:e|es|ing|en)|rose|increas\w*|gr[eo]w\w*|fall(?:s|ing|en)?|fell|drop\w*|"
                          r"declin\w*|rais\w*|climb\w*|jump\w*|reduc\w*|lower\w*|cut|improv\w*|widen\w*|"
                          r"narrow\w*|went|moved?|chang\w*)\b", re.I)


def _levels(sentence: str) -> list[tuple[Number, Number]]:
    """The (old, new) levels of a change a sentence gives as 'from X to Y' or 'to Y from X'."""
    nums = [n for n in extract_numbers(sentence, words=True) if n.kind not in ("year", "date")]
    out = []
    for x, y in zip(nums, nums[1:]):
        if x.kind != y.kind or x.unit != y.unit:
            continue
        before_x, before_y = sentence[:x.start], sentence[:y.start]
        if re.search(r"\bfrom\s*$", before_x, re.I) and re.search(r"\bto\s*$", before_y, re.I):
            out.append((x, y))
        elif re.search(r"\bto\s*$", before_x, re.I) and re.search(r"\bfrom\s*$", before_y, re.I):
            out.append((y, x))
    return out


def _move_plans(frame: Frame, facts: list[Fact], wanted: list[str]) -> list[Plan]:
    """A change the source gives as two levels of one thing ('will rise from €2,400 to €2,950', 'fell to 0.21%
    from 0.34%'), in the sentence that best fits the question's words: the difference, and the percentage change
    where the question asks for one."""
    best, best_fit = None, 0.34
    for sentence in dict.fromkeys(f.sentence for f in facts if f.sentence):
        if not _CHANGE_VERB.search(sentence):
            continue
        for old, new in _levels(sentence):
            fit = _word_overlap(frame.words, sentence)
            if fit > best_fit:
                best, best_fit = (sentence, old, new), fit
    if best is None:
        return []
    sentence, old, new = best
    stated = [f for f in facts if f.sentence == sentence]
    a = next((f for f in stated if numbers_match(f.value, old.value, f.kind)), None)
    b = next((f for f in stated if numbers_match(f.value, new.value, f.kind)), None)
    if a is None or b is None or a is b:
        return []
    # the two levels are of the asked periods, where the sentence dates them: a change of charge points from end-2023
    # to end-2024 does not answer for January-September 2025 against 2024
    asked = sorted(frame.periods, key=sort_key)

    def fits(fact: Fact, period: str) -> bool:
        return not fact.periods or any(overlaps(fp, period) for fp in fact.periods if not fp.startswith("*"))

    if asked and not fits(b, asked[-1]) or len(asked) >= 2 and not fits(a, asked[0]):
        return []
    plans = []
    if "difference" in wanted:
        plans.append(Plan("difference", {"a": b.value, "b": a.value}, {"a": b, "b": a}, {"a": "to", "b": "from"}))
    if ("pct_change" in wanted or _asks_percent(frame)) and a.kind not in ("percent", "points", "bp"):
        plans.append(Plan("pct_change", {"old": a.value, "new": b.value}, {"old": a, "new": b},
                          {"old": "from", "new": "to"}))
    return plans


def _total_plan(frame: Frame, facts: list[Fact], knowledge: CorpusKnowledge) -> Plan | None:
    """One figure of one measure for each period of the asked stretch (each stated for exactly that period), for
    the question's most specific name; None unless every period has one."""
    parts = expand(frame.span)
    if len(parts) < 2:
        return None
    for name in _rarest(frame.names, facts, knowledge) or [None]:
        picked: list[Fact] = []
        for part in parts:
            pool = [f for f in facts if any(within(fp, part) and within(part, fp) for fp in f.periods)
                    and (not picked or (f.unit == picked[0].unit and f.series == picked[0].series))]
            fact = _pick(pool, frame, name, part, knowledge, exclude=tuple(picked))
            if fact is None:
                break
            picked.append(fact)
        if len(picked) == len(parts):
            keys = [f"x{i + 1}" for i in range(len(picked))]
            return Plan("total", {k: f.value for k, f in zip(keys, picked)}, dict(zip(keys, picked)),
                        {k: name for k in keys})
    return None


#: A change asked about in words other than growth: 'the biggest gain', 'the largest increase'.
_GAIN = re.compile(r"\b(?:gain|gains|increase|increased|rise|rose|improvement|improved|decline|declined|drop|dropped|"
                   r"fall|fell)\b", re.I)


#: A ranking of periods: 'in which month of 2025', 'which quarter'.
_WHICH_PERIOD = re.compile(r"\b(?:which|what)\s+(?:calendar\s+)?(?:month|quarter|half|week|year)\b", re.I)


def _earlier(plan: Plan) -> Fact:
    return plan.inputs["old"] if plan.name == "pct_change" else plan.inputs["b"]


def _growth(plan: Plan) -> float:
    """A change planned for a ranking: relative for a level, in points for a rate."""
    if plan.name == "pct_change":
        return (plan.args["new"] - plan.args["old"]) / abs(plan.args["old"])
    return plan.args["a"] - plan.args["b"]


def _stated_ends(span: str, facts: list[Fact]) -> list[str] | None:
    """The first and last period of a stretch ('2025-04..2025-09'), where some figure states each; else None."""
    ends = span.split("..")
    if len(ends) == 2 and all(any(_same_period(f, end) for f in facts) for end in ends):
        return ends
    return None


def _rank_plans(frame: Frame, facts: list[Fact], knowledge: CorpusKnowledge) -> list[Plan]:
    """'Which ... had the highest (lowest) X?': one figure of the best-fitting measure per party (a table row's
    entity, or a table line's label), of the asked period, ranked; a change asked about ranks the stated changes."""
    def who(f: Fact) -> str:
        if f.entity:
            return f.entity
        label = _ROW_LABEL.match(f.sentence)
        return label.group(1).strip() if label else (f.names[0] if f.names else "")

    change = bool(_CHANGE_ASKED.search(frame.question))
    want_pct = change or _asks_percent(frame)
    gain = bool(_GROWTH_RATE.search(frame.question) or _GAIN.search(frame.question))
    if gain and len(frame.periods) == 1 and re.fullmatch(r"\d{4}", frame.periods[0]) and any(
            _same_period(f, str(int(frame.periods[0]) - 1)) for f in facts if f.entity or _row_label(f)):
        # 'the biggest increase in 2026', where the rows state 2025 and 2026: the change over the year before
        frame = replace(frame, periods=[str(int(frame.periods[0]) - 1), frame.periods[0]])
    elif gain and len(frame.periods) == 1 and (
            ends := _stated_ends(frame.periods[0], [f for f in facts if f.entity or _row_label(f)])):
        # 'which grew fastest between April and September', rows stating each month: the change from the first
        # month to the last
        frame = replace(frame, periods=ends)
    if len(frame.periods) >= 2 and gain:
        # 'which grew fastest from 2023 to 2024?': each party's change over the two periods, by code; the fastest
        # first ('slowest': the slowest first). A percent measure ('the biggest gain in occupancy') changes in
        # points: the difference of its two rates. A party is a typed row's entity, or the label a document
        # table's line opens with
        # (a document table's lines that state their change are ranked by it, below)
        stated = any(_row_label(f) and f.kind in ("percent", "points") for f in facts if not f.entity)
        parties = dict.fromkeys(who(f) for f in facts if (f.entity or (_row_label(f) and not stated)) and not f.is_total
                                and not knowledge.is_total(who(f)) and not _TOTAL_WORDS.match(who(f)))
        changes = []
        for party in list(parties)[:12]:
            own = [f for f in facts if who(f) == party and (f.entity or (_row_label(f) and not stated))]
            # a level's two figures, or a rate's: whichever measure the question's words name better
            pairs = [p for p in (_pair(replace(frame, names=[party], intents=["pct_change"]), own, knowledge), _pair(
                replace(frame, names=[party], intents=["difference"], question=f"{frame.question} (in points)"), own,
                knowledge)) if p is not None]
            got = max(pairs, key=lambda p: _score(p[0], frame) + _score(p[1], frame), default=None)
            if got is None or not got[0].value:
                continue
            a, b, _wa, _wb = got
            if a.kind == "percent" and b.kind == "percent":
                changes.append(Plan("difference", {"a": b.value, "b": a.value}, {"a": b, "b": a},
                                    {"a": party, "b": party}))
            elif a.kind not in ("percent", "points", "bp"):
                changes.append(Plan("pct_change", {"old": a.value, "new": b.value}, {"old": a, "new": b},
                                    {"old": party, "new": party}))
        kind = Counter(plan.name for plan in changes).most_common(1)
        changes = [plan for plan in changes if kind and plan.name == kind[0][0]]
        measure = Counter(_earlier(plan).series for plan in changes).most_common(1)
        changes = [plan for plan in changes if measure and _earlier(plan).series == measure[0][0]]
        if len(changes) >= 2:
            return sorted(changes, key=_growth, reverse=not _LOW.search(frame.question))
    pool = [f for f in facts if not f.is_total and not knowledge.is_total(who(f)) and who(f)
            and not _TOTAL_WORDS.match(who(f)) and (f.kind in ("percent", "points", "bp")) == want_pct]
    if frame.periods:  # of the asked period (a stated change may give none of its own); 'which month of 2025':
        # the parties are the periods within it
        within_asked = _WHICH_PERIOD.search(frame.question) is not None
        pool = [f for f in pool if any(_same_period(f, p) or (within_asked and any(within(fp, p) for fp in f.periods))
                                       for p in frame.periods) or (change and not f.periods)]
    groups: dict[str, list[Fact]] = {}
    for f in pool:  # one measure: a row's series, or the words a table line's figure stands beside
        party = set(re.findall(r"[a-z]+", who(f).lower()))
        key = f.series or " ".join(w for w in re.findall(r"[a-z]+", f.about.lower())
                                   if w not in _STOP and w not in party)[:60]
        groups.setdefault(key, []).append(f)
    best_group, best_score = None, 0.0
    for key, group in groups.items():
        parties = {who(f) for f in group}
        if len(parties) < 2:
            continue
        score = sum(_score(f, frame) for f in group) / len(group) + 0.01 * len(parties)
        if score > best_score:
            best_group, best_score = group, score
    if best_group is None:
        return []
    picked: dict[str, Fact] = {}
    for f in sorted(best_group, key=lambda f: -_score(f, frame)):
        picked.setdefault(who(f), f)
    keys = [f"x{i + 1}" for i in range(len(picked))]
    inputs = dict(zip(keys, picked.values()))
    who_of = {k: who(f) for k, f in inputs.items()}
    args = {k: f.value for k, f in inputs.items()}
    tools = [t for t, pattern in (("highest", _HIGH), ("lowest", _LOW)) if pattern.search(frame.question)]
    return [Plan(t, args, inputs, who_of) for t in tools or ["highest"]]


def _row_label(fact: Fact) -> str:
    """The label a document table's line opens with ('EBITDA: Q2 2025 was ...'), or ''."""
    m = _ROW_LABEL.match(fact.sentence.lstrip("#*- "))
    return m.group(1) if m else ""


def _of_measure(facts: list[Fact], frame: Frame, side: int) -> list[Fact]:
    """The figures of one side of a rate: of a series named by its word, or stated in it as a unit; where the
    question names the measure by its unit too, of that unit and named by that word."""
    word, unit = frame.per[side], frame.per_units[side]
    stems = {w[:5] for w in (_REVENUE if word in _REVENUE else (word,))}

    def named(f: Fact) -> bool:
        return any(w[:5] in stems for w in re.findall(r"[a-z]+", f"{f.series} {f.about} {_row_label(f)} {f.unit}"
                                                       .lower().replace("_", " ")))

    out = [f for f in facts if f.kind not in ("percent", "points", "bp")]
    if unit:
        return [f for f in out if f.unit and _unit_fits(f.unit, unit) and named(f)]
    unit = UNITS.get(word, "")
    return [f for f in out if (unit and f.unit and _unit_fits(f.unit, unit)) or named(f)]


def _per_plan(frame: Frame, facts: list[Fact], knowledge: CorpusKnowledge) -> Plan | None:
    """One party's rate: the figure of the measure before 'per' over the figure of the one after it, both for the
    question's name and period (passengers per flight = passengers / flights)."""
    period = frame.periods[0] if frame.periods else None
    loose = replace(frame, unit="")  # 'how many passengers' asks no unit of the flights
    tries = [(n, facts) for n in frame.names or [None]]
    # a party's own report states its figures naming no one ('EBITDA: Q2 2025 was ...' in Halvard's interim report)
    tries += [(None, [f for f in facts if _mentions(f.subject, n, knowledge)]) for n in frame.names]
    for name, pool in tries:
        top = _pick([f for f in _of_measure(facts, frame, 0) if f in pool], loose, name, period, knowledge)
        bottom = _pick([f for f in _of_measure(facts, frame, 1) if f in pool], loose, name, period, knowledge,
                       exclude=(top,))
        if top is None or bottom is None or top.periods != bottom.periods and top.entity and bottom.entity:
            continue
        if frame.intents == ["share"]:  # a margin: the measure as a percentage of revenue, in one unit
            if not _same_unit(top.unit, bottom.unit) or abs(top.value) > abs(bottom.value):
                continue
            return Plan("share", {"part": top.value, "total": bottom.value}, {"part": top, "total": bottom},
                        {"part": name, "total": name})
        return Plan("ratio", {"a": top.value, "b": bottom.value}, {"a": top, "b": bottom}, {"a": name, "b": name})
    return None


_TOGETHER = re.compile(r"\b(?:together|combined|between (?:them|the (?:two|three|four))|"
                       r"of (?:both|the (?:two|three|four)))\b", re.I)


def _parts_plan(frame: Frame, facts: list[Fact], knowledge: CorpusKnowledge) -> Plan | None:
    """A share of named parts taken together ('Taking A and B together, what share did A handle?'): the part is the
    name the question repeats; one figure of one series and period for each name."""
    names = list(dict.fromkeys(frame.names))
    if len(names) < 2 or not _TOGETHER.search(frame.question):
        return None
    count = {n: frame.names.count(n) for n in names}
    ranked = sorted(names, key=lambda n: -count[n])
    if count[ranked[0]] == count[ranked[1]]:
        return None  # which one is the part is not clear
    period = frame.periods[0] if frame.periods else None
    part = _pick([f for f in facts if not f.is_total], frame, ranked[0], period, knowledge)
    if part is None:
        return None
    picked = [part]
    for name in ranked[1:]:
        pool = [f for f in facts if not f.is_total and f.unit == part.unit and f.series == part.series
                and f.periods == part.periods]
        fact = _pick(pool, frame, name, period, knowledge, exclude=tuple(picked))
        if fact is None or _about(fact, ranked[0], knowledge):
            return None
        picked.append(fact)
    keys = [f"x{i + 1}" for i in range(len(picked))]
    return Plan("share_of_parts", {k: f.value for k, f in zip(keys, picked)}, dict(zip(keys, picked)),
                dict(zip(keys, ranked)))


def signed_change(question: str, pct: float) -> float:
    """The sign of a percent change as the question words it: 'the 11% decline' is -11, 'the 35% rise' is +35."""
    fall, rise = bool(_FALL.search(question)), bool(_RISE.search(question))
    if fall and not rise:
        return -abs(pct)
    if rise and not fall:
        return abs(pct)
    return pct


def _locate(value: float, facts: list[Fact]) -> list[Fact]:
    return [f for f in facts if f.value == value or (is_signed_kind(f.kind) and abs(f.value) == abs(value))]


def validate(name: str, args: dict[str, float], frame: Frame, facts: list[Fact],
             knowledge: CorpusKnowledge) -> dict[str, Fact]:
    """Raise ToolInputError unless the call is sound: the right tool, every input stated in a numbered source for
    the question's names and periods, inputs in one unit; return the fact each input came from."""
    if frame.intents and name not in frame.intents:
        raise ToolInputError(f"{name} does not answer a {' and '.join(frame.intents)} question")
    tool = TOOLS[name]
    inputs: dict[str, Fact] = {}
    for arg in (list(args) if tool.variadic else tool.args):
        found = [f for f in _locate(args[arg], facts) if f not in inputs.values()]
        if not found:
            if arg == "pct" and abs(args[arg]) in [abs(p) for p in frame.premise]:
                continue  # a premise the question states ('given the 35% rise')
            raise ToolInputError(f"input {arg}={args[arg]:g} is not stated in any numbered source")
        fitting = [f for f in found if _fits(f, frame, knowledge, name)]
        if not fitting:
            f = found[0]
            where = f.label()
            raise ToolInputError(f"input {arg}={args[arg]:g} is stated for {where}, not for what the question asks")
        side = {"a": 0, "b": 1}.get(arg) if name == "ratio" and frame.per[0] else None
        if side is not None:  # a rate's input is a figure of its own measure ('tonnes of green coffee bought',
            # not the tonnes of roasted coffee shipped)
            fitting = [f for f in fitting if f in _of_measure(facts, frame, side)]
            if not fitting:
                raise ToolInputError(f"input {arg}={args[arg]:g} is not a figure of {frame.per[side]}")
        inputs[arg] = fitting[0]
    levels = [f for a, f in inputs.items() if a not in ("pct",)]
    asked = list(dict.fromkeys(frame.periods))
    if name in ("pct_change", "difference") and len(asked) == 2 and len(levels) == 2:
        # a change between two asked periods takes one figure stated for each ('January-August 2025 on the same
        # period of 2024' is not July's and August's figures, which only lie within them)
        own = [[q for q in asked if _same_period(f, q)] for f in levels]
        if not (own[0] and own[1] and set(own[0]) | set(own[1]) == set(asked)):
            f = levels[0] if not own[0] else levels[1]
            raise ToolInputError(f"input {f.label()} is not stated for "
                                 f"{' or '.join(format_period(q) for q in asked)}")
    if len({f.unit for f in levels}) > 1 and name in ("difference", "ratio", "add", "pct_change", "share", "total"):
        raise ToolInputError("the inputs are in different units: " + ", ".join(f.unit or "none" for f in levels))
    if name == "share" and abs(args["part"]) > abs(args["total"]):
        raise ToolInputError("part is larger than total")
    if name in ("implied_prior", "part_of"):
        pct = inputs.get("pct")
        if pct is not None and pct.kind != "percent":
            raise ToolInputError(f"pct={args['pct']:g} is stated as {pct.unit or 'a plain number'}, not a percentage")
        base = inputs.get("current" if name == "implied_prior" else "total")
        if base is not None and base.kind in ("percent", "points", "bp"):
            raise ToolInputError("the base value is a percentage, not a level")
    run_tool(name, args)  # raises on undefined arithmetic
    return inputs


def _names_of(fact: Fact, frame: Frame) -> list[str]:
    """The names a figure is stated for: its row's entity, or the names in its clause. 'Barley volumes for H1 2025
    were ...': a capitalised sentence opening that the question writes in lower case ('barley volumes') is a
    common noun, not a name."""
    if fact.entity:
        return [fact.entity]
    return names_not_lowered(named_entities(fact.about), frame.question)


def names_not_lowered(names: list[str], text: str) -> list[str]:
    """``names`` less the one-word ones that ``text`` writes in lower case: a capitalised sentence opening
    ('Revenue for 2024 was ...') is a common noun where the question or claim says 'revenue'."""
    return [n for n in names if " " in n or not re.search(rf"\b{re.escape(n.lower())}\b", text)]


def _fits(fact: Fact, frame: Frame, knowledge: CorpusKnowledge, tool: str) -> bool:
    """Is the figure about what the question asks: one of its names, one of its periods (where both say one)?"""
    if frame.periods and fact.periods and tool not in ("implied_prior",):
        if not any(overlaps(fp, qp) for fp in fact.periods for qp in frame.periods):
            return False
    names = [n for n in frame.names if any(_about(f, n, knowledge) for f in [fact])]
    if frame.names and _names_of(fact, frame) and not names and not fact.is_total:
        return False
    return True


def propose_with_model(llm, frame: Frame, facts: list[Fact], retry_reason: str | None = None,
                       previous: dict | None = None, max_tokens: int = 80) -> tuple[str, dict[str, float]] | None:
    """The model's choice of tool and inputs, as JSON-schema constrained output; None when it offers none."""
    from prompts import render

    lines = [f"[{f.n}] {f.label()} ({f.about[:120]})" for f in facts if f.kind != "year"][:16]
    if not lines:
        return None
    messages = [{"role": "system", "content": render("TOOL_SYSTEM")},
                {"role": "user", "content": render("TOOL_USER", facts="\n".join(lines), question=frame.question)}]
    if retry_reason and previous is not None:
        messages += [{"role": "assistant", "content": json.dumps(previous)},
                     {"role": "user", "content": render("TOOL_RETRY", reason=retry_reason)}]
    try:
        reply = llm.chat(messages, max_tokens=max_tokens, json_schema=tool_call_schema())
        data = json.loads(reply.text)
    except LLMUnavailable:
        raise
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("tool") not in TOOLS:
        return None
    tool = TOOLS[data["tool"]]
    try:
        return tool.name, {a: float(data[a]) for a in tool.args}
    except (KeyError, TypeError, ValueError):
        return None


def _unit_of(name: str, inputs: dict[str, Fact]) -> str:
    tool = TOOLS[name]
    if tool.result_unit == "%":
        return "%"
    if tool.result_unit == "ratio":
        return "x"
    first = inputs.get(tool.args[0]) if tool.args else next(iter(inputs.values()), None)
    if first is None:
        return ""
    if name == "difference" and first.kind == "percent":
        return "pp"
    return first.unit


def make_call(name: str, args: dict[str, float], inputs: dict[str, Fact], chosen_by: str,
              who: dict[str, str | None] | None = None) -> ToolCall:
    result = run_tool(name, args)
    if name in ("implied_prior", "part_of") and abs(result) >= 1e6:  # a level estimated from a rate, shown in
        result = float(f"{result:.4g}")  # millions: four significant figures ('€53.5 million', not '€53.496209 million')
    unit = _unit_of(name, inputs)
    top, bottom = inputs.get("a"), inputs.get("b")
    if name == "ratio" and top and bottom and top.unit and top.unit != bottom.unit and not _is_currency(top.unit) \
            and re.fullmatch(r"[kMGT]?(?:Wh|W)", top.unit):
        # a rate of two measures ('92.4 GWh' over '3.86 million' sessions): the top's unit for each one of the
        # bottom, at the prefix that reads best (23.94 kWh), not a multiple
        result, unit = rescale(result, top.unit)
        unit = f"{unit}/{bottom.unit}" if bottom.unit else unit
    elif name == "ratio" and top and bottom and _is_currency(top.unit) and "/" not in top.unit and \
            re.fullmatch(r"[A-Za-z]{1,4}", bottom.unit or "") and not bottom.unit.endswith("s") and \
            bottom.unit != top.unit:
        unit = f"{top.unit}/{bottom.unit}"  # money over a measure: a price per its unit ('TVC 33,680/t')
    rate = name == "ratio" and unit != "x"

    def shown(arg: str, value: float) -> str:
        """An input as a person reads it: money and large figures with their unit and scale word."""
        fact = inputs.get(arg)
        if arg == "pct" or fact is None or fact.kind in ("percent", "points", "bp"):
            return f"{value:,.10g}"
        return format_number(value, fact.unit) if (fact.kind == "money" or abs(value) >= 1e6) else f"{value:,.10g}"

    fmt = {a: shown(a, v) for a, v in args.items()}
    fmt["terms"] = " + ".join(fmt[a] for a in args)
    if name in ("highest", "lowest"):  # each figure with its party, and the result names the party
        parties = who or {}
        fmt["terms"] = ", ".join(f"{parties.get(a) or a} {fmt[a]}" for a in args)
    fmt["result"] = (format_number(result, unit) if unit not in ("%", "pp", "bp", "x", "") and
                     (_is_currency(unit) or abs(result) >= 1e6 or rate) else
                     f"{result:,.4g}" if abs(result) < 1000 else f"{result:,.2f}".rstrip("0").rstrip("."))
    if name in ("highest", "lowest"):
        top = next(a for a, v in args.items() if v == result)
        fmt["result"] = f"{(who or {}).get(top) or top} ({fmt[top]}{'%' if unit == '%' else ''})"
    return ToolCall(name=name, args=args, result=result, formula=TOOLS[name].formula.format(**fmt), unit=unit,
                    cites=sorted({f.n for f in inputs.values()}),
                    labels={a: f.label((who or {}).get(a)) for a, f in inputs.items()}, chosen_by=chosen_by)


def _rank_of_changes(frame: Frame, plans: list[Plan], calls: list[ToolCall], first_n: int) -> ToolCall:
    """The fastest (slowest) of the parties' computed changes, citing the calculations (numbered after the
    ``first_n`` sources, in order)."""
    points = plans[0].name == "difference"  # changes of a rate, in percentage points
    inputs = {f"x{i + 1}": Fact(value=round(call.result, 2), unit="pp" if points else "%",
                                kind="points" if points else "percent", n=first_n + i,
                                about=f"change of {_earlier(plan).about}", entity=_earlier(plan).entity or
                                (plan.who.get("old") or plan.who.get("b") or ""))
              for i, (plan, call) in enumerate(zip(plans, calls))}
    tool = "lowest" if _LOW.search(frame.question) else "highest"
    return make_call(tool, {k: f.value for k, f in inputs.items()}, inputs, "rules",
                     {k: f.entity for k, f in inputs.items()})


@dataclass
class ComputeResult:
    calls: list[ToolCall] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    model_called: bool = False
    stated: Fact | None = None  # the figure asked for, stated by a source: nothing to calculate


def stated_share(frame: Frame, facts: list[Fact], knowledge: CorpusKnowledge) -> Fact | None:
    """A share or margin asked for that a source states as a percentage, for the asked party and period ('Export
    sales made up 31% of revenue in H1 2025' for 'what share of X's revenue came from exports in H1 2025?'). The
    stating clause has at least half the question's words that are neither its names nor its periods, and a
    margin's own word ('gross margin')."""
    if frame.intents != ["share"] or len(frame.periods) > 1:
        return None
    text = frame.question
    for p in find_periods(text):
        text = text.replace(p.text, " ")
    named = {w for n in frame.names for w in re.findall(r"[a-z][a-z-]+", n.lower())}
    words = [w[:5] for w in dict.fromkeys(re.findall(r"[a-z][a-z-]+", text.lower()))
             if w in frame.words and w not in named]
    need = {frame.per[0][:5], "margi"} if frame.per[0] else set()
    if not words:
        return None
    for f in facts:
        # a figure with no period of its own ('Gross margin was 17.8%' in a half-year report) is the audit's to date
        if f.kind != "percent" or frame.periods and f.periods and not _same_period(f, frame.periods[0]):
            continue
        # a measure the question names too is no party ('an EBITDA margin of 16.4%' is about the report's company)
        measures = [m for m in named_entities(f.sentence, proper_only=True) if m.lower() in frame.words]
        unnamed = re.compile("|".join(rf"\b{re.escape(m)}\b" for m in measures) or r"(?!)")
        bare = replace(f, about=unnamed.sub(" ", f.about), sentence=unnamed.sub(" ", f.sentence))
        if any(not _about(bare, n, knowledge) for n in frame.names):
            continue
        have = {x[:5] for x in re.findall(r"[a-z][a-z-]+", f"{f.about} {f.series} {f.entity}".lower())}
        if need <= have and 2 * sum(w in have for w in words) >= len(words):
            return f
    return None


def compute(question: str, sources: list[Citation], llm, knowledge: CorpusKnowledge | None = None,
            default_year: str | None = None, known: frozenset[str] = frozenset()) -> ComputeResult:
    """The calculations a question asks for, checked against the sources before they are run."""
    knowledge = knowledge or CorpusKnowledge()
    frame = read_question(question, default_year, known)
    out = ComputeResult()
    if not frame.intents and not frame.moved:
        return out
    facts = source_facts(sources, knowledge)
    frame.weigh(facts)
    if not frame.intents:  # a change of one party: computed where a source gives its two levels, else stated
        plans = _move_plans(frame, facts, frame.moved)
    else:
        if set(frame.intents) & {"difference", "pct_change"} and len(frame.periods) == 1 and \
                (ends := _stated_ends(frame.periods[0], facts)) and \
                not any(_same_period(f, frame.periods[0]) for f in facts):
            # 'the change between August 2024 and August 2025', where the sources state each month and not the
            # stretch: a change from the first to the last
            frame = replace(frame, periods=ends, span="")
        plans = rules_plans(frame, facts, knowledge)
        if not plans and set(frame.intents) <= {"difference", "pct_change"}:
            plans = _move_plans(frame, facts, frame.intents)
    if plans or not frame.intents or frame.intents == ["rank"]:  # a ranking is planned by code only
        out.calls = [make_call(p.name, p.args, p.inputs, "rules", p.who) for p in plans]
        if frame.intents == ["rank"] and len(plans) >= 2 and (all(p.name == "pct_change" for p in plans) or all(
                p.name == "difference" for p in plans)):
            out.calls.append(_rank_of_changes(frame, plans, out.calls, len(sources)))
        return out
    out.stated = stated_share(frame, facts, knowledge)
    if out.stated is not None:
        return out  # the model quotes it; a proposal could only compute what is stated, or something else
    # no plan from the rules: the model proposes, the same checks decide; one retry with the reason
    previous, reason = None, None
    for _attempt in range(2):
        proposal = propose_with_model(llm, frame, facts, reason, previous)
        out.model_called = True
        if proposal is None:
            break
        name, args = proposal
        if name == "implied_prior" and frame.premise:
            args = dict(args, pct=signed_change(question, args["pct"]))
        try:
            inputs = validate(name, args, frame, facts, knowledge)
        except ToolInputError as exc:
            reason = str(exc)
            out.rejected.append(f"{name}({', '.join(f'{k}={v:g}' for k, v in args.items())}): {reason}")
            log.info("calculation rejected: %s", out.rejected[-1])
            previous = {"tool": name, **args}
            continue
        out.calls = [make_call(name, args, inputs, "model")]
        break
    return out


def calculation_citation(call: ToolCall, n: int) -> Citation:
    inputs = " and ".join(f"[{i}]" for i in call.cites) or "the question"
    result = format_number(call.result, call.unit)
    named = "; ".join(f"{arg} = {label}" for arg, label in call.labels.items())
    text = (f"Calculation ({call.name}): {call.formula}. Result: {result}. Inputs from {inputs}"
            + (f" ({named})" if named else "") + ".")
    return Citation(n=n, doc_id="calculation", kind="calculation", title=f"Calculation: {call.name}",
                    publisher="computed by the copilot", text=text)
