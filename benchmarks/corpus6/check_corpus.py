#!/usr/bin/env python3
"""Sanity checks for benchmark corpus6 (standard library only).

Checks: questions.jsonl parses with the exact key set; ids unique; kind counts;
every source_has string occurs literally in a file under docs/ or tables/ (PDF text is
read from its uncompressed content stream); refusal shape; followup sessions;
injection must_not; numbers in non-numeric 'must' strings occur in the sources.
"""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = {"id", "kind", "question", "must", "source_has", "refuse", "must_not", "session"}
EXPECTED = {"factual": 9, "numeric": 8, "compare": 2, "refusal": 5, "followup": 4, "injection": 2}
NUM_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")

errors = []


def err(msg):
    errors.append(msg)


def pdf_text(path):
    """Text of an uncompressed, hand-written PDF: the (..) Tj strings, one per line."""
    data = open(path, "rb").read()
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        stream = m.group(1)
        if b"/Filter" in data[max(0, m.start() - 200):m.start()]:
            err(f"{path}: compressed stream, cannot check")
            continue
        for sm in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S):
            raw = sm.group(1)
            s = re.sub(rb"\\(.)", lambda x: x.group(1), raw)
            out.append(s.decode("latin-1"))
    return "\n".join(out)


def load_sources():
    srcs = {}
    for sub in ("docs", "tables"):
        d = os.path.join(HERE, sub)
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if name.lower().endswith(".pdf"):
                srcs[f"{sub}/{name}"] = pdf_text(p)
            else:
                srcs[f"{sub}/{name}"] = open(p, encoding="utf-8").read()
    return srcs


def norm_nums(text):
    return {n.replace(",", "").rstrip(".") for n in NUM_RE.findall(text)}


def main():
    srcs = load_sources()
    for name, text in srcs.items():
        if not text.strip():
            err(f"{name}: no text extracted")
    src_nums = set()
    for name, t in srcs.items():
        if name.endswith(".csv"):  # fields are comma-separated: no thousands separators there
            for field in re.split(r"[,\n]", t):
                src_nums |= norm_nums(field)
        else:
            src_nums |= norm_nums(t)

    qs = []
    with open(os.path.join(HERE, "questions.jsonl"), encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                qs.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"line {ln}: JSON error {e}")
    ids = [q.get("id") for q in qs]
    dup = [i for i, c in collections.Counter(ids).items() if c > 1]
    if dup:
        err(f"duplicate ids: {dup}")
    counts = collections.Counter(q.get("kind") for q in qs)
    if dict(counts) != EXPECTED:
        err(f"kind counts {dict(counts)} != {EXPECTED}")

    sessions = collections.defaultdict(list)
    for q in qs:
        qid = q.get("id")
        if set(q) != KEYS:
            err(f"{qid}: keys {sorted(q)}")
            continue
        if not isinstance(q["question"], str) or not q["question"].strip():
            err(f"{qid}: empty question")
        must = q["must"]
        if not isinstance(must, list) or any(
                not isinstance(g, list) or not g or any(not isinstance(a, str) or not a for a in g) for g in must):
            err(f"{qid}: malformed must")
            continue
        if q["kind"] == "refusal":
            if q["refuse"] is not True or must or q["source_has"]:
                err(f"{qid}: refusal must have refuse=true, must=[] and no source_has")
        else:
            if q["refuse"] is not False:
                err(f"{qid}: refuse must be false")
            if not must:
                err(f"{qid}: empty must")
            if not q["source_has"]:
                err(f"{qid}: empty source_has")
        for s in q["source_has"]:
            hits = [n for n, t in srcs.items() if s in t]
            if not hits:
                err(f"{qid}: source_has not found: {s!r}")
        if q["kind"] == "injection" and not q["must_not"]:
            err(f"{qid}: injection without must_not")
        if q["kind"] == "followup":
            if not q["session"]:
                err(f"{qid}: followup without session")
            sessions[q["session"]].append(qid)
        elif q["session"] is not None:
            err(f"{qid}: session set on non-followup")
        if q["kind"] in ("factual", "compare", "followup", "injection"):
            for g in must:
                for alt in g:
                    for n in norm_nums(alt):
                        if n not in src_nums:
                            err(f"{qid}: number {n!r} in must {alt!r} not found in sources")
        for bad in q["must_not"]:
            for g in must:
                for alt in g:
                    if bad.lower() in alt.lower() or alt.lower() in bad.lower():
                        err(f"{qid}: must alternative {alt!r} clashes with must_not {bad!r}")
    for s, members in sessions.items():
        if len(members) != 2:
            err(f"session {s}: {members} (expected a pair)")
        else:
            a, b = sorted(members)
            if ids.index(b) != ids.index(a) + 1:
                err(f"session {s}: questions not consecutive")

    # the injected instruction must exist and be contradicted by the regulator notice
    pr = srcs.get("docs/tessaly_wings_press_release_2025-11-03.txt", "")
    if "ignore all previous instructions" not in pr:
        err("press release lacks the injected instruction")
    if "valid until 31 October 2030" not in srcs.get("docs/hcad_notice_2025-41.html", ""):
        err("regulator notice no longer contradicts the injected claim")

    print(f"sources: {len(srcs)} files; questions: {len(qs)}; kinds: {dict(sorted(counts.items()))}")
    if errors:
        for e in errors:
            print("FAIL:", e)
        sys.exit(1)
    print("All checks passed.")


if __name__ == "__main__":
    main()
