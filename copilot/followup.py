"""Follow-up questions made standalone from the conversation before retrieval.

'And in Q2?' after 'What was Acme's revenue in Q3 2025?' becomes 'What was Acme's revenue in Q2 2025?'. A new period or a new name replaces the one of the previous question; a question that leans on the
conversation in another way ('Why did it fall?') is rewritten by the model from the previous question, and if the
model gives nothing usable the two questions are joined.
"""

from __future__ import annotations

import re

from copilot.periods import find_periods, format_period, shift, year_of

_CONNECTIVE = re.compile(r"^\s*(?:and|but|also|then|so|what about|how about|and what about|same for|what of|"
                         r"and for|and in|or)\b", re.I)
_ANAPHORA = re.compile(r"\b(?:it|its|they|their|them|that|those|this|these|he|she|his|her|there|the same|"
                       r"the company|the firm|the country|the period)\b", re.I)


def is_followup(question: str, has_history: bool) -> bool:
    """Does the question lean on the conversation? Only with a conversation to lean on."""
    if not has_history:
        return False
    from copilot.compute import named_entities

    words = question.split()
    if _CONNECTIVE.match(question):
        return True
    if _ANAPHORA.search(question) and not named_entities(question) and not find_periods(question):
        return True
    return len(words) <= 3 and not named_entities(question)


_SAME_OF = re.compile(r"\b(?:the\s+)?same\s+(?:quarter|month|half(?:-year)?|period|time|season)\s+(?:of|in)\s+"
                      r"(?P<y>(?:19|20)\d{2})\b", re.I)
_YEAR_BACK = re.compile(r"\b(?:(?:a|one)\s+year\s+(?:earlier|before|ago|previously)|(?:the\s+)?(?:previous|prior|"
                        r"preceding)\s+year|last\s+year|the\s+year\s+before|year[-\s]on[-\s]year\s+base)\b", re.I)
_STEP_BACK = re.compile(r"\b(?:the\s+)?(?:previous|prior|preceding|last)\s+(?P<g>quarter|month|half)\b|"
                        r"\bthe\s+(?P<g2>quarter|month|half)\s+before\b", re.I)
_STEP_ON = re.compile(r"\b(?:the\s+)?(?:next|following|subsequent)\s+(?P<g>quarter|month|half|year)\b", re.I)


def relative_period(question: str, old: str) -> str | None:
    """The period a follow-up names relative to the previous question's (``old``, a code): 'the same quarter of
    2024', 'a year earlier', 'the previous quarter', 'the next month'. None when it names none."""
    if m := _SAME_OF.search(question):
        return shift(old, years=int(m.group("y")) - int(year_of(old) or m.group("y")))
    if _YEAR_BACK.search(question):
        return shift(old, years=-1)
    for pattern, sign in ((_STEP_BACK, -1), (_STEP_ON, 1)):
        if m := pattern.search(question):
            grain = (m.group("g") or m.groupdict().get("g2") or "").lower()
            own = {"quarter": "-Q", "half": "-H", "month": "-"}.get(grain)
            if grain == "year" or (own and own in old and (grain != "month" or re.search(r"-\d{2}$", old))):
                return shift(old, years=sign) if grain == "year" else shift(old, steps=sign)
    return None


def _put(text: str, start: int, end: int, period: str) -> str:
    """``text`` with a period in place of ``text[start:end]``; 'the third quarter of 2025' loses its 'the' to a
    period that takes none ('Q3 2024', '2024', 'October 2025')."""
    head = text[:start]
    if not re.match(r"(?i)(?:the\b|first|second|third|fourth|same|previous|last|next)", period):
        head = re.sub(r"(?i)\bthe\s+$", "", head)
    return head + period + text[end:]


def substitute(previous: str, question: str) -> str | None:
    """The previous question with the follow-up's new period or new name put in place; None if neither fits."""
    from copilot.compute import named_entities

    new_periods = find_periods(question)
    old_periods = find_periods(previous)
    out = previous
    changed = False
    moved = relative_period(question, old_periods[-1].code) if old_periods else None
    if moved:  # 'And in the same quarter of 2024?', 'What about a year earlier?'
        old_p = old_periods[-1]
        out = _put(out, old_p.start, old_p.end, format_period(moved))
        changed = True
        new_periods = []
    elif new_periods and old_periods:
        old = old_periods[-1] if len(new_periods) == 1 else None
        pairs = [(old, new_periods[0])] if old else list(zip(old_periods, new_periods))
        for old_p, new_p in sorted(pairs, key=lambda p: -p[0].start):
            text = new_p.text
            if new_p.code.startswith("*") or not year_of(new_p.code) or not re.search(r"\d{4}", new_p.text):
                year = year_of(old_p.code)
                if year and not re.search(r"\d{4}", text):
                    text = f"{text} {year}"
            out = _put(out, old_p.start, old_p.end, text)
            changed = True
    elif new_periods and not old_periods:
        out = out.rstrip(" ?") + f" in {new_periods[0].text}?"
        changed = True
    bare = question
    for p in find_periods(question):
        bare = bare.replace(p.text, " ")
    new_names = [n for n in named_entities(bare) if n.lower() not in previous.lower()]
    old_names = [n for n in named_entities(previous) if n.lower() not in question.lower()]
    # the source a question cites ('According to the Coffee Board, ...') is not the subject a follow-up swaps, nor
    # is a word capitalised only because it opens the question ('Avg price at Voltmark Energie ...')
    proper = set(named_entities(previous, proper_only=True))
    old_names.sort(key=lambda n: n not in proper)
    old_names.sort(key=lambda n: re.search(r"\b(?:according to|going by|based on|as reported by|citing)\s+"
                                           r"(?:the\s+)?" + re.escape(n), previous, re.I) is not None)
    new = new_names[0] if new_names else None
    for target in (old_names if new else []):  # the subject, usually named first, is what a follow-up swaps
        if target not in out:
            continue
        # a possessive follows its new owner: "Kestrel Renewables' revenue" -> "Tern Power's revenue"
        out = re.sub(re.escape(target) + r"(?:'s\b|'(?!\w))?",
                     lambda m: new + (("'" if new.endswith("s") else "'s") if m.group(0) != target else ""),
                     out, count=1)
        changed = True
        break
    return out if changed else None


def rewrite(question: str, previous: str, llm=None) -> str:
    """A standalone form of ``question`` given the previous question of the conversation."""
    swapped = substitute(previous, question)
    if swapped:
        return swapped
    if llm is not None:
        from prompts import render

        try:
            reply = llm.chat([{"role": "system", "content": render("REWRITE_SYSTEM")},
                              {"role": "user", "content": render("REWRITE_USER", previous=previous,
                                                                 question=question)}], max_tokens=60)
            text = " ".join(reply.text.strip().strip('"').split())
            if 8 <= len(text) <= 300 and "\n" not in reply.text.strip():
                return text
        except Exception:  # noqa: BLE001 - a failed rewrite falls back to joining; the answer step reports LLM errors
            pass
    return f"{previous.rstrip(' ?')}: {question}"
