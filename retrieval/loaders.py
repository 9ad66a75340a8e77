"""Read txt, md, html, pdf and csv files into documents. A file that cannot be read raises ``LoadError``."""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from copilot.errors import LoadError
from copilot.types import FactRow

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".csv"}
FACT_COLUMNS = {"series", "entity", "period", "value", "unit"}


@dataclass
class LoadedDoc:
    """A file's text and metadata; for a table, its rows (typed facts or plain records)."""

    doc_id: str
    path: str
    title: str
    text: str = ""
    publisher: str = ""
    date: str = ""
    seed: str = ""
    facts: list[FactRow] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    id_declared: bool = False  # True when the id comes from the file's front matter, not from its path

    @property
    def is_table(self) -> bool:
        return bool(self.facts or self.records)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "doc"


def path_doc_id(path: Path, root: Path | None = None) -> str:
    """A document id from a file's place: its path relative to ``root`` (default: the file's own folder), with
    its extension, so ``a/report.txt``, ``b/report.txt`` and ``a/report.pdf`` never share an id. A file outside
    ``root`` is named by its absolute path."""
    path = Path(os.path.abspath(path))
    root = Path(os.path.abspath(root)) if root is not None else path.parent
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def load_file(path: Path, root: Path | None = None) -> LoadedDoc:
    """Load one file. Its document id is the ``doc_id`` of its front matter, else ``path_doc_id(path, root)``."""
    doc = _load(Path(path))
    doc.id_declared = bool(doc.doc_id)
    if not doc.doc_id:
        doc.doc_id = path_doc_id(path, root)
    return doc


def _load(path: Path) -> LoadedDoc:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise LoadError(f"unsupported file type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED))}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError("empty file")
    if suffix == ".pdf":
        return _load_pdf(path, data)
    text = _decode(data)
    if suffix == ".csv":
        doc = _load_csv(path, text)
        doc.doc_id = ""  # a table is named by its path too, like any file without front matter
        return doc
    if suffix in (".html", ".htm"):
        return _load_html(path, text)
    return _load_text(path, text)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError("binary content, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise LoadError("not valid UTF-8 or Windows-1252 text") from exc
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > 0.02 * min(len(text), 4096):
        raise LoadError("binary content, not text")
    return text


def _split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---"):
        return {}, text
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, re.S)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"malformed front matter: {str(exc).splitlines()[0]}") from exc
    if not isinstance(meta, dict):
        raise LoadError("malformed front matter: not a mapping")
    return {k: ("" if v is None else str(v)) for k, v in meta.items()}, text[match.end():]


def _doc(path: Path, text: str, meta: dict, title: str = "") -> LoadedDoc:
    text = text.strip()
    if not text:
        raise LoadError("no text content")
    return LoadedDoc(
        doc_id=meta.get("doc_id", "").strip(),
        path=str(path),
        title=meta.get("title") or title or path.stem,
        text=text,
        publisher=meta.get("publisher", ""),
        date=meta.get("date", ""),
        seed=meta.get("seed", ""),
    )


def _load_text(path: Path, text: str) -> LoadedDoc:
    meta, body = _split_front_matter(text)
    heading = re.search(r"^#\s+(.+)$", body, re.M)
    return _doc(path, body, meta, heading.group(1).strip() if heading else "")


def _load_html(path: Path, text: str) -> LoadedDoc:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "footer"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    meta = {m.get("name", "").lower(): m.get("content", "") for m in soup.find_all("meta") if m.get("name")}
    body = soup.get_text("\n")
    body = re.sub(r"\n\s*\n+", "\n\n", body)
    return _doc(path, body, {"publisher": meta.get("author", ""), "date": meta.get("date", "")}, title)


def _load_pdf(path: Path, data: bytes) -> LoadedDoc:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
        title = str(info.get("/Title", "") or "")
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__})") from exc
    text = "\n\n".join(pages).strip()
    if not text:
        raise LoadError("PDF has no extractable text (scanned image?)")
    return _doc(path, text, {}, title)


def _load_csv(path: Path, text: str) -> LoadedDoc:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise LoadError("CSV has no data rows")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise LoadError("malformed CSV: header has empty or repeated column names")
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise LoadError(f"malformed CSV: row {line_no} has {len(row)} fields, header has {len(header)}")
    records = [dict(zip(header, (c.strip() for c in row))) for row in rows[1:]]
    doc = LoadedDoc(doc_id=f"table-{slug(path.stem)}", path=str(path), title=f"Table: {path.stem}")
    if FACT_COLUMNS <= set(header):
        for line_no, rec in enumerate(records, start=2):
            try:
                value = float(rec["value"].replace(",", ""))
            except ValueError:
                raise LoadError(f"malformed CSV: row {line_no} value {rec['value']!r} is not a number") from None
            if not rec.get("source_doc"):
                raise LoadError(f"malformed CSV: row {line_no} names no source_doc")
            doc.facts.append(
                FactRow(
                    series=rec["series"], entity=rec["entity"], period=rec["period"], value=value,
                    unit=rec["unit"], qualifier=rec.get("qualifier", ""), source_doc=rec["source_doc"],
                    provenance=rec.get("provenance", ""), table=path.stem, label=rec.get("label", ""),
                )
            )
    else:
        doc.records = ["; ".join(f"{k}: {v}" for k, v in rec.items() if v) for rec in records]
    return doc
