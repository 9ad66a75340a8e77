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
#: A corpus's own knowledge (aliases, totals), read beside its documents: see ``load_knowledge``.
KNOWLEDGE_FILE = "copilot.yaml"


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
    records: list[str] = field(default_factory=list)
    record_facts: list[list[FactRow]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    id_declared: bool = False  # True when the id comes from the file's front matter, not from its path

    @property
    def is_table(self) -> bool:
        return bool(self.records)

    @property
    def facts(self) -> list[FactRow]:
        return [f for facts in self.record_facts for f in facts]


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


_PUBLISHER_KEYS = ("publisher", "company", "issuer", "organisation", "organization", "author", "source")


#: Dot leaders between a label and its figure ('Revenue .......... TVC 3,486 million'): the figure is the label's.
_LEADERS = re.compile(r"(?<=\S)[ \t]*(?:\.[ \t]?){4,}[ \t]*(?=\S)")


def _doc(path: Path, text: str, meta: dict, title: str = "") -> LoadedDoc:
    text = _LEADERS.sub(": ", text).strip()
    if not text:
        raise LoadError("no text content")
    return LoadedDoc(
        doc_id=meta.get("doc_id", "").strip(),
        path=str(path),
        title=meta.get("title") or title or path.stem,
        text=text,
        # whom the document is from or about, under the names front matter commonly gives it
        publisher=next((meta[k] for k in _PUBLISHER_KEYS if meta.get(k, "").strip()), ""),
        date=meta.get("date") or meta.get("published", ""),
        seed=meta.get("seed", ""),
    )


#: a line that starts a block of its own: a heading, a list item, a table row, a quote, a code fence
_BLOCK_START = re.compile(r"^\s*(?:#|[-*+\u2022|>]\s|\||```|\d{1,2}[.)](?:\s|$)|[A-Za-z][.)]\s)")
#: a line nothing carries on from: a heading, a table row, a code fence (a list item may wrap)
_NO_CONTINUATION = re.compile(r"^\s*(?:#|\||```)")
_CONTINUES = re.compile(r"(?:[,;(\u2013\u2014-]|\b(?:of|the|a|an|and|or|to|in|for|with|by|at|from|on|per|than|as|"
                        r"its|their|which|that|was|were|is|are|be|into|over|under|between)|\$|€|£|¥)$", re.I)


def unwrap(text: str) -> str:
    """Hard-wrapped lines (a PDF's lines, a plain-text file cut at 72 or 80 columns) joined back into the
    paragraphs they came from, so that a sentence is one sentence: a line joins the next when that one carries on
    in lower case, or it ends in a word that cannot end a sentence ('of', 'the', a comma), or it runs near the
    page's full width without a full stop. Headings, list items, table rows and blank lines stay as they are."""
    lines = text.split("\n")
    widths = sorted(len(ln.rstrip()) for ln in lines if ln.strip())
    width = widths[int(len(widths) * 0.9)] if len(widths) >= 5 else 0  # the page's usual full line
    out: list[str] = []
    for line in lines:
        prev = out[-1].rstrip() if out else ""
        if prev.strip() and line.strip() and not _BLOCK_START.match(line) and not _NO_CONTINUATION.match(prev) \
                and not prev.endswith(("  ", ":")) and (
                    re.match(r"\s*[a-z(]", line) or _CONTINUES.search(prev)
                    or (width >= 60 and len(prev) >= 0.8 * width and not re.search(r"[.!?:]['\")]?$", prev))):
            out[-1] = prev + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")  # GFM: one hyphen or more


def _caption_as_heading(out: list[str]) -> str:
    """The short line right above a table ('Overnight stays in all tourist accommodation, thousands') is its caption:
    made a heading, it stands above every chunk of the table's rows, which would otherwise lose what they count."""
    from copilot.numbers import is_heading

    at = next((k for k in range(len(out) - 1, -1, -1) if out[k].strip()), None)
    if at is None:
        return ""
    line = out[at].strip()
    # (a line that calls itself a table may be long: 'Table 1 - Key figures by quarter, ... (TVC million unless
    # stated otherwise)')
    labelled = re.match(r"\W*table\s+[\w.]+\s*[-\u2013\u2014:.]", line, re.I) and len(line) < 300
    if not labelled and (len(line) >= 100 or len(line.split()) > 15) or re.search(r"[.!?]$", line):
        return ""
    if not is_heading(line):
        out[at] = f"#### {line}"
    return line.lstrip("#").strip()


def _pipe_tables(text: str) -> str:
    """Markdown pipe tables as one readable line per row (``retrieval.tables.table_lines``)."""
    from retrieval.tables import table_lines

    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _PIPE_ROW.match(lines[i]) and i + 1 < len(lines) and _PIPE_RULE.match(lines[i + 1]):
            j = i + 2
            while j < len(lines) and _PIPE_ROW.match(lines[j]):
                j += 1
            rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in [lines[i]] + lines[i + 2:j]]
            out += table_lines(rows, _caption_as_heading(out))
            i = j
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


def _load_text(path: Path, text: str) -> LoadedDoc:
    meta, body = _split_front_matter(text)
    heading = re.search(r"^#\s+(.+)$", body, re.M)
    return _doc(path, _pipe_tables(unwrap(body)), meta, heading.group(1).strip() if heading else "")


def _load_html(path: Path, text: str) -> LoadedDoc:
    from bs4 import BeautifulSoup, Comment, Doctype

    from retrieval.tables import table_lines

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "footer"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    meta = {m.get("name", "").lower(): m.get("content", "") for m in soup.find_all("meta") if m.get("name")}
    # inline markup is part of its sentence ('<strong>Corvel Air plc</strong>: licence renewed'), and a block's
    # text wrapped in the source is one line
    for tag in soup.find_all(["strong", "b", "em", "i", "u", "span", "a", "abbr", "code", "sup", "sub", "small",
                              "mark", "time", "q", "cite"]):
        tag.unwrap()
    soup.smooth()
    for string in soup.find_all(string=True):
        if isinstance(string, (Comment, Doctype)):
            string.extract()
        elif string.parent is not None and string.parent.name != "pre":
            string.replace_with(re.sub(r"[ \t\r\n]+", " ", string))
    for tag in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):  # a heading stays one, as in Markdown
        tag.string = "#" * int(tag.name[1]) + " " + tag.get_text(" ", strip=True)
    for table in soup.find_all("table")[::-1]:  # innermost last: a table's rows as readable lines
        rows = [[cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
        caption = table.caption.get_text(" ", strip=True) if table.caption else ""
        table.replace_with("\n\n" + "\n".join(([f"#### {caption}"] if caption else []) + table_lines(rows, caption))
                           + "\n\n")
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
        author = str(info.get("/Author", "") or "")
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__})") from exc
    text = "\n\n".join(unwrap(page) for page in pages).strip()
    if not text:
        raise LoadError("PDF has no extractable text (scanned image?)")
    return _doc(path, text, {"publisher": author}, title)


def _load_csv(path: Path, text: str) -> LoadedDoc:
    """Any CSV: rows that do not fit the header (or repeat it) are left out and reported, the rest are typed."""
    from retrieval.tables import record_extras, table_facts

    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise LoadError("CSV has no data rows")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise LoadError("malformed CSV: header has empty or repeated column names")
    warnings: list[str] = []
    records = []
    for line_no, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row]
        if cells == header:
            warnings.append(f"row {line_no} repeats the header; left out")
        elif len(row) != len(header):
            warnings.append(f"row {line_no} has {len(row)} fields, header has {len(header)}; left out")
        else:
            records.append(dict(zip(header, cells)))
    if not records:
        raise LoadError("malformed CSV: no row fits the header" + (f" ({warnings[0]})" if warnings else ""))
    name = slug(path.stem)
    title = f"Table: {path.stem.replace('_', ' ')}"
    doc = LoadedDoc(doc_id=f"table-{name}", path=str(path), title=title, warnings=warnings)
    doc.record_facts = table_facts(header, records, path.stem)
    if any(doc.record_facts):
        lines = [n for n, row in enumerate(rows[1:], start=2) if [c.strip() for c in row] != header
                 and len(row) == len(header)]
        warnings += [f"row {line} holds no figure (a number was expected); kept as text"
                     for line, facts in zip(lines, doc.record_facts) if not facts]
    # the record's own words where it holds no figure, else its fields that are not figures ('region: Nordics')
    extras = record_extras(header, records)
    doc.records = [extra if facts else "; ".join(f"{k}: {v}" for k, v in rec.items() if v)
                   for rec, facts, extra in zip(records, doc.record_facts, extras)]
    return doc


def load_knowledge(path: Path) -> dict:
    """A corpus's data file: ``aliases`` (name -> other names) and ``totals`` (entities that are totals of the
    others). Raises LoadError when it is not such a mapping."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LoadError(f"unreadable corpus data file: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise LoadError("corpus data file must be a mapping with 'aliases' and/or 'totals'")
    aliases = data.get("aliases") or {}
    totals = data.get("totals") or []
    if not isinstance(aliases, dict) or not all(isinstance(v, list) for v in aliases.values()) \
            or not isinstance(totals, list):
        raise LoadError("corpus data file: 'aliases' maps a name to a list of names; 'totals' is a list")
    return {"aliases": {str(k): [str(x) for x in v] for k, v in aliases.items()},
            "totals": [str(t) for t in totals]}
