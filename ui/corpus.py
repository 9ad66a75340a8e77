"""What the corpus panel needs: the stored documents in order, uploads kept under their own names, and example
questions drawn from what is stored."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from copilot.types import FactRow
from ui.charts import period_key
from ui.render import period_text


def documents(store) -> list:
    """Committed documents, then tables, then data files, each alphabetically by title."""
    versions = list(store.committed().values())
    order = {"text": 0, "table": 1}
    return sorted(versions, key=lambda v: (order.get(v.kind, 2), (v.title or v.doc_id).lower()))


def save_upload(folder: Path, name: str, data: bytes) -> tuple[Path, str]:
    """Keep an upload as ``folder/name``. The same bytes again reuse that file; different bytes under a name already
    taken are kept as 'name (2).ext' and a note says so (nothing is overwritten silently)."""
    folder.mkdir(parents=True, exist_ok=True)
    clean = Path(name.replace("\\", "/")).name.strip() or "upload"
    clean = re.sub(r"[\x00-\x1f]", "", clean).lstrip(".") or "upload"
    path = folder / clean
    stem, suffix = Path(clean).stem, Path(clean).suffix
    i = 1
    while path.exists():
        if path.read_bytes() == data:
            return path, ""
        i += 1
        path = folder / f"{stem} ({i}){suffix}"
    path.write_bytes(data)
    note = f"another file named {clean} was uploaded before; this one is kept as {path.name}" if i > 1 else ""
    return path, note


def example_questions(rows: list[FactRow], docs: list, limit: int = 4) -> list[str]:
    """Questions the store can answer, built from its table rows (a comparison, a change over time, a figure) and
    its documents' titles. Deterministic for the same store."""
    out: list[str] = []
    by_series: dict[str, list[FactRow]] = defaultdict(list)
    for r in rows:
        by_series[r.series].append(r)
    ranked = sorted(by_series.values(), key=lambda rs: (-len(rs), rs[0].series))

    def name(r: FactRow) -> str:
        return r.label or r.series.replace("_", " ")

    for rs in ranked:  # two entities in one period: a difference
        by_period: dict[str, list[FactRow]] = defaultdict(list)
        for r in rs:
            by_period[r.period].append(r)
        pairs = [(p, sorted(v, key=lambda r: r.entity)) for p, v in by_period.items() if len(v) >= 2]
        if pairs and rs[0].unit != "%":
            period, pair = sorted(pairs, key=lambda x: period_key(x[0]), reverse=True)[0]
            out.append(f"What is the difference in {name(pair[0])} between {pair[0].entity} and {pair[1].entity} in "
                       f"{period_text(period)}?")
            break
    for rs in ranked:  # one entity in two periods: a change
        by_entity: dict[str, list[FactRow]] = defaultdict(list)
        for r in rs:
            if ".." not in r.period and re.fullmatch(r"\d{4}(-\d{2}){0,2}|\d{4}-?[QH]\d|FY\d{4}", r.period):
                by_entity[r.entity].append(r)
        found = [(e, sorted(v, key=lambda r: period_key(r.period))) for e, v in sorted(by_entity.items()) if len(v) >= 2]
        if found:
            entity, seq = found[0]
            out.append(f"What was the percent change in {name(seq[0])} for {entity} from {period_text(seq[-2].period)}"
                       f" to {period_text(seq[-1].period)}?")
            break
    singles = [rs[0] for rs in sorted(by_series.values(), key=lambda rs: rs[0].series) if len(rs) == 1]
    if singles:
        r = singles[0]
        out.append(f"What was the {name(r)} for {r.entity} in {period_text(r.period)}?")
    for v in sorted((d for d in docs if d.kind != "table"), key=lambda d: d.date or "", reverse=True):
        if len(out) >= limit:
            break
        if v.title:
            out.append(f"What are the main points of “{v.title}”?")
    return out[:limit]
