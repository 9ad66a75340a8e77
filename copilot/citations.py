"""Citation markers in model output: normalise, drop invented ones, and find them per sentence."""

from __future__ import annotations

import re

_GROUP = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_TRAILING_REFS = re.compile(r"\n+\s*(?:sources?|references?)\s*:.*\Z", re.I | re.S)


def render_citations(text: str, valid: set[int] | int) -> tuple[str, list[int]]:
    """Rewrite ``[1, 2]`` as ``[1][2]``, drop repeated and out-of-range markers; return the text and the dropped ids.

    ``valid`` is the set of source numbers shown to the model (or their count, numbered from 0)."""
    allowed = set(range(valid)) if isinstance(valid, int) else set(valid)
    invented: list[int] = []
    text = _TRAILING_REFS.sub("", text.strip())

    def fix(match: re.Match) -> str:
        keep = []
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            n = int(part)
            if n in allowed:
                if n not in keep:
                    keep.append(n)
            else:
                invented.append(n)
        return "".join(f"[{n}]" for n in keep)

    text = _GROUP.sub(fix, text)
    text = re.sub(r"([.!?])[ \t]*(\[\d+\](?:[ \t]*\[\d+\])*)", lambda m: " " + m.group(2).replace(" ", "").strip() + m.group(1),
                  text)  # 'sentence. [1]' -> 'sentence [1].'
    text = re.sub(r"\s+(\[\d+\])", r" \1", text)
    text = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", text)  # [1][1] or [1] [1] -> [1]
    text = re.sub(r"[ \t]+([.,;:])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return text.strip(), invented


def cited_numbers(text: str) -> list[int]:
    out: list[int] = []
    for match in _GROUP.finditer(text):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            if int(part) not in out:
                out.append(int(part))
    return out


_ABBREV = re.compile(r"\b(?:U\.S|U\.K|e\.g|i\.e|Inc|Corp|Ltd|Co|vs|approx|No|Dr|Mr|Ms|St)\.$", re.I)


def split_claims(text: str) -> list[str]:
    """Sentences, with trailing citation markers kept on the sentence they close."""
    text = text.strip()
    if not text:
        return []
    pieces = re.split(r"(?<=[.!?])((?:\s*\[\d+\])*)\s+(?=[A-Z0-9\"'(\-*•=+@])", text)
    claims: list[str] = []
    buf = ""
    i = 0
    while i < len(pieces):
        sentence = pieces[i]
        marks = pieces[i + 1] if i + 1 < len(pieces) else ""
        buf += sentence + (marks or "")
        i += 2
        if _ABBREV.search(sentence.rstrip()) and i < len(pieces):
            buf += " "
            continue
        if buf.strip():
            claims.append(buf.strip())
        buf = ""
    if buf.strip():
        claims.append(buf.strip())
    out = []
    for claim in claims:  # bullet lists: one claim per line
        out.extend(line.strip(" -*•\t") for line in claim.split("\n") if line.strip(" -*•\t"))
    return out
