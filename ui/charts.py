"""Charts for answers that cite table rows: the cited series and entities only, periods in time order, hedged figures
marked. Rows come from the store (every committed table, uploaded ones included), not from the corpus folder."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field

from copilot.types import Answer, FactRow
from ui.render import HEDGES, shown_sources, value_text

_YEAR = r"(\d{4})"


def _bounds(period: str) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None:
    """First and last day of a period written as 2025, 2025-11, 2025-11-03, 2025-Q3, 2025-H1 or FY2025."""
    p = period.strip()
    if m := re.fullmatch(rf"{_YEAR}", p) or re.fullmatch(rf"FY\s?{_YEAR}", p, re.I):
        y = int(m.group(1))
        return (y, 1, 1), (y, 12, 31)
    if m := re.fullmatch(rf"{_YEAR}-(\d{{1,2}})", p):
        y, mo = int(m.group(1)), int(m.group(2))
        if 1 <= mo <= 12:
            return (y, mo, 1), (y, mo, calendar.monthrange(y, mo)[1])
    if m := re.fullmatch(rf"{_YEAR}-(\d{{1,2}})-(\d{{1,2}})", p):
        y, mo, d = (int(g) for g in m.groups())
        if 1 <= mo <= 12:
            return (y, mo, d), (y, mo, d)
    if m := re.fullmatch(rf"{_YEAR}-?Q([1-4])", p, re.I):
        y, q = int(m.group(1)), int(m.group(2))
        return (y, 3 * q - 2, 1), (y, 3 * q, calendar.monthrange(y, 3 * q)[1])
    if m := re.fullmatch(rf"{_YEAR}-?H([12])", p, re.I):
        y, h = int(m.group(1)), int(m.group(2))
        return (y, 6 * h - 5, 1), (y, 6 * h, 30 if h == 1 else 31)
    if m := re.match(rf"{_YEAR}\b", p):  # '2025 trough': somewhere in 2025
        y = int(m.group(1))
        return (y, 1, 1), (y, 12, 31)
    return None


def period_key(period: str) -> tuple:
    """Sort key putting periods in time order (by start, then end); unknown forms last, alphabetically."""
    if ".." in period:
        a, b = (_bounds(x) for x in period.split("..", 1))
        if a and b:
            return (0, a[0], b[1], period)
    bounds = _bounds(period)
    if bounds:
        return (0, bounds[0], bounds[1], period)
    return (1, (0, 0, 0), (0, 0, 0), period)


def short_period(period: str) -> str:
    """An axis label: 'Nov 2025', 'Q3 2025', 'H1 2025', 'FY2025', '2025', 'Nov 3 2025'."""
    if ".." in period:
        a, b = period.split("..", 1)
        return f"{short_period(a)} to {short_period(b)}"
    b = _bounds(period)
    p = period.strip()
    if b is None or not re.fullmatch(r"\d{4}(-\d{1,2}){1,2}|\d{4}-?[QH][1-4]", p, re.I):
        return p
    if m := re.fullmatch(rf"{_YEAR}-?([QH][1-4])", p, re.I):
        return f"{m.group(2).upper()} {m.group(1)}"
    (y, mo, d), _ = b
    month = calendar.month_abbr[mo]
    return f"{month} {d} {y}" if p.count("-") == 2 else f"{month} {y}"


@dataclass
class ChartData:
    title: str
    unit: str
    periods: list[str]  # axis labels, in time order
    entities: list[str]
    points: list[dict] = field(default_factory=list)
    hedged: bool = False
    sources: list[str] = field(default_factory=list)


def cited_facts(answer: Answer) -> list[FactRow]:
    """The table figures the answer rests on, those its figures or calculations use first (a table row may hold
    several figures: revenue, margin, …)."""
    used = [v for call in answer.tool_calls for v in call.args.values()]
    used += [t.value for c in (answer.audit.claims if answer.audit else []) for t in c.numbers if t.where]
    facts = [f for c in shown_sources(answer) for f in c.facts]
    return sorted(facts, key=lambda f: not any(f.states(v) for v in used))  # stable: used ones first


def chart_data(answer: Answer, rows: list[FactRow]) -> ChartData | None:
    """What to chart for an answer: the first cited series, only the entities the answer cites, all their periods
    in the store. None when the answer cites no row or there is only one figure to show."""
    cited = cited_facts(answer)
    if not cited:
        return None
    first = cited[0]
    entities: list[str] = []
    for r in cited:
        if r.series == first.series and r.unit == first.unit and r.entity not in entities:
            entities.append(r.entity)
    picked: dict[tuple[str, str], FactRow] = {}
    for r in [*cited, *rows]:
        if r.series == first.series and r.unit == first.unit and r.entity in entities:
            picked.setdefault((r.entity, r.period), r)
    if len(picked) < 2:
        return None
    ordered = sorted(picked.values(), key=lambda r: (period_key(r.period), entities.index(r.entity)))
    periods: list[str] = []
    points = []
    for r in ordered:
        label = short_period(r.period)
        if label not in periods:
            periods.append(label)
        word = HEDGES.get(r.qualifier.lower(), "")
        mark = {"about": "≈", "below": "<", "under": "<", "above": ">", "over": ">"}.get(word, "")
        points.append({"period": label, "entity": r.entity, "value": r.value,
                       "label": f"{mark}{value_text(r.value, r.unit)}",
                       "figure": "exact" if not word else ("about" if word == "about" else "a bound")})
    return ChartData(title=first.label or first.series.replace("_", " "), unit=first.unit, periods=periods,
                     entities=entities, points=points, hedged=any(p["figure"] != "exact" for p in points),
                     sources=sorted({r.provenance or r.source_doc for r in picked.values() if r.provenance
                                     or r.source_doc}))


def vega_spec(data: ChartData) -> dict:
    """A grouped bar chart that stays readable at 420 px: legend below, labels horizontal, figures on the bars;
    figures the source hedges drawn lighter and marked ≈ (about) or < / > (a bound)."""
    one_period = len(data.periods) == 1
    x_field = "entity" if one_period else "period"
    x_sort = data.entities if one_period else data.periods
    encoding = {
        "x": {"field": x_field, "type": "nominal", "sort": x_sort, "title": None,
              "axis": {"labelAngle": 0, "labelLimit": 140}},
        "y": {"field": "value", "type": "quantitative", "title": data.unit or None},
        "color": {"field": "entity", "type": "nominal", "sort": data.entities,
                  "legend": None if one_period else {"orient": "top", "direction": "horizontal", "columns": 2,
                                                      "title": None, "labelLimit": 0}},
    }
    if not one_period:
        encoding["xOffset"] = {"field": "entity", "sort": data.entities}
    opacity = {"field": "figure", "type": "nominal", "legend": None,
               "scale": {"domain": ["exact", "about", "a bound"], "range": [0.95, 0.6, 0.3]}}
    return {
        "data": {"values": data.points},
        "height": 260,
        "encoding": encoding,
        "layer": [
            {"mark": {"type": "bar", "strokeWidth": 1.5},
             "encoding": {"opacity": opacity,
                          "strokeDash": {"field": "figure", "type": "nominal", "legend": None,
                                         "scale": {"domain": ["exact", "about", "a bound"],
                                                   "range": [[1, 0], [4, 2], [2, 2]]}},
                          "stroke": {"field": "entity", "type": "nominal", "sort": data.entities, "legend": None},
                          "tooltip": [{"field": "entity"}, {"field": "period"}, {"field": "label", "title": "figure"},
                                      {"field": "figure", "title": "as stated"}]}},
            {"mark": {"type": "text", "dy": -7, "fontSize": 11},
             "encoding": {"text": {"field": "label"}, "color": {"value": "#3c4043"}}},
        ],
    }
