"""Clean a question before it is answered: control and invisible format characters out, whitespace collapsed, and a
length limit with an error a person can act on."""

from __future__ import annotations

import unicodedata

from copilot.errors import QuestionError

# Cc: control characters (NUL, ESC, DEL, ...); Cf: invisible format characters (zero-width, bidi overrides);
# Cs: lone surrogates; Co/Cn: private-use and unassigned code points. None of them belongs in a question.
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_question(text: str, max_chars: int) -> str:
    """The question as it will be answered, or ``QuestionError`` when nothing is left or it is too long."""
    if not isinstance(text, str):
        raise QuestionError("the question must be text")
    kept = "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or unicodedata.category(ch) not in _DROPPED)
    question = " ".join(kept.split())
    if not question:
        raise QuestionError("the question is empty (after removing control characters)")
    if len(question) > max_chars:
        raise QuestionError(f"the question is {len(question):,} characters long; the limit is {max_chars:,} "
                            "(shorten it, or raise COPILOT_MAX_QUESTION_CHARS)")
    return question
