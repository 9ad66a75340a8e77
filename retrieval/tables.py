"""Corpus tables as typed rows: the text record that is embedded for a row, and lookups the numeric tool uses."""

from __future__ import annotations

from copilot.types import FactRow

from copilot.numbers import MONTHS as _MONTHS


def format_value(value: float, unit: str) -> str:
    """6150, t -> '6,150 t'; 2.9e9, USD -> '$2.9 billion'; -11, % -> '-11%'."""
    if unit == "USD":
        for size, word in ((1e9, "billion"), (1e6, "million")):
            if abs(value) >= size:
                return f"${value / size:,.10g} {word}"
        return f"${value:,.10g}"
    number = f"{value:,.10g}"
    if unit == "count":
        return number
    if unit == "%":
        return f"{number}%"
    return f"{number} {unit}".strip()


def format_period(period: str) -> str:
    """'2025-11' -> 'November 2025'; ranges keep both ends."""
    if ".." in period:
        a, b = period.split("..", 1)
        return f"{format_period(a)} to {format_period(b)}"
    parts = period.split("-")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        month = _MONTHS[int(parts[1]) - 1]
        return f"{month} {int(parts[2])}, {parts[0]}" if len(parts) == 3 and parts[2].isdigit() else f"{month} {parts[0]}"
    return period


def row_text(row: FactRow, source: str = "") -> str:
    """The record embedded and shown to the model for one table row."""
    hedge = {"approx": "about ", "below": "below "}.get(row.qualifier, "")
    note = f" ({row.qualifier})" if row.qualifier and not hedge else ""
    label = row.label or row.series.replace("_", " ")
    text = f"{label}, {row.entity}, {format_period(row.period)}: {hedge}{format_value(row.value, row.unit)}{note}."
    return f"{text} Source: {source or row.source_doc}."


def row_metadata(row: FactRow) -> dict:
    return {
        "row_series": row.series, "row_entity": row.entity, "row_period": row.period,
        "row_value": float(row.value), "row_unit": row.unit, "row_qualifier": row.qualifier,
        "row_source_doc": row.source_doc, "row_provenance": row.provenance, "row_table": row.table,
        "row_label": row.label,
    }


def row_from_metadata(meta: dict) -> FactRow | None:
    if "row_series" not in meta:
        return None
    return FactRow(
        series=meta["row_series"], entity=meta["row_entity"], period=meta["row_period"],
        value=float(meta["row_value"]), unit=meta["row_unit"], qualifier=meta.get("row_qualifier", ""),
        source_doc=meta.get("row_source_doc", ""), provenance=meta.get("row_provenance", ""),
        table=meta.get("row_table", ""), label=meta.get("row_label", ""),
    )


def load_fact_tables(folder) -> list[FactRow]:
    """Every typed row of the CSV tables under ``folder`` (for charts and the numeric tool's checks)."""
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
