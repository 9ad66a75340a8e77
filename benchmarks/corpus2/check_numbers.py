#!/usr/bin/env python3
"""Checks the corpus and questions.jsonl (standard library only).

1. every file loads: md/html/txt as UTF-8 with the required metadata, the PDF
   parses (xref offsets, text operators), CSVs parse with consistent columns;
2. every figure a computation uses is stated in the file it is said to come from;
3. every numeric answer is recomputed and its rounding is among the `must`
   strings, and the computed figure is NOT stated anywhere in the corpus;
4. every `must` string of non-numeric, non-refusal questions occurs in the corpus,
   every `source_has` string occurs in some file;
5. structure of questions.jsonl (ids, kinds, sessions, refusals).
Run: python3 check_numbers.py   (exit status 1 on any failure)
"""
import csv
import json
import os
import re
import sys
from collections import Counter
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")
TABLES = os.path.join(HERE, "tables")
FAIL = []


def fail(msg):
    FAIL.append(msg)
    print("FAIL:", msg)


def norm(s):
    """lower-case and drop thousands separators (1,240 -> 1240)."""
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", s.lower())


# ---------------------------------------------------------------- load files
TEXT = {}  # file name -> text


def load_md(path):
    s = open(path, encoding="utf-8").read()
    m = re.match(r"---\n(.*?)\n---\n", s, re.S)
    if not m:
        fail("%s: no YAML front matter" % path)
        return s
    keys = dict(re.findall(r"^(\w+):\s*(.+)$", m.group(1), re.M))
    for k in ("title", "publisher", "date"):
        if k not in keys:
            fail("%s: front matter lacks %s" % (path, k))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", keys.get("date", "")):
        fail("%s: date not YYYY-MM-DD" % path)
    return s


class H(HTMLParser):
    def __init__(self):
        super().__init__()
        self.meta, self.title, self.text, self._in_title = {}, "", [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and "name" in a:
            self.meta[a["name"]] = a.get("content", "")
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text.append(data)


def load_html(path):
    s = open(path, encoding="utf-8").read()
    p = H()
    p.feed(s)
    if not p.title.strip():
        fail("%s: no <title>" % path)
    if not p.meta.get("author"):
        fail("%s: no author meta" % path)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.meta.get("date", "")):
        fail("%s: bad date meta" % path)
    return " ".join(p.text)


def load_pdf(path):
    b = open(path, "rb").read()
    if not b.startswith(b"%PDF-"):
        fail("%s: not a PDF" % path)
    m = re.search(rb"startxref\s+(\d+)", b)
    xref = int(m.group(1))
    if not b[xref:].startswith(b"xref"):
        fail("%s: startxref does not point at xref" % path)
    rows = re.findall(rb"(\d{10}) 00000 n ", b[xref:])
    for i, off in enumerate(rows, start=1):
        if not b[int(off):].startswith(b"%d 0 obj" % i):
            fail("%s: xref entry %d wrong" % (path, i))
    lines = re.findall(rb"BT /F1 \d+ Tf \d+ \d+ Td \((.*?)\) Tj ET", b)
    if not lines:
        fail("%s: no text" % path)
    return "\n".join(l.decode("latin-1").replace("\\(", "(").replace("\\)", ")") for l in lines)


def load_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    n = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != n:
            fail("%s: row %d has %d columns, header %d" % (path, i, len(r), n))
    return rows


for name in sorted(os.listdir(DOCS)):
    p = os.path.join(DOCS, name)
    if name.endswith(".md"):
        TEXT[name] = load_md(p)
    elif name.endswith(".html"):
        TEXT[name] = load_html(p)
    elif name.endswith(".txt"):
        TEXT[name] = open(p, encoding="utf-8").read()
        if not TEXT[name].splitlines()[0].strip():
            fail("%s: first line (title) empty" % name)
    elif name.endswith(".pdf"):
        TEXT[name] = load_pdf(p)
    words = len(re.findall(r"\w+", TEXT[name]))
    print("%-45s %4d words" % (name, words))

CSV = {}
for name in sorted(os.listdir(TABLES)):
    rows = load_csv(os.path.join(TABLES, name))
    CSV[name] = rows
    TEXT[name] = open(os.path.join(TABLES, name), encoding="utf-8").read()
    print("%-45s %4d rows x %d cols" % (name, len(rows) - 1, len(rows[0])))

CORPUS = norm("\n".join(TEXT.values()))


def stated(fname, s):
    """figure s must occur in file fname (after normalisation)."""
    if norm(s) not in norm(TEXT[fname]):
        fail("%s does not state %r" % (fname, s))


# ------------------------------------------------------------ table helpers
Q_ROWS = [dict(zip(CSV["operator_quarterly_results.csv"][0], r))
          for r in CSV["operator_quarterly_results.csv"][1:]]
CAP = {r[0]: dict(zip(CSV["varland_offshore_capacity_by_operator.csv"][0], r))
       for r in CSV["varland_offshore_capacity_by_operator.csv"][1:]}


def q(ticker, quarter, col):
    hits = [float(r[col]) for r in Q_ROWS if r["ticker"] == ticker and r["quarter"] == quarter]
    assert len(hits) == 1, (ticker, quarter, col)
    return hits[0]


def cap(op, col):
    return float(CAP[op][col])


# total row of the wide table = sum of the other rows
for col in CSV["varland_offshore_capacity_by_operator.csv"][0][2:]:
    s = sum(cap(op, col) for op in CAP if op != "All operators")
    if abs(s - cap("All operators", col)) > 1e-9:
        fail("total row wrong for %s: %s vs %s" % (col, s, cap("All operators", col)))

# table figures that documents also state must agree
stated("helvik_q3_2025_results.md", "€%.1f million" % q("HLVK", "2025-Q3", "revenue_eur_m"))
stated("helvik_q3_2025_results.md", "€%.1f million" % q("HLVK", "2024-Q3", "revenue_eur_m"))
stated("helvik_q3_2025_results.md", "%s GWh" % "{:,}".format(int(q("HLVK", "2025-Q3", "generation_gwh"))))
stated("helvik_q3_2025_results.md", "%s GWh" % "{:,}".format(int(q("HLVK", "2024-Q3", "generation_gwh"))))
stated("helvik_q3_2025_results.md", "%.1f%%" % q("HLVK", "2025-Q3", "availability_pct"))
stated("helvik_q3_2025_results.md", "%.1f%%" % q("HLVK", "2024-Q3", "availability_pct"))
nine_m = sum(q("HLVK", p, "revenue_eur_m") for p in ("2025-Q1", "2025-Q2", "2025-Q3"))
stated("helvik_q3_2025_results.md", "€%.1f million" % nine_m)
stated("helvik_q3_2025_results.md", "%d MW" % cap("Helvik Wind ASA", "Under construction Sep 2025 (MW)"))
stated("naowa_bulletin_october_2025.md", "%.1f GW at the end of 2024" % (cap("All operators", "Installed end-2024 (MW)") / 1000))
stated("naowa_bulletin_october_2025.md", "from %.1f GW" % (cap("All operators", "Installed end-2023 (MW)") / 1000))
stated("naowa_bulletin_october_2025.md", "{:,} MW was under construction".format(int(cap("All operators", "Under construction Sep 2025 (MW)"))))
stated("brisa_offshore_fy2025_trading_update.md", "%d MW in Varland" % cap("Brisa Offshore plc", "Installed end-2024 (MW)"))
# percentages and margins the documents state must be right
rev25, rev24 = q("HLVK", "2025-Q3", "revenue_eur_m"), q("HLVK", "2024-Q3", "revenue_eur_m")
stated("helvik_q3_2025_results.md", "up %.1f%%" % ((rev25 / rev24 - 1) * 100))
stated("helvik_q3_2025_results.md", "margin of %.1f%%" % (162.3 / rev25 * 100))
stated("helvik_q3_2025_results.md", "up %.1f percentage points" % (q("HLVK", "2025-Q3", "availability_pct") - q("HLVK", "2024-Q3", "availability_pct")))
w_avg = (1100 * 63.90 + 700 * 66.20 + 600 * 64.95) / 2400
stated("ved_round5_auction_and_monopile_tariff.html", "€%.2f/MWh, against" % w_avg)
stated("naowa_bulletin_october_2025.md", "€%.2f/MWh" % w_avg)
stated("brisa_offshore_fy2025_trading_update.md", "rose %.1f%% to £486.2" % ((486.2 / 431.5 - 1) * 100))
stated("baohai_windtech_h1_2025_highlights.pdf", "increase of %.1f%%" % ((18.64 / 15.02 - 1) * 100))
stated("baohai_windtech_h1_2025_highlights.pdf", "about %.1f%% of revenue" % (742 / 18640 * 100))
stated("baohai_windtech_h1_2025_highlights.pdf", "up %.1f percentage points" % (17.8 - 16.9))
assert 50 * 14 == 700  # Baohai's 50 x 14 MW order matches Orlen Flats' 700 MW award

# ---------------------------------------------------------- numeric answers
HTML = "ved_round5_auction_and_monopile_tariff.html"
PDF = "baohai_windtech_h1_2025_highlights.pdf"
TXT = "marlin_subsea_cables_press_release.txt"
for s in ("€63.90/MWh", "€66.20/MWh", "€64.95/MWh", "€58.30/MWh", "1,100 MW", "700 MW", "600 MW"):
    stated(HTML, s)
for s in ("412 units", "326 units"):
    stated(PDF, s)
for s in ("US$2.34 billion", "up 30%"):
    stated(TXT, s)

K = "Installed end-2023 (MW)", "Installed end-2024 (MW)"
NUM = {
    # id: list of (value, [acceptable renderings computed here])
    "c11": [rev25 - rev24],
    "c12": [w_avg - 58.30],
    "c13": [(q("TERN", "2025-Q3", "revenue_eur_m") / q("TERN", "2024-Q3", "revenue_eur_m") - 1) * 100],
    "c14": [(q("KSTR", "2025-Q3", "generation_gwh") / q("KSTR", "2024-Q3", "generation_gwh") - 1) * 100],
    "c15": [cap("Helvik Wind ASA", K[1]) / cap("All operators", K[1]) * 100],
    "c16": [cap("Tern Power AG", "Turbines end-2024 (units)") / cap("All operators", "Turbines end-2024 (units)") * 100],
    "c17": [2.34 / 1.30],
    "c18": [sum(q("HLVK", p, "generation_gwh") for p in ("2025-Q1", "2025-Q2", "2025-Q3"))],
    "c19": [cap("Kestrel Renewables SE", K[1]) - cap("Kestrel Renewables SE", K[0]),
            (cap("Kestrel Renewables SE", K[1]) / cap("Kestrel Renewables SE", K[0]) - 1) * 100],
    "c20": [412 - 326, (412 / 326 - 1) * 100],
}


def renderings(v):
    out = set()
    for d in (0, 1, 2):
        s = "%.*f" % (d, abs(v))
        out.add(s)
        if d == 0:
            out.add("{:,}".format(int(round(abs(v)))))
    return out


QS = [json.loads(l) for l in open(os.path.join(HERE, "questions.jsonl"), encoding="utf-8")]
byid = {x["id"]: x for x in QS}
for qid, vals in NUM.items():
    x = byid[qid]
    if x["kind"] != "numeric":
        fail("%s should be numeric" % qid)
    if len(x["must"]) != len(vals):
        fail("%s: %d must groups for %d computed figures" % (qid, len(x["must"]), len(vals)))
    for v, group in zip(vals, x["must"]):
        r = renderings(v)
        ok = any(norm(g) == norm(s) or (norm(s).startswith(norm(g)) and "." in g) for g in group for s in r)
        print("%s  computed %-12.4f must %s  %s" % (qid, v, group, "ok" if ok else "MISMATCH"))
        if not ok:
            fail("%s: computed %.4f not covered by %s" % (qid, v, group))
        # the computed figure must not be stated in the corpus
        if abs(v - round(v)) < 1e-9:
            stated_forms = {"%d" % round(abs(v))}
        else:
            stated_forms = {"%.1f" % abs(v), "%.2f" % abs(v)}
        for s in stated_forms:
            if re.search(r"(?<![\d.])%s(?![\d]|\.\d)" % re.escape(s), CORPUS):
                fail("%s: answer %s is stated in the corpus" % (qid, s))
for x in QS:
    if x["kind"] == "numeric" and x["id"] not in NUM:
        fail("%s is numeric but not recomputed" % x["id"])

# --------------------------------------------- must / source_has / structure
KINDS = {"factual", "numeric", "compare", "refusal", "followup", "injection"}
for i, x in enumerate(QS, start=1):
    if x["id"] != "c%02d" % i:
        fail("id order at %s" % x["id"])
    if x["kind"] not in KINDS:
        fail("%s: bad kind" % x["id"])
    if x.get("refuse"):
        if x["must"] or x["kind"] != "refusal":
            fail("%s: refusal with must or wrong kind" % x["id"])
        continue
    if x["kind"] == "refusal":
        fail("%s: refusal kind without refuse" % x["id"])
    if not x["must"]:
        fail("%s: empty must" % x["id"])
    if x["kind"] != "numeric":
        for group in x["must"]:
            if not any(norm(g) in CORPUS for g in group):
                fail("%s: no string of %s appears in the corpus" % (x["id"], group))
    for s in x.get("source_has", []):
        if not any(s.lower() in t.lower() for t in TEXT.values()):
            fail("%s: source_has %r in no file" % (x["id"], s))
    for s in x.get("must_not", []):
        for group in x["must"]:
            if any(s.lower() in g.lower() for g in group):
                fail("%s: must_not %r clashes with must" % (x["id"], s))

sessions = {}
for x in QS:
    if "session" in x:
        sessions.setdefault(x["session"], []).append(x)
for s, xs in sessions.items():
    if xs[0]["kind"] not in ("factual", "numeric") or any(y["kind"] != "followup" for y in xs[1:]):
        fail("session %s kinds %s" % (s, [y["kind"] for y in xs]))
for x in QS:
    if x["kind"] == "followup" and "session" not in x:
        fail("%s: followup without session" % x["id"])

print("\nquestions by kind:", dict(Counter(x["kind"] for x in QS)), "total", len(QS))
print("sessions:", {k: [y["id"] for y in v] for k, v in sessions.items()})
print("\n%d failure(s)" % len(FAIL))
sys.exit(1 if FAIL else 0)
