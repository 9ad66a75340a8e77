"""Follow-up questions made standalone from the conversation before retrieval.

'And in Q2?' after 'What was Acme's revenue in Q3 2025?' becomes 'What was Acme's revenue in Q2 2025?'. A new period or a new name replaces the one of the previous question; a question that leans on the
conversation in another way ('Why did it fall?') is rewritten by the model from the previous question, and if the
model gives nothing usable the two questions are joined.
"""

from __future__ import annotations

import re

from copilot.periods import find_periods, year_of

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


def substitute(previous: str, question: str) -> str | None:
    """The previous question with the follow-up's new period or new name put in place; None if neither fits."""
    from copilot.compute import named_entities

    new_periods = find_periods(question)
    old_periods = find_periods(previous)
    out = previous
    changed = False
    if new_periods and old_periods:
        old = old_periods[-1] if len(new_periods) == 1 else None
        pairs = [(old, new_periods[0])] if old else list(zip(old_periods, new_periods))
        for old_p, new_p in sorted(pairs, key=lambda p: -p[0].start):
            text = new_p.text
            if new_p.code.startswith("*") or not year_of(new_p.code) or not re.search(r"\d{4}", new_p.text):
                year = year_of(old_p.code)
                if year and not re.search(r"\d{4}", text):
                    text = f"{text} {year}"
            out = out[:old_p.start] + text + out[old_p.end:]
            changed = True
    elif new_periods and not old_periods:
        out = out.rstrip(" ?") + f" in {new_periods[0].text}?"
        changed = True
    bare = question
    for p in new_periods:
        bare = bare.replace(p.text, " ")
    new_names = [n for n in named_entities(bare) if n.lower() not in previous.lower()]
    old_names = [n for n in named_entities(previous) if n.lower() not in question.lower()]
    if new_names and old_names:
        target, new = old_names[-1], new_names[0]
        # a possessive follows its new owner: "Kestrel Renewables' revenue" -> "Tern Power's revenue"
        out = re.sub(re.escape(target) + r"(?:'s\b|'(?!\w))?",
                     lambda m: new + (("'" if new.endswith("s") else "'s") if m.group(0) != target else ""),
                     out, count=1)
        changed = True
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
