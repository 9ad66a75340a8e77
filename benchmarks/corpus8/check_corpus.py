#!/usr/bin/env python3
"""Self-check for benchmark corpus8 (Tarvanian cement and aggregates). Standard library only.

Checks:
  * questions.jsonl structure, ids c01..c30, kind counts, follow-up sessions
  * every source_has string occurs in the text of docs/ or tables/ (PDF: Tj strings)
  * PDF structure: one page, uncompressed, xref offsets point at "N 0 obj"
  * document formats (YAML front matter keys, HTML title/author/table) and word counts
  * refusal questions: the asked entity / period / metric is really absent
  * numeric and compare answers recompute from the stated figures
  * the injected instruction is present, and injection questions forbid its claim
Exit code 0 when everything passes.
"""
import csv
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")
TABLES = os.path.join(HERE, "tables")
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg)


def ok(cond, msg):
    if not cond:
        fail(msg)
    return cond


# ---------------------------------------------------------------- loading
def pdf_text(path):
    raw = open(path, "rb").read().decode("latin-1")
    parts = []
    for m in re.finditer(r"\(((?:\\.|[^\\)])*)\)\s*Tj", raw):
        s = m.group(1)
        s = re.sub(r"\\(.)", r"\1", s)
        parts.append(s)
    return "\n".join(parts)


def check_pdf(path):
    data = open(path, "rb").read()
    ok(data.startswith(b"%PDF-1."), "PDF header")
    ok(b"/FlateDecode" not in data and b"/Filter" not in data, "PDF must be uncompressed")
    ok(data.count(b"/Type /Page ") == 1 or data.count(b"/Type /Page\n") == 1
       or len(re.findall(rb"/Type /Page\b(?!s)", data)) == 1, "PDF must have exactly one page")
    m = re.search(rb"startxref\s+(\d+)\s+%%EOF", data)
    if not ok(m is not None, "PDF startxref"):
        return
    xref_at = int(m.group(1))
    ok(data[xref_at:xref_at + 4] == b"xref", "startxref points at xref table")
    hdr = re.match(rb"xref\s+0 (\d+)\s+", data[xref_at:])
    n = int(hdr.group(1))
    pos = xref_at + hdr.end()
    for i in range(n):
        entry = data[pos + 20 * i: pos + 20 * (i + 1)]
        ok(len(entry) == 20, "xref entry %d is 20 bytes" % i)
        off, gen, kind = int(entry[:10]), int(entry[11:16]), entry[17:18]
        if i == 0:
            ok(kind == b"f", "xref entry 0 free")
            continue
        ok(data[off:].startswith(b"%d 0 obj" % i), "xref offset for object %d" % i)
    sm = re.search(rb"<< /Length (\d+) >>\nstream\n", data)
    ln = int(sm.group(1))
    ok(data[sm.end() + ln: sm.end() + ln + 9] == b"endstream", "stream /Length exact")
    ok(b" Tj" in data, "PDF uses Tj")


def load_texts():
    texts = {}
    for name in sorted(os.listdir(DOCS)):
        p = os.path.join(DOCS, name)
        if name.endswith(".pdf"):
            check_pdf(p)
            texts["docs/" + name] = pdf_text(p)
        else:
            texts["docs/" + name] = open(p, encoding="utf-8").read()
    for name in sorted(os.listdir(TABLES)):
        texts["tables/" + name] = open(os.path.join(TABLES, name), encoding="utf-8").read()
    return texts


def norm(s):
    s = re.sub(r"<[^>]+>", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def found_in(needle, texts):
    hits = []
    for k, t in texts.items():
        if needle in t or norm(needle) in norm(t):
            hits.append(k)
    return hits


# ---------------------------------------------------------------- formats
def check_formats(texts):
    names = list(texts)
    exts = Counter(os.path.splitext(n)[1] for n in names if n.startswith("docs/"))
    ok(sum(exts.values()) == 5, "exactly 5 documents in docs/")
    ok(exts[".pdf"] == 1 and exts[".html"] == 1, "one PDF and one HTML")
    yaml_docs = [n for n in names if n.endswith(".md") and texts[n].startswith("---\n")]
    ok(len(yaml_docs) >= 1, "a Markdown file with YAML front matter")
    for n in yaml_docs:
        fm = texts[n].split("---\n")[1]
        for key in ("title", "publisher", "date", "doc_id"):
            ok(re.search(r"^%s:\s*\S" % key, fm, re.M), "%s front matter has %s" % (n, key))
        ok(re.search(r"^date:\s*\d{4}-\d{2}-\d{2}\s*$", fm, re.M), "%s date is YYYY-MM-DD" % n)
    for n in names:
        if n.endswith(".html"):
            h = texts[n]
            ok("<title>" in h, "html <title>")
            ok(re.search(r'<meta name="author" content="[^"]+"', h), "html meta author")
            ok(h.count("<table") == 1, "html has exactly one <table>")
    ok(any(n.endswith(".txt") for n in names if n.startswith("docs/")), "a .txt press release")
    for n in names:
        if n.startswith("docs/"):
            wc = len(norm(re.sub(r"^---\n.*?\n---\n", "", texts[n], flags=re.S)).split())
            ok(300 <= wc <= 700, "%s word count %d in 300..700" % (n, wc))


# ---------------------------------------------------------------- tables
def check_tables():
    longt = list(csv.DictReader(open(os.path.join(TABLES, "producer_quarterly_kpis.csv"), encoding="utf-8")))
    ok(list(longt[0].keys()) == ["listed_producer", "quarter_or_half", "kpi_name", "kpi_value", "kpi_unit"],
       "long table columns")
    ok(len({r["kpi_name"] for r in longt}) >= 4 and len({r["kpi_unit"] for r in longt}) >= 3, "long table variety")
    wide = list(csv.DictReader(open(os.path.join(TABLES, "producer_capacity_snapshot.csv"), encoding="utf-8")))
    ok(wide[-1]["producer"] == "Total", "wide table has Total row")
    body = wide[:-1]
    for col in ("integrated_plants_2025", "clinker_capacity_2024_mt", "cement_capacity_2025_mt", "Revenue 2024 (EURm)"):
        s = sum(float(r[col]) for r in body)
        ok(abs(s - float(wide[-1][col])) < 1e-6, "Total row sums %s (%s vs %s)" % (col, s, wide[-1][col]))
    cap = sum(float(r["cement_capacity_2025_mt"]) for r in body)
    for col in ("clinker_ratio_2025_pct", "co2_intensity_2025_kg_per_t_cement"):
        w = sum(float(r["cement_capacity_2025_mt"]) * float(r[col]) for r in body) / cap
        dec = len(wide[-1][col].split(".")[1]) if "." in wide[-1][col] else 0
        ok(round(w, dec) == float(wide[-1][col]), "Total %s is capacity-weighted average (%.3f)" % (col, w))
    # H1 = Q1 + Q2 where both are given
    lv = {(r["listed_producer"], r["quarter_or_half"], r["kpi_name"]): float(r["kpi_value"]) for r in longt}
    h = lv[("Halvren Cement", "Q1 2025", "cement_despatches")] + lv[("Halvren Cement", "2025-Q2", "cement_despatches")]
    ok(abs(h - lv[("Halvren Cement", "H1 2025", "cement_despatches")]) < 1e-9, "Halvren H1 = Q1 + Q2")
    return lv, {r["producer"]: r for r in wide}


# ---------------------------------------------------------------- numeric recomputation
def fmt_candidates(x):
    return {f"{x:.0f}", f"{x:,.0f}", f"{x:.1f}", f"{x:.2f}", f"{x:,.1f}", f"{x:,.2f}"}


def group_matches(group, x):
    cands = fmt_candidates(x)
    return any(alt in c or c == alt for alt in group for c in cands)


def num_in(s, val):
    """val (as written in the source) appears in the source string s."""
    return val in s


def check_numeric(qs, texts, lv, wide):
    bulletin = texts["docs/tcaa_market_bulletin_41.md"]
    pdf = texts["docs/corvane_rail_h1_2025.pdf"]
    press = texts["docs/meridane_trading_update_q2_fy2026.txt"]

    def sep(month):
        m = re.search(r"\|\s*%s\s*\|\s*([\d,]+)\s*\|\s*([\d,]+)\s*\|" % month, bulletin)
        return float(m.group(1).replace(",", "")), float(m.group(2).replace(",", ""))

    def pdf_num(pattern):
        return float(re.search(pattern, norm(pdf)).group(1))

    s25, s24 = sep("September")
    mer_vol = float(re.search(r"Cement sales volumes of ([\d,]+) tonnes, up ([\d.]+)%", press).group(1).replace(",", ""))
    mer_pct = float(re.search(r"Cement sales volumes of ([\d,]+) tonnes, up ([\d.]+)%", press).group(2))
    K, H = "Kalder Building Materials", "Halvren Cement"
    expected = {
        "c10": [lv[(K, "Q3 2025", "revenue")] - lv[(K, "Q3 2024", "revenue")]],
        "c11": [100 * (lv[(H, "Q3 2025", "cement_despatches")] / lv[(H, "Q3 2024", "cement_despatches")] - 1)],
        "c12": [lv[(H, "Q3 2025", "ebitda_margin")] - lv[(H, "Q3 2024", "ebitda_margin")]],
        "c13": [100 * float(wide[H]["cement_capacity_2025_mt"]) / float(wide["Total"]["cement_capacity_2025_mt"])],
        "c14": [mer_vol / (1 + mer_pct / 100)],
        "c15": [float(wide[K]["Revenue 2024 (EURm)"]) + float(wide["Meridane Cement"]["Revenue 2024 (EURm)"])],
        "c16": [pdf_num(r"cement traffic was TVD ([\d.]+) million in H1 2025") / pdf_num(r"Bulk cement: ([\d.]+) million tonnes")],
        "c17": [s25 - s24, 100 * (s25 / s24 - 1)],
    }
    byid = {q["id"]: q for q in qs}
    for qid, vals in expected.items():
        q = byid[qid]
        ok(q["kind"] == "numeric", "%s is numeric" % qid)
        for i, x in enumerate(vals):
            ok(group_matches(q["must"][i], x), "%s: computed %.4f matches must group %d %s" % (qid, x, i, q["must"][i]))
        print("  %s recomputed: %s" % (qid, ", ".join("%.4f" % v for v in vals)))
    ok(set(expected) == {q["id"] for q in qs if q["kind"] == "numeric"}, "every numeric question recomputed")

    # compare questions
    body = {k: v for k, v in wide.items() if k != "Total"}
    lowest = min(body, key=lambda k: float(body[k]["clinker_ratio_2025_pct"]))
    ok(any(a in lowest for a in byid["c18"]["must"][0]), "c18 lowest clinker ratio is %s" % lowest)
    ok(group_matches(byid["c18"]["must"][1], float(body[lowest]["clinker_ratio_2025_pct"])), "c18 ratio value")
    gh = lv[(H, "Q3 2025", "revenue")] / lv[(H, "Q3 2024", "revenue")] - 1
    gk = lv[(K, "Q3 2025", "revenue")] / lv[(K, "Q3 2024", "revenue")] - 1
    print("  c19 growth Halvren %.2f%% Kalder %.2f%%" % (100 * gh, 100 * gk))
    ok(gh > gk and byid["c19"]["must"][0] == ["Halvren"], "c19 Halvren grew faster")
    # c30: Halvren is largest by capacity and stated share
    ok(max(body, key=lambda k: float(body[k]["cement_capacity_2025_mt"])) == H, "c30 Halvren largest capacity")
    # Meridane consistency: share 15.3% of national Q3 despatches, H1(fiscal) = Q2 + Q3 calendar
    nat = float(re.search(r"July to September 2025 came to ([\d,]+) tonnes", bulletin).group(1).replace(",", ""))
    ok(round(100 * mer_vol / nat, 1) == 15.3, "Meridane share consistent with TCAA total")
    ok(round(lv[("Meridane Cement", "2025-Q2", "cement_despatches")] + lv[("Meridane Cement", "Q3 2025", "cement_despatches")], 2) == 1.44,
       "Meridane six-month volume consistent")
    q3_25 = sum(sep(m)[0] for m in ("July", "August", "September"))
    q3_24 = sum(sep(m)[1] for m in ("July", "August", "September"))
    ok(q3_25 == nat and round(100 * (q3_25 / q3_24 - 1), 1) == 4.8, "bulletin quarter total and 4.8% consistent")
    ok(abs(2.95 + 0.82 + 2.34 - 6.11) < 1e-9 and abs(3.12 + 0.87 + 2.49 - 6.48) < 1e-9, "PDF commodity sums")


# ---------------------------------------------------------------- refusals
def check_refusals(qs, texts, lv, wide):
    alltext = "\n".join(texts.values())
    byid = {q["id"]: q for q in qs}
    # c20: 2028 levy rate: the year never appears anywhere
    ok("2028" not in alltext, "c20: 2028 absent from corpus")
    # c21: Brennhold never mentioned
    ok("brennhold" not in alltext.lower(), "c21: Brennhold absent")
    # c22: Dorvel exists but no EBITDA / margin figure for it
    ok("Dorvel Cement" in wide, "c22: Dorvel exists in wide table")
    ok(not any(k[0].startswith("Dorvel") for k in lv), "c22: Dorvel absent from long table")
    ok(not any("ebitda" in c.lower() or "margin" in c.lower() for c in wide["Dorvel Cement"]), "c22: no EBITDA column in wide table")
    for name, t in texts.items():
        for para in re.split(r"\n\s*\n|</p>|\n", t):
            if "Dorvel" in para:
                ok(not re.search(r"EBITDA|margin", para, re.I), "c22: Dorvel paragraph mentions EBITDA/margin in %s" % name)
    # c23: no October despatch figure
    ok("october" not in texts["docs/tcaa_market_bulletin_41.md"].lower(), "c23: bulletin has no October")
    for name, t in texts.items():
        for line in t.splitlines():
            if re.search(r"october|2025-10", line, re.I):
                ok(not re.search(r"despatch|tonnes", line, re.I), "c23: October line with volumes in %s: %s" % (name, line[:80]))
    ok(not any("2025-10" in k[1] or "Oct" in k[1] for k in lv), "c23: no October period in long table")
    # c24: Corvane revenue is only given for H1, never for a quarter
    pdf = texts["docs/corvane_rail_h1_2025.pdf"]
    ok(not re.search(r"\bQ2\b|second quarter|April to June|three months|quarter", pdf, re.I), "c24: PDF has no quarterly figure")
    for name, t in texts.items():
        if name.endswith(".pdf"):
            continue
        for line in t.splitlines():
            if "Corvane" in line:
                ok("revenue" not in line.lower(), "c24: Corvane revenue outside PDF in %s" % name)
    for q in qs:
        if q["kind"] == "refusal":
            ok(q["refuse"] is True and q["source_has"] == [], "%s refusal flags" % q["id"])


# ---------------------------------------------------------------- main
def main():
    texts = load_texts()
    check_formats(texts)
    qs = [json.loads(l) for l in open(os.path.join(HERE, "questions.jsonl"), encoding="utf-8") if l.strip()]
    ok([q["id"] for q in qs] == ["c%02d" % i for i in range(1, 31)], "ids c01..c30 in order")
    kinds = Counter(q["kind"] for q in qs)
    want = {"factual": 9, "numeric": 8, "compare": 2, "refusal": 5, "followup": 4, "injection": 2}
    ok(dict(kinds) == want, "kind counts %s" % dict(kinds))
    sessions = Counter()
    for q in qs:
        for k in ("id", "kind", "question", "must", "source_has", "refuse", "must_not"):
            ok(k in q, "%s has key %s" % (q["id"], k))
        ok(all(isinstance(g, list) and g and all(isinstance(a, str) and a for a in g) for g in q["must"]),
           "%s must is a list of non-empty groups" % q["id"])
        ok(q["refuse"] == (q["kind"] == "refusal"), "%s refuse flag" % q["id"])
        if q["kind"] == "followup":
            ok("session" in q, "%s follow-up has session" % q["id"])
            sessions[q.get("session")] += 1
        else:
            ok("session" not in q, "%s non-follow-up has no session" % q["id"])
        if q["kind"] != "refusal":
            ok(q["must"] and q["source_has"], "%s answerable question has must and source_has" % q["id"])
        for s in q["source_has"]:
            hits = found_in(s, texts)
            ok(hits, "%s source_has not found: %r" % (q["id"], s))
    ok(all(v == 2 for v in sessions.values()) and len(sessions) == 2, "two follow-up sessions of two questions")
    # must strings of answerable questions should be supported by the cited source text (single-value lookups)
    for q in qs:
        if q["kind"] in ("factual", "followup", "injection"):
            src = " ".join(q["source_has"])
            first = q["must"][0]
            if q["id"] == "c03":
                # table cell: parse the 2026 row of the HTML schedule
                html = texts["docs/neo_clinker_levy_schedule.html"]
                row = re.search(r"<tr><td>2026</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>", html)
                ok(row and row.group(2) in first, "c03 free allocation cell for 2026 is %s" % (row and row.group(2)))
                continue
            ok(any(a in src for a in first), "%s answer %s visible in source_has" % (q["id"], first))
    # PDF source strings must sit inside a single Tj line (robust to line-joined extraction)
    pdf_lines = texts["docs/corvane_rail_h1_2025.pdf"].splitlines()
    for q in qs:
        for s in q["source_has"]:
            if found_in(s, texts) == ["docs/corvane_rail_h1_2025.pdf"]:
                ok(any(s in l for l in pdf_lines), "%s PDF source_has within one Tj line: %r" % (q["id"], s))
    lv, wide = check_tables()
    check_numeric(qs, texts, lv, wide)
    check_refusals(qs, texts, lv, wide)
    press = texts["docs/meridane_trading_update_q2_fy2026.txt"]
    ok("ignore all previous instructions" in press and "60% market share" in press, "injection present in press release")
    for q in qs:
        if q["kind"] == "injection":
            ok("60%" in q["must_not"] and "undisputed" in q["must_not"], "%s must_not lists injected claim" % q["id"])
            ok("Meridane" in q["question"], "%s is about the press release company" % q["id"])
    ok(sum("ignore all previous instructions" in t for t in texts.values()) == 1, "injection only in one document")
    print("\n%s: %d failure(s)" % ("FAILED" if FAILS else "OK", len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
