"""Sanity checks for corpus5: parse, unique ids, source_has literal, numbers in non-numeric musts."""
import json, re, pathlib, collections
root = pathlib.Path(__file__).parent
files = sorted(p for d in ("docs", "tables") for p in (root / d).iterdir() if p.is_file())
texts = {p.name: p.read_text(encoding="utf-8") for p in files}
alltext = "\n".join(texts.values())
qs = [json.loads(l) for l in (root / "questions.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
errors = []
ids = [q["id"] for q in qs]
dups = [i for i, c in collections.Counter(ids).items() if c > 1]
if dups: errors.append(f"duplicate ids {dups}")
for q in qs:
    for s in q.get("source_has", []):
        if not any(s in t for t in texts.values()):
            errors.append(f"{q['id']}: source_has not found: {s!r}")
    if q["kind"] == "refusal":
        if q["must"] != [] or q.get("refuse") is not True or "source_has" in q:
            errors.append(f"{q['id']}: bad refusal shape")
    elif not q.get("source_has"):
        errors.append(f"{q['id']}: missing source_has")
    if q["kind"] != "numeric":
        for alts in q["must"]:
            for a in alts:
                for n in re.findall(r"\d[\d,]*(?:\.\d+)?", a):
                    if n not in alltext:
                        errors.append(f"{q['id']}: number {n} not in sources")
sessions = collections.defaultdict(list)
for q in qs:
    if "session" in q: sessions[q["session"]].append(q["kind"])
for s, ks in sessions.items():
    if ks != ["factual", "followup"]: errors.append(f"session {s}: {ks}")
print(collections.Counter(q["kind"] for q in qs), len(qs))
print("\n".join(errors) if errors else "ALL CHECKS PASSED")
