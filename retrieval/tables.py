"""Any CSV table as typed facts, whatever its headers.

A table is read in one of two shapes:
- *long*, with a value column (``value``/``amount``) and optionally ``unit``, ``series``/``metric``, ``period`` and
  ``qualifier`` columns: one fact per row;
- *wide*, with a label column and one or more numeric columns: one fact per numeric cell, the column header giving
  the series, its unit and scale and sometimes its period (``output_2025_t``, ``price_usd_per_t``,
  ``Revenue ($m)``, ``TEU 2024 (thousand)``); a date or period column, where there is one, gives the period.
The label column is the entity. Other short text columns (a ticker) stay with the row's text. Nothing here knows
any corpus: names a corpus needs beyond these rules (aliases, which rows are totals) come from its own data file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from copilot.numbers import (CURRENCY_PREFIX, CURRENCY_WORDS, SCALES, UNITS, extract_numbers, format_number,
                             is_currency_code, normalise_unit)
from copilot.periods import format_period, parse_period
from copilot.types import FactRow

_VALUE_COLS = {"value", "amount", "figure", "val"}
_UNIT_COLS = {"unit", "units", "uom"}
_SERIES_COLS = {"series", "metric", "indicator", "measure", "variable", "item", "kpi", "kpis", "metrics",
                "indicators", "measures"}
_PERIOD_COLS = {"period", "date", "month", "quarter", "year", "fy", "fiscal_year", "fiscal year", "time", "as_of",
                "as of", "reporting_period", "half"}
_QUALIFIER_COLS = {"qualifier", "flag", "hedge"}
_SOURCE_COLS = {"source_doc", "source"}
_LABEL_COLS = {"label", "description", "series_label"}
_PROVENANCE_COLS = {"provenance", "notes", "note"}
_TOTAL_WORDS = re.compile(r"^\s*(?:total|grand total|all\b.*|overall|sum|world(?:wide)?|aggregate|combined|"
                          r"[\w -]+\btotal)\s*$", re.I)  # 'Five-city total
_HEDGES = [(re.compile(r"^\s*(?:~|≈|approx\.?|approximately|about|around|c\.|circa|roughly|nearly)\s*", re.I), "approx"),
           (re.compile(r"^\s*(?:<|below|under|less than)\s*", re.I), "below"),
           (re.compile(r"^\s*(?:>|above|over|more than)\s*", re.I), "above")]


@dataclass
class Column:
    name: str
    role: str  # entity | period | value | unit | series | qualifier | source | label | provenance | number | text
    series: str = ""
    unit: str = ""
    scale: float = 1.0
    period: str = ""


def _key(header: str) -> str:
    return " ".join(header.strip().lower().replace("_", " ").split())


def parse_cell(text: str) -> tuple[float, str, str] | None:
    """A cell's number, its unit (if the cell says one) and its hedge: '~6,150' -> (6150, '', 'approx'),
    '$2.9bn' -> (2.9e9, 'USD', ''), '12.8%' -> (12.8, '%', ''). None for a cell that is not one number."""
    text = text.strip()
    if not text:
        return None
    qualifier = ""
    for pattern, name in _HEDGES:
        if pattern.match(text):
            text, qualifier = pattern.sub("", text, count=1), name
            break
    text = re.sub(r"^\((.*)\)$", r"-\1", text)  # accounting negatives
    text = re.sub(r"^\+\s*(?=\d)", "", text)  # '+5.8', a change written with its sign
    nums = [n for n in extract_numbers(text) if n.kind not in ("date",)]
    if len(nums) != 1:
        return None
    n = nums[0]
    rest = (text[:n.start] + text[n.end:]).strip(" ,")
    if rest and not re.fullmatch(r"[A-Za-z/%$€£¥]{0,8}", rest):
        return None
    return n.value, n.unit, qualifier


#: Three-letter words of headers that are no currency's code ('fee_tax_per_t', 'net_avg_per_day').
_WORDS3 = set("tax net raw avg max min all new old fee oil gas car bus sea air day age end top low mid sum per "
              "one two six ten own ".split())


def parse_header(header: str) -> Column:
    """Series, unit, scale and period from a header: 'output_2025_t' -> output, t, 2025;
    'price_usd_per_t' -> price, USD/t; 'Revenue ($m)' -> Revenue, USD x1e6; 'TEU 2024 (thousand)' -> TEU x1e3."""
    text = header.strip()
    unit, scale, period = "", 1.0, ""
    bracket = re.search(r"[(\[]([^)\]]*)[)\]]", text)
    words = text
    if bracket:
        words = (text[:bracket.start()] + " " + text[bracket.end():]).strip()
        for part in bracket.group(1).split(","):  # 'Sites (2025)', 'Output (2024, t)': a bracket may date it
            part = part.strip()
            if parse_period(part) and not _unit_phrase(part)[0].isalpha():
                period = parse_period(part) or ""
            elif part:
                part_unit, part_scale = _unit_phrase(part)
                unit = unit or part_unit
                scale = part_scale if part_scale != 1 else scale
    tokens = [t for t in re.split(r"[\s_]+|-(?=(?:19|20)\d\d\b)", words) if t]
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        low = tok.lower()
        found_period = parse_period(tok) or (parse_period(" ".join(tokens[i:i + 2])) if i + 1 < len(tokens) else None)
        if found_period and not (low.isdigit() and len(low) != 4):
            two = parse_period(" ".join(tokens[i:i + 2])) if i + 1 < len(tokens) else None
            period = two or found_period
            i += 2 if two and two != found_period else 1
            continue
        if low in ("pct", "percent", "%", "share", "pc") and not unit:
            unit = "%"
            if low != "share":
                i += 1
                continue
        if low == "per" and i + 1 < len(tokens) and unit:
            per = UNITS.get(tokens[i + 1].lower(), tokens[i + 1])
            unit = f"{unit}/{per}"
            i += 2
            continue
        if low in CURRENCY_PREFIX or (low in CURRENCY_WORDS and low not in ("pound", "pounds")):
            if not unit:
                unit = CURRENCY_PREFIX.get(low) or CURRENCY_WORDS[low]
                i += 1
                continue
        if not unit and kept and re.fullmatch(r"[a-z]{3}", low) and low not in UNITS and low not in _WORDS3 and \
                i + 1 < len(tokens) and \
                (tokens[i + 1].lower() == "per" or tokens[i + 1].lower() in SCALES):
            unit = low.upper()  # a currency's code before 'per' or a scale: 'price_tvc_per_100kg', 'revenue_nvk_m'
            i += 1
            continue
        if low in SCALES and kept and (unit or i == len(tokens) - 1) and low not in ("b",):
            scale = SCALES[low]
            i += 1
            continue
        if low in UNITS and not unit and (i == len(tokens) - 1 or low not in ("units", "shares", "days", "years",
                                                                             "months", "hours")):
            unit = UNITS[low]
            if low not in ("teu",):  # a unit that also names the measure stays in the series name
                i += 1
                continue
        kept.append(tok)
        i += 1
    # 'Employees 2024': the unit word is the series too
    series = (" ".join(kept).strip(" -:") or " ".join(t for t in tokens if not parse_period(t)).strip(" -:")
              or header.strip())
    return Column(name=header, role="number", series=series, unit=unit, scale=scale, period=period)


def _unit_phrase(text: str) -> tuple[str, float]:
    """'$m' -> ('USD', 1e6); 'thousand' -> ('', 1e3); 'EUR/MWh' -> ('EUR/MWh', 1); 't' -> ('t', 1)."""
    low = text.lower().replace(" ", "")
    scale = 1.0
    m = re.fullmatch(r"(us\$|\$|€|£|¥|[a-z]{3})?(k|m|mn|bn|b|(?:thousand|million|billion|trillion)s?)?(?:/(.+))?", low)
    if m and (m.group(1) or m.group(2)):
        cur = CURRENCY_PREFIX.get(m.group(1) or "", "") or CURRENCY_WORDS.get(m.group(1) or "", "")
        code = text.strip()[:3]
        if m.group(1) and not cur and m.group(2) and is_currency_code(code) and (
                text.strip()[3:4] in " /" or text.strip()[3:].lower() in SCALES):
            cur = code  # 'TVD m', 'VMK million', 'KSKm': a currency's code with a scale
        if m.group(1) and not cur:
            return (UNITS.get(low, text.strip()), 1.0)
        if m.group(2):
            scale = SCALES[m.group(2) if m.group(2) in SCALES else m.group(2)[:-1]]
        unit = cur
        if m.group(3):
            unit = f"{cur or ''}/{UNITS.get(m.group(3), m.group(3))}"
        return unit, scale
    if low in ("%", "pct", "percent"):
        return "%", 1.0
    words = text.split()
    if len(words) >= 2 and words[0].lower() in SCALES and words[0].lower() not in ("m", "b"):  # 'thousand pallets'
        unit, scale = _unit_phrase(" ".join(words[1:]))
        return unit, scale * SCALES[words[0].lower()]
    if "/" in text:
        a, b = text.split("/", 1)
        a_cur = CURRENCY_PREFIX.get(a.strip().lower()) or CURRENCY_WORDS.get(a.strip().lower()) or a.strip()
        return f"{a_cur}/{UNITS.get(b.strip().lower(), b.strip())}", 1.0
    return UNITS.get(low, text.strip()), 1.0


def _classify(header: list[str], records: list[dict[str, str]]) -> list[Column]:
    cols: list[Column] = []
    for h in header:
        key = _key(h)
        cells = [r[h] for r in records if r.get(h, "").strip()]
        numeric = sum(parse_cell(c) is not None for c in cells)
        periods = sum(parse_period(c) is not None for c in cells)
        if key in _VALUE_COLS:
            cols.append(Column(h, "value"))
        elif key in _UNIT_COLS:
            cols.append(Column(h, "unit"))
        elif key in _SERIES_COLS:
            cols.append(Column(h, "series"))
        elif key in _QUALIFIER_COLS:
            cols.append(Column(h, "qualifier"))
        elif key in _SOURCE_COLS or key.replace(" ", "_") in _SOURCE_COLS:
            cols.append(Column(h, "source"))
        elif key in _LABEL_COLS:
            cols.append(Column(h, "label"))
        elif key in _PROVENANCE_COLS:
            cols.append(Column(h, "provenance"))
        elif cells and (key in _PERIOD_COLS or periods >= 0.8 * len(cells)) and periods >= 0.5 * len(cells):
            cols.append(Column(h, "period"))
        elif cells and numeric >= 0.6 * len(cells):
            cols.append(parse_header(h))
        else:
            cols.append(Column(h, "text"))
    _long_by_words(cols, records)
    texts = [c for c in cols if c.role == "text"]
    if texts:
        texts[0].role = "entity"
    return cols


def _long_by_words(cols: list[Column], records: list[dict[str, str]]) -> None:
    """A long table under its own column names ('kpi_name, kpi_value, kpi_unit', 'metric_label, amount_eur',
    'kpi, reading, unit'): with one numeric column and a series or unit column (or a text column whose header has a
    series or unit word), the numeric column holds each
    row's value (its header's unit, if any, stands where the row gives none), the others name its series and unit."""
    if any(c.role == "value" for c in cols):
        return
    numbers = [c for c in cols if c.role == "number"]
    texts = [c for c in cols if c.role == "text"]
    if len(numbers) != 1:
        return
    # 'farmer; period; kpi; reading; unit': the series and unit columns are named outright, the value is not
    found = any(c.role in ("series", "unit") for c in cols)
    if len(texts) < 2 and not found:
        return
    for c in texts[1:]:  # the first text column is the entity
        words = set(_key(c.name).split())
        if words & _UNIT_COLS and not any(c.role == "unit" for c in cols):
            c.role, found = "unit", True
        elif words & _SERIES_COLS and not any(c.role == "series" for c in cols):
            c.role, found = "series", True
    if found:
        number = numbers[0]
        number.role = "value"


def table_facts(header: list[str], records: list[dict[str, str]], table: str,
                totals: set[str] | None = None) -> list[list[FactRow]]:
    """Typed facts of each record (a list per record, empty where the record holds no figure)."""
    cols = _classify(header, records)
    by_role: dict[str, list[Column]] = {}
    for c in cols:
        by_role.setdefault(c.role, []).append(c)
    first = lambda role: by_role.get(role, [None])[0]  # noqa: E731
    entity_col, period_col = first("entity"), first("period")
    totals = {t.lower() for t in (totals or set())}
    out: list[list[FactRow]] = []
    for line, rec in enumerate(records, start=2):
        entity = rec.get(entity_col.name, "").strip() if entity_col else ""
        extra = [rec[c.name].strip() for c in by_role.get("text", [])[0:] if c is not entity_col and rec.get(c.name, "").strip()]
        short = [x for x in extra if len(x) <= 6 and x.upper() == x and x.isalnum()]
        name = f"{entity} ({short[0]})" if entity and short and short[0] not in entity else entity
        row_period = parse_period(rec.get(period_col.name, "")) or rec.get(period_col.name, "").strip() if period_col else ""
        is_total = bool(entity) and (bool(_TOTAL_WORDS.match(entity)) or entity.lower() in totals)
        provenance = rec.get(first("provenance").name, "") if first("provenance") else ""
        source_doc = rec.get(first("source").name, "") if first("source") else ""
        base = dict(entity=name or table, source_doc=source_doc or f"table-{table}",
                    provenance=provenance or f"table {table}, row {line}", table=table, is_total=is_total)
        facts: list[FactRow] = []
        if first("value") is not None:
            parsed = parse_cell(rec.get(first("value").name, ""))
            if parsed is not None:
                value, cell_unit, hedge = parsed
                unit_cell = rec.get(first("unit").name, "").strip() if first("unit") else ""
                unit, scale = _unit_phrase(unit_cell) if unit_cell else (first("value").unit, first("value").scale)
                if scale != 1 and cell_unit in ("", unit):  # a unit cell 'EUR million' or 'thousand pallets'
                    value *= scale
                series = rec.get(first("series").name, "").strip() if first("series") else ""
                label = rec.get(first("label").name, "").strip() if first("label") else ""
                qualifier = rec.get(first("qualifier").name, "").strip() if first("qualifier") else hedge
                value, unit = normalise_unit(value, unit or cell_unit)
                facts.append(FactRow(series=series or first("value").name, label=label or series.replace("_", " "),
                                     period=row_period, value=value, unit=unit, qualifier=qualifier, **base))
        for c in cols:
            if c.role != "number":
                continue
            parsed = parse_cell(rec.get(c.name, ""))
            if parsed is None:
                continue
            value, cell_unit, hedge = parsed
            unit = c.unit or cell_unit
            if c.scale != 1 and cell_unit in ("", unit):
                value *= c.scale
            series_id = re.sub(r"[^a-z0-9]+", "_", f"{c.series} {unit}".lower()).strip("_")
            value, unit = normalise_unit(value, unit)
            facts.append(FactRow(series=series_id, label=c.series, period=c.period or row_period, value=value,
                                 unit=unit, qualifier=hedge, **base))
        out.append(facts)
    return out


_UNLESS = re.compile(r"\s*[,;]?\s*\b(?:unless|except|excluding|excl|including|incl|where)\b.*$", re.I)
_SCALE_WORDS = {"k": "thousand", "thousand": "thousand", "thousands": "thousand", "m": "million", "mn": "million",
                "million": "million", "millions": "million", "bn": "billion", "b": "billion", "billion": "billion",
                "billions": "billion"}


def _cell_unit(text: str, loose: bool = False) -> tuple[str, str] | None:
    """What a header's bracket or a table's corner note says its figures are in, as (unit, scale word):
    '£ million unless stated' -> ('GBP', 'million'), 'tonnes' -> ('tonnes', ''), 'millions' -> ('', 'million'),
    '%' -> ('%', ''). None where it says no unit ('Item', '% of benchmark' stays with its header)."""
    text = _UNLESS.sub("", text).strip()
    # a price per unit: 'EUR/MWh', '€ per t', 'ct/kWh' (a hundredth of a currency)
    # ('TVC per 100 kg': per a number of units)
    rate = re.fullmatch(r"((?:\S+\s+)?(?:cents?|ct)|\S+?)\s*(?:/|\bper\s)\s*(\d+\s?)?([A-Za-z][\w-]*)", text, re.I)
    if rate:
        head = rate.group(1)
        money = "ct" if re.search(r"\b(?:cents?|ct)$|¢", head, re.I) else (
            CURRENCY_PREFIX.get(head.lower()) or CURRENCY_WORDS.get(head.lower()) or
            (head if is_currency_code(head) else ""))
        if money:
            return f"{money}/{(rate.group(2) or '').strip()}{UNITS.get(rate.group(3).lower(), rate.group(3))}", ""
    words = text.replace("$", "$ ").split()
    if not words or len(words) > 3:
        return None
    unit, scale = "", ""
    for w in words:
        low = w.lower().strip(".")
        if low in _SCALE_WORDS and not scale and (len(words) > 1 or len(low) > 2):
            scale = _SCALE_WORDS[low]
        elif not unit and (low in CURRENCY_PREFIX or low in CURRENCY_WORDS or is_currency_code(w)):
            unit = CURRENCY_PREFIX.get(low) or CURRENCY_WORDS.get(low) or w
        elif not unit and low in ("%", "percent", "pct"):
            unit = "%"
        elif not unit and (low in UNITS or (loose and re.fullmatch(r"[a-z][a-z-]*s", low) and len(words) <= 2)):
            unit = w  # a header's bracket may name any counted thing: '(bags)', '(60-kg bags)'
        elif loose and not unit and re.fullmatch(r"\d+-[a-z]+", low) and len(words) == 2:
            continue  # '60-kg' of '60-kg bags'
        else:
            return None
    return (unit, scale) if unit or scale else None


def _with_unit(cell: str, unit: tuple[str, str] | None) -> str:
    """A cell's figure written with the unit its header gives, unless the cell writes one itself:
    ('412.6', ('GBP', 'million')) -> '£412.6 million'; ('+5.8', ('%', '')) -> '+5.8%'."""
    parsed = parse_cell(cell)
    if unit is None or parsed is None or parsed[1] or re.search(r"[%$€£¥]|[A-Za-z]{2,}", cell):
        return cell
    code, scale = unit
    text = f"{cell} {scale}".strip()
    if code == "%":
        return cell + "%"
    money, _, per = code.partition("/")
    if re.fullmatch(r"[A-Z]{3}", money):
        symbol = {"USD": "US$", "EUR": "€", "GBP": "£", "JPY": "¥"}.get(money)
        return (f"{symbol}{text}" if symbol else f"{money} {text}") + (f"/{per}" if per else "")
    return f"{text} {code}".strip()


def caption_unit(caption: str) -> tuple[str, str] | None:
    """The unit a table's caption gives at its end: 'Overnight stays, thousands', 'Revenue (EUR million)' or 'Key
    figures (EUR million unless otherwise stated)'."""
    m = re.search(r"(?:,|\bin)\s+([^,()]{1,30})$|\(([^()]{1,60})\)$", caption.strip().rstrip(":"))
    return _cell_unit(m.group(1) or m.group(2)) if m else None


def table_lines(rows: list[list[str]], caption: str = "") -> list[str]:
    """A table in a document (HTML or Markdown) as one readable line per row, each figure beside its column's
    name and unit, so that a row stands alone as a passage: 'Brazil: April-June 2025 was 168,400 bags; April-June
    2024 was 159,200 bags; Change +5.8%.' A row named by a month or quarter with no year takes the year of the column
    ('July' under '2025 (tonnes)' is July 2025). A unit at the end of the table's caption ('..., thousands') is that
    of every column that states none."""
    rows = [[" ".join(c.split()) for c in r] for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        return [" ".join(r) for r in rows]
    header, body = rows[0], rows[1:]
    corner = (_cell_unit(header[0]) if header[0] else None) or caption_unit(caption)
    out = []
    for row in body:
        row = row + [""] * (len(header) - len(row))
        label = row[0]
        bracket = re.search(r"\(([^)]*)\)\s*$", label)
        row_unit = _cell_unit(bracket.group(1), loose=True) if bracket else None
        if row_unit:
            label = label[:bracket.start()].strip()
        # a row named by a month, quarter or stretch of months with no year ('July', 'January–August')
        yearless = (parse_period(label) or "").startswith("*") or (
            not parse_period(label) and ".." in (parse_period(f"{label} 2000") or ""))
        parts = []
        for head, cell in zip(header[1:], row[1:]):
            if not cell.strip():
                continue
            hb = re.search(r"\(([^)]*)\)\s*$", head)
            col_unit = _cell_unit(hb.group(1), loose=True) if hb else None
            name = head[:hb.start()].strip() if col_unit else head
            if hb and col_unit is None and hb.group(1).strip().startswith("%"):
                col_unit = ("%", "")  # '(% of benchmark)': a percent, its header kept whole
            head_period = parse_period(name)
            year = re.search(r"\b(?:19|20)\d{2}\b", name)
            if yearless and head_period and re.fullmatch(r"\d{4}", head_period):
                name = f"{label} {name}"  # 'July' under '2025': July 2025
            elif yearless and year:  # 'July' under 'Household price 2025': Household price July 2025
                name = f"{name[:year.start()]}{label} {name[year.start():]}"
            # a header ending in a date or figure is joined to its cell by 'was': 'Active sites 30 Sep 2025 was 33',
            # not '... 2025 33'
            joint = " was " if re.search(r"\d\)?$", name) else " "
            parts.append(f"{name}{joint}{_with_unit(cell, row_unit or col_unit or corner)}".strip())
        if parts:
            lead = "" if yearless and all(
                p.startswith(label) for p in parts) else f"{label}: "
            out.append(f"{lead}{'; '.join(parts)}.")
    return out


def record_extras(header: list[str], records: list[dict[str, str]]) -> list[str]:
    """Each record's fields that are neither figures nor its name, period, unit or source: 'region: Nordics'."""
    cols = _classify(header, records)
    text_cols = [c.name for c in cols if c.role == "text"]
    out = []
    for rec in records:
        fields = [(k, rec.get(k, "").strip()) for k in text_cols]
        out.append("; ".join(f"{k}: {v}" for k, v in fields if v and not (len(v) <= 6 and v.isupper())))
    return out


def fact_text(fact: FactRow) -> str:
    """'output, Q3 2025: about 1,200 MW' (the entity is said once per row by ``row_text``)."""
    hedge = {"approx": "about ", "below": "below ", "above": "above "}.get(fact.qualifier, "")
    note = f" ({fact.qualifier})" if fact.qualifier and not hedge else ""
    label = fact.label or fact.series.replace("_", " ")
    when = f", {format_period(fact.period)}" if fact.period else ""
    return f"{label}{when}: {hedge}{format_number(fact.value, fact.unit)}{note}"


def row_text(facts: list[FactRow], entity: str, table_title: str, source: str = "", extra: str = "") -> str:
    """The record embedded and shown to the model for one table row: every figure of the row, once, and the
    row's other fields."""
    periods = {f.period for f in facts}
    when = ""
    if len(facts) > 1 and len(periods) == 1 and "" not in periods:  # one period for the whole row: said once
        when = f", {format_period(facts[0].period)}"
        facts = [f.model_copy(update={"period": ""}) for f in facts]
    body = "; ".join(fact_text(f) for f in facts)
    where = f" Source: {source}." if source else ""
    more = f" ({extra})" if extra else ""
    return f"{table_title}, {entity}{more}{when}: {body}.{where}"


def facts_metadata(facts: list[FactRow]) -> dict:
    return {"facts_json": json.dumps([f.to_dict() for f in facts]),
            "row_source_doc": ",".join(sorted({f.source_doc for f in facts}))}


def facts_from_metadata(meta: dict) -> list[FactRow]:
    raw = meta.get("facts_json")
    if not raw:
        return []
    return [FactRow.from_dict(d) for d in json.loads(raw)]


def load_fact_tables(folder) -> list[FactRow]:
    """Every typed fact of the CSV tables under ``folder`` (unreadable tables are left out)."""
    from pathlib import Path

    from copilot.errors import LoadError
    from retrieval.loaders import load_file

    rows: list[FactRow] = []
    for path in sorted(Path(folder).rglob("*.csv")):
        try:
            rows.extend(load_file(path).facts)
        except LoadError:
            continue
    return rows
