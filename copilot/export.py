"""Audited Q&A exports: JSONL (re-importable), Markdown and HTML reports, and a per-claim CSV."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path

from copilot.errors import ExportFileError
from copilot.numbers import format_number
from copilot.types import Answer

MARKS = {"supported": "✔ supported", "partial": "◐ partial", "unsupported": "✘ unsupported", "uncited": "○ uncited"}


def answers_to_jsonl(answers: list[Answer]) -> str:
    return "".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in answers)


def read_jsonl(path: Path) -> list[Answer]:
    """Exported answers from a JSONL file; ``ExportFileError`` when it is unreadable, empty or malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportFileError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    answers = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            answers.append(Answer.from_dict(json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise ExportFileError(f"{path}:{line_no}: not an exported answer ({str(exc).splitlines()[0][:120]})")
    if not answers:
        raise ExportFileError(f"{path} holds no exported answers (an empty file cannot be audited)")
    return answers


def figures_line(answer: Answer) -> str:
    a = answer.audit
    if a is None or not a.claims:
        return "No claims to audit." if answer.refused else "Not audited."
    pct = lambda v: "n/a" if v is None else f"{v:.0%}"  # noqa: E731
    return (f"Claims supported: {pct(a.claim_support_rate)} ({sum(c.verdict == 'supported' for c in a.claims)}/"
            f"{len(a.claims)}); citation precision: {pct(a.citation_precision)}; figures traced: "
            f"{a.numbers_traced}/{a.numbers_stated}; invented citations removed: {a.invented_citations_removed}")


def _md(text) -> str:
    """Text from a document, a person or the model, made inert in Markdown: HTML tags and entities are escaped (a
    rendered report never runs ``<script>`` or ``<img onerror>``), and link and image brackets are escaped so no
    field becomes a live link."""
    text = html.escape(strip_controls(str(text)), quote=False)
    return text.replace("[", "\\[").replace("]", "\\]")


def _md_refs(numbers) -> str:
    return " ".join(f"\\[{n}\\]" for n in numbers)


def _md_cell(text) -> str:
    return " ".join(_md(text).split()).replace("|", "\\|")


def answers_to_markdown(answers: list[Answer], title: str = "Audited Q&A") -> str:
    """A Markdown report. Every field that comes from a question, a document or the model goes through ``_md``."""
    out = [f"# {_md_cell(title)}", ""]
    for i, a in enumerate(answers, start=1):
        out += [f"## {i}. {_md_cell(a.question)}", "", _md(a.text), ""]
        refs = a.cited()
        if refs:
            out += ["**References**", ""]
            for c in refs:
                meta = ", ".join(x for x in (c.publisher, c.date, f"seed {c.seed}" if c.seed else "") if x)
                out.append(f"- {_md_refs([c.n])} {_md_cell(c.title or c.doc_id)}" + (f" ({_md_cell(meta)})" if meta else ""))
                out.append(f"  > {_md_cell(c.text)}")
            out.append("")
        if a.tool_calls:
            out += ["**Calculations**", "", "| [n] | tool | formula | result | inputs from |", "|---|---|---|---|---|"]
            for t in a.tool_calls:
                out.append(f"| {_md_refs([t.n])} | {_md_cell(t.name)} | {_md_cell(t.formula)} | "
                           f"{_md_cell(format_number(t.result, t.unit))} | "
                           f"{_md_refs(t.cites)} |")
            out.append("")
        if a.audit and a.audit.claims:
            out += ["**Audit**", "", "| claim | cites | verdict | reason | figures |", "|---|---|---|---|---|"]
            for c in a.audit.claims:
                figs = ", ".join(f"{t.raw} ({t.found_in})" for t in c.numbers) or "-"
                out.append(f"| {_md_cell(c.text)} | {_md_refs(c.citations) or '-'} | "
                           f"{MARKS.get(c.verdict, _md_cell(c.verdict))} | {_md_cell(c.reason)} | {_md_cell(figs)} |")
            out.append("")
        out += [f"*{_md_cell(figures_line(a))}*", "", f"> {_md_cell(a.disclaimer)}", "",
                f"<sub>model: {_md_cell(a.model)} · settings {_md_cell(a.settings_hash)} · {_md_cell(a.created_at)} · "
                f"answer {_md_cell(a.id)}</sub>", ""]
    return "\n".join(out)


def answers_to_html(answers: list[Answer], title: str = "Audited Q&A") -> str:
    def e(text) -> str:
        return html.escape(strip_controls(str(text)))

    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>"
             "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.45}"
             "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
             "blockquote{color:#444;border-left:3px solid #ccc;margin:0 0 .5rem 1rem;padding-left:.5rem}"
             ".supported{color:#176f2c}.partial{color:#9a6700}.unsupported{color:#b42318}.uncited{color:#555}"
             ".disclaimer{font-size:.9em;color:#555}</style></head><body>", f"<h1>{e(title)}</h1>"]
    for i, a in enumerate(answers, start=1):
        parts += [f"<section><h2>{i}. {e(a.question)}</h2>", f"<p>{e(a.text)}</p>"]
        refs = a.cited()
        if refs:
            parts.append("<h3>References</h3><ul>")
            for c in refs:
                meta = ", ".join(x for x in (c.publisher, c.date) if x)
                parts.append(f"<li>[{c.n}] {e(c.title or c.doc_id)} {e('(' + meta + ')') if meta else ''}"
                             f"<blockquote>{e(c.text)}</blockquote></li>")
            parts.append("</ul>")
        if a.tool_calls:
            parts.append("<h3>Calculations</h3><table><tr><th>[n]</th><th>tool</th><th>formula</th><th>result</th>"
                         "<th>inputs from</th></tr>")
            for t in a.tool_calls:
                parts.append(f"<tr><td>[{t.n}]</td><td>{e(t.name)}</td><td>{e(t.formula)}</td>"
                             f"<td>{e(format_number(t.result, t.unit))}</td>"
                             f"<td>{e(' '.join(f'[{n}]' for n in t.cites))}</td></tr>")
            parts.append("</table>")
        if a.audit and a.audit.claims:
            parts.append("<h3>Audit</h3><table><tr><th>claim</th><th>cites</th><th>verdict</th><th>reason</th>"
                         "<th>figures</th></tr>")
            for c in a.audit.claims:
                figs = ", ".join(f"{t.raw} ({t.found_in})" for t in c.numbers) or "-"
                parts.append(f"<tr><td>{e(c.text)}</td><td>{e(' '.join(f'[{n}]' for n in c.citations))}</td>"
                             f"<td class='{c.verdict}'>{e(MARKS[c.verdict])}</td><td>{e(c.reason)}</td>"
                             f"<td>{e(figs)}</td></tr>")
            parts.append("</table>")
        parts += [f"<p><em>{e(figures_line(a))}</em></p>", f"<p class='disclaimer'>{e(a.disclaimer)}</p>",
                  f"<p class='disclaimer'>model: {e(a.model)} · settings {e(a.settings_hash)} · {e(a.created_at)}</p>",
                  "</section>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def strip_controls(text: str) -> str:
    """Text without control characters other than tab and newline (a NUL or an escape sequence never reaches an
    export raw)."""
    return "".join(ch for ch in text if ch in "\t\n" or not (ord(ch) < 32 or 127 <= ord(ch) < 160))


def safe_cell(value) -> str:
    """Spreadsheet-safe text: control characters removed; a cell that starts like a formula is prefixed with an
    apostrophe."""
    text = "" if value is None else strip_controls(str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_COLUMNS = ["answer_id", "question", "claim", "citations", "verdict", "reason", "numbers_found",
               "numbers_not_found", "model", "settings_hash", "created_at"]


def answers_to_csv(answers: list[Answer]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for a in answers:
        claims = a.audit.claims if a.audit and a.audit.claims else []
        if not claims:
            writer.writerow([safe_cell(v) for v in (a.id, a.question, a.text, "", "refused" if a.refused else "",
                                                    a.refusal_reason, "", "", a.model, a.settings_hash, a.created_at)])
        for c in claims:
            found = "; ".join(f"{t.raw} ({t.found_in})" for t in c.numbers if t.found_in in ("cited", "tool"))
            missing = "; ".join(f"{t.raw} ({t.found_in})" for t in c.numbers if t.found_in not in ("cited", "tool"))
            writer.writerow([safe_cell(v) for v in (a.id, a.question, c.text, " ".join(f"[{n}]" for n in c.citations),
                                                    c.verdict, c.reason, found, missing, a.model, a.settings_hash,
                                                    a.created_at)])
    return buf.getvalue()


FORMATS = {"jsonl": answers_to_jsonl, "md": answers_to_markdown, "html": answers_to_html, "csv": answers_to_csv}


def check_sources_against_store(answer: Answer, store) -> list[str]:
    """Problems with the source texts an exported answer carries, compared with the store: a source whose chunk
    is gone or whose text differs from what the store holds. Calculation sources are derived, not stored."""
    stored = store.texts([c.chunk_id for c in answer.citations if c.kind != "calculation" and c.chunk_id])
    problems = []
    for c in answer.citations:
        if c.kind == "calculation":
            continue
        if not c.chunk_id:
            problems.append(f"source [{c.n}] names no stored chunk")
        elif c.chunk_id not in stored:
            problems.append(f"source [{c.n}] ({c.chunk_id}) is not in the store (changed or removed since export)")
        elif stored[c.chunk_id] != c.text:
            problems.append(f"source [{c.n}] ({c.chunk_id}) differs from the stored text")
    return problems


def reaudit(answers: list[Answer], embedder=None, **policy) -> list[Answer]:
    """Audit exported answers again from their text, citations and calculations alone."""
    from copilot.audit import audit_answer

    out = []
    for a in answers:
        removed = a.audit.invented_citations_removed if a.audit else 0
        report, _ = audit_answer(a.text, a.citations, a.tool_calls, embedder=embedder, invented_removed=removed,
                                 question=a.standalone_question or a.question, **policy)
        out.append(a.model_copy(update={"audit": report}))
    return out
