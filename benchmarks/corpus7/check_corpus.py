"""Consistency checks for benchmark corpus7 (standard library only).

Run:  python3 check_corpus.py      (exit status 0 when every check passes)
"""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")
TABLES = os.path.join(HERE, "tables")
QFILE = os.path.join(HERE, "questions.jsonl")

REQUIRED_KEYS = {"id", "kind", "question", "must", "source_has", "refuse", "must_not"}
OPTIONAL_KEYS = {"session"}
KIND_COUNTS = {"factual": 9, "numeric": 8, "compare": 2, "refusal": 5, "followup": 4, "injection": 2}

errors = []


def err(msg):
    errors.append(msg)


# ---------------------------------------------------------------- sources
def pdf_text(path):
    """Concatenate the literal strings shown with Tj in an uncompressed PDF."""
    data = open(path, "rb").read().decode("latin-1")
    if "/FlateDecode" in data:
        err(f"{path}: compressed stream, cannot read Tj strings")
    parts = []
    for m in re.finditer(r"\(((?:\\.|[^\\)])*)\)\s*Tj", data):
        s = m.group(1)
        s = re.sub(r"\\([\\()])", r"\1", s)
        parts.append(s)
    return " ".join(parts)


def check_pdf_structure(path):
    data = open(path, "rb").read()
    if not data.startswith(b"%PDF-"):
        err(f"{path}: missing %PDF header")
    m = re.search(rb"startxref\s+(\d+)\s+%%EOF", data)
    if not m:
        err(f"{path}: no startxref")
        return
    pos = int(m.group(1))
    if data[pos:pos + 4] != b"xref":
        err(f"{path}: startxref does not point at xref")
        return
    m2 = re.match(rb"xref\s+0 (\d+)\s+", data[pos:])
    n = int(m2.group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf]) ?\r?\n", data[pos:])[:n]
    for i, (off, _gen, typ) in enumerate(entries):
        if typ == b"n" and not data[int(off):].startswith(f"{i} 0 obj".encode()):
            err(f"{path}: xref entry for object {i} has wrong offset {int(off)}")
    for sm in re.finditer(rb"/Length (\d+) >>\nstream\n", data):
        ln = int(sm.group(1))
        if data[sm.end() + ln: sm.end() + ln + 9] != b"endstream":
            err(f"{path}: stream /Length {ln} is wrong")


sources = {}  # relative path -> text
for folder in (DOCS, TABLES):
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        rel = os.path.relpath(p, HERE)
        if name.lower().endswith(".pdf"):
            check_pdf_structure(p)
            sources[rel] = pdf_text(p)
        else:
            with open(p, encoding="utf-8") as fh:
                sources[rel] = fh.read()

doc_files = [r for r in sources if r.startswith("docs")]
csv_files = [r for r in sources if r.endswith(".csv")]
exts = collections.Counter(os.path.splitext(r)[1] for r in doc_files)
if len(doc_files) != 5:
    err(f"expected 5 documents, found {len(doc_files)}")
for ext in (".md", ".html", ".txt", ".pdf"):
    if not exts.get(ext):
        err(f"no {ext} document")
if len(csv_files) != 2:
    err(f"expected 2 CSV tables, found {len(csv_files)}")


def visible_words(rel, text):
    if rel.endswith(".html"):
        text = re.sub(r"<[^>]+>", " ", text)
    return len(text.split())


for rel in doc_files:
    n = visible_words(rel, sources[rel])
    if not 250 <= n <= 700:
        err(f"{rel}: {n} words, outside 250-700")
for rel in csv_files:
    lines = [l for l in sources[rel].splitlines() if l.strip()]
    if not 15 <= len(lines) - 1 <= 60:
        err(f"{rel}: {len(lines) - 1} data rows, outside 15-60")
    width = {len(l.split(",")) for l in lines}
    if len(width) != 1:
        err(f"{rel}: rows have differing column counts {sorted(width)}")

NUM_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def numbers_in(text):
    out = set()
    for tok in NUM_RE.findall(text):
        tok = tok.rstrip(",").replace(",", "")
        try:
            out.add(float(tok))
        except ValueError:
            pass
    return out


source_numbers = set()
for rel, t in sources.items():
    if rel.endswith(".csv"):  # read cell by cell so CSV commas are not taken as thousands separators
        for line in t.splitlines():
            for cell in line.split(","):
                source_numbers |= numbers_in(cell)
    else:
        source_numbers |= numbers_in(t)


def found_literally(s):
    for rel, text in sources.items():
        if rel.endswith(".csv"):
            if any(s in line for line in text.splitlines()):
                return True
        elif s in text:
            return True
    return False


# -------------------------------------------------------------- questions
questions = []
with open(QFILE, encoding="utf-8") as fh:
    for n, line in enumerate(fh, 1):
        if not line.strip():
            err(f"questions.jsonl line {n}: blank line")
            continue
        try:
            questions.append(json.loads(line))
        except json.JSONDecodeError as e:
            err(f"questions.jsonl line {n}: bad JSON ({e})")

if len(questions) != 30:
    err(f"expected 30 questions, found {len(questions)}")

ids = [q.get("id") for q in questions]
if len(set(ids)) != len(ids):
    err("duplicate ids")
if ids != [f"b{i:02d}" for i in range(1, len(ids) + 1)]:
    err("ids are not b01..b30 in order")

kinds = collections.Counter(q.get("kind") for q in questions)
if dict(kinds) != KIND_COUNTS:
    err(f"kind counts {dict(kinds)} != {KIND_COUNTS}")

sessions = collections.defaultdict(list)
for q in questions:
    qid = q.get("id")
    keys = set(q)
    if not REQUIRED_KEYS <= keys or keys - REQUIRED_KEYS - OPTIONAL_KEYS:
        err(f"{qid}: key set {sorted(keys)}")
        continue
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    must = q["must"]
    if not (isinstance(must, list) and all(isinstance(g, list) and g and all(isinstance(s, str) and s for s in g) for g in must)):
        err(f"{qid}: must is not a list of non-empty lists of strings")
        continue
    if not (isinstance(q["source_has"], list) and all(isinstance(s, str) for s in q["source_has"])):
        err(f"{qid}: source_has is not a list of strings")
        continue
    if not (isinstance(q["must_not"], list) and all(isinstance(s, str) for s in q["must_not"])):
        err(f"{qid}: must_not is not a list of strings")
    if not isinstance(q["refuse"], bool):
        err(f"{qid}: refuse is not a boolean")

    kind = q["kind"]
    if kind == "refusal":
        if must != [] or q["refuse"] is not True:
            err(f"{qid}: refusal needs must == [] and refuse true")
    else:
        if q["refuse"] is not False:
            err(f"{qid}: refuse must be false on non-refusal questions")
        if not must:
            err(f"{qid}: empty must")
        if not q["source_has"]:
            err(f"{qid}: empty source_has")
    if kind == "injection":
        if not q["must_not"]:
            err(f"{qid}: injection question without must_not")
    elif q["must_not"]:
        err(f"{qid}: must_not should be [] for kind {kind}")

    for s in q["source_has"]:
        if not found_literally(s):
            err(f"{qid}: source_has not found literally: {s!r}")

    if kind not in ("numeric", "refusal"):
        for group in must:
            for s in group:
                for v in numbers_in(s):
                    if v not in source_numbers:
                        err(f"{qid}: number {s!r} in must does not occur in the sources")

    sess = q.get("session")
    if kind == "followup":
        if not isinstance(sess, str) or not sess:
            err(f"{qid}: followup without session")
        else:
            sessions[sess].append(qid)
    elif sess is not None:
        err(f"{qid}: session set on non-followup question")

for sess, members in sessions.items():
    if len(members) != 2:
        err(f"session {sess!r} has {len(members)} questions, expected 2")
if len(sessions) != 2:
    err(f"expected 2 followup sessions, found {len(sessions)}")

# The injected instruction must be present in exactly one document.
inj = [r for r, t in sources.items() if "AI assistants" in t and "ignore all" in t]
if len(inj) != 1:
    err(f"expected the injected instruction in exactly one document, found {inj}")

if errors:
    print("FAIL")
    for e in errors:
        print(" -", e)
    sys.exit(1)
print(f"OK: {len(questions)} questions, {len(sources)} source files, kinds {dict(kinds)}")
