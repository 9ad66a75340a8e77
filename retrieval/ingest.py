"""Ingest files into the store: load, chunk by tokens, embed in batches, write, commit, drop stale versions."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from copilot.errors import DocIdCollision, LoadError
from copilot.types import Chunk, FileResult, IngestReport
from retrieval.loaders import KNOWLEDGE_FILE, SUPPORTED, LoadedDoc, load_file
from retrieval.store import DocVersion, VectorStore
from retrieval.tables import row_text


#: Bumped when the chunks a file yields change shape, so that a re-ingest rebuilds them.
CHUNK_FORMAT = 8


@dataclass
class FileToIngest:
    path: Path
    root: Path  # document ids of files without one in their front matter are paths relative to this


def _skip(path, reason: str) -> FileResult:
    return FileResult(path=str(path), status="skipped", reason=reason)


def iter_files(paths: list[Path], root: Path | None = None) -> tuple[list[FileToIngest], list[FileResult]]:
    """The files to ingest (folders walked in sorted order, symlinks followed once) and a result for every path
    left out, with its reason: missing, unsupported type, hidden, a folder README, a symlink loop, a broken link,
    a file reached twice.

    The ingest root (what ids are relative to) is ``root`` when given, else the folder holding the named
    folder or file's folder, so ``ingest a`` and ``ingest a/report.txt`` both name the file ``a/report.txt``."""
    files: list[FileToIngest] = []
    left_out: list[FileResult] = []
    seen_files: dict[tuple[int, int], Path] = {}

    def take(f: Path, base: Path) -> None:
        st = f.stat()
        key = (st.st_dev, st.st_ino)
        if key in seen_files:
            left_out.append(_skip(f, f"same file as {seen_files[key]} (a link), ingested once"))
            return
        seen_files[key] = f
        files.append(FileToIngest(f, base))

    for p in paths:
        p = Path(p)
        if p.is_dir():
            base = Path(root) if root is not None else Path(os.path.abspath(p)).parent
            walked: dict[tuple[int, int], str] = {}
            for folder, dirnames, filenames in os.walk(p, followlinks=True):
                st = os.stat(folder)
                key = (st.st_dev, st.st_ino)
                if key in walked:
                    left_out.append(_skip(folder, f"symlink loop or repeat: this folder was already walked as "
                                                  f"{walked[key]}"))
                    dirnames[:] = []
                    continue
                walked[key] = folder
                dirnames.sort()
                here = os.path.realpath(folder)
                for d in list(dirnames):
                    sub = Path(folder) / d
                    real = os.path.realpath(sub)
                    if d.startswith("."):
                        left_out.append(_skip(sub, "hidden folder"))
                        dirnames.remove(d)
                    elif sub.is_symlink() and (here == real or here.startswith(real.rstrip(os.sep) + os.sep)):
                        left_out.append(_skip(sub, f"symlink loop: it links to {real}, a folder that contains it"))
                        dirnames.remove(d)
                for name in sorted(filenames):
                    f = Path(folder) / name
                    if name == KNOWLEDGE_FILE:
                        continue  # the corpus's data file: read by ingest_knowledge
                    if name.startswith("."):
                        left_out.append(_skip(f, "hidden file"))
                    elif not f.exists():
                        left_out.append(FileResult(path=str(f), status="failed", reason="broken symlink"))
                    elif f.suffix.lower() not in SUPPORTED:
                        left_out.append(_skip(f, f"unsupported file type {f.suffix or '(none)'}; supported: "
                                                 f"{', '.join(sorted(SUPPORTED))}"))
                    elif name.lower() == "readme.md":
                        left_out.append(_skip(f, "a folder's README describes the folder; name it to ingest it"))
                    elif not f.is_file():
                        left_out.append(_skip(f, "not a regular file"))
                    else:
                        take(f, base)
        elif p.is_file():
            if p.name == KNOWLEDGE_FILE:  # a corpus data file is read by ingest_knowledge
                continue
            take(p, Path(root) if root is not None else Path(os.path.abspath(p)).parent.parent)
        else:
            left_out.append(FileResult(path=str(p), status="failed", reason="no such file or folder"))
    return files, left_out


def splitter(settings):
    from copilot.offline import apply_offline_switches

    apply_offline_switches()
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap)


def make_chunks(doc: LoadedDoc, file_hash: str, settings, store: VectorStore | None = None) -> list[Chunk]:
    base = dict(doc_id=doc.doc_id, title=doc.title, publisher=doc.publisher, date=doc.date, seed=doc.seed,
                path=doc.path)
    if doc.is_table:
        sources = store.committed() if store else {}
        texts: dict[str, str] = {}
        out = []
        for i, (record, facts) in enumerate(zip(doc.records, doc.record_facts)):
            meta = dict(base)
            src = sources.get(facts[0].source_doc) if facts else None
            if src is not None:  # a row that names the document stating its figures is cited as that document
                meta.update(title=src.title, publisher=src.publisher, date=src.date, seed=src.seed)
                if facts[0].source_doc not in texts:
                    texts[facts[0].source_doc] = store.document_text(facts[0].source_doc)
            if facts:
                quote = stating_sentence(facts[0], texts.get(facts[0].source_doc, "")) if src else ""
                text = row_text(facts, facts[0].entity, doc.title, meta["publisher"] if src else "", record)
                text += f' It says: "{quote}"' if quote else ""
            else:
                text = f"{doc.title}, row {i + 1}: {record}"
            out.append(Chunk(id=f"{doc.doc_id}:{file_hash[:12]}:{i}", text=text, kind="row", position=i,
                             facts=facts, **meta))
        return out
    pieces = with_headings(doc.text, splitter(settings).split_text(doc.text))
    return [Chunk(id=f"{doc.doc_id}:{file_hash[:12]}:{i}", text=t, position=i, **base) for i, t in enumerate(pieces)]


def with_headings(text: str, pieces: list[str]) -> list[str]:
    """Each chunk under the heading of the section it starts in, when the split left that heading in an earlier
    chunk: '- Bulk cement: 3.12 million tonnes' keeps 'TRAFFIC BY COMMODITY, H1 2025' above it, which dates it."""
    from copilot.numbers import is_heading

    out, at = [], 0
    for piece in pieces:
        found = text.find(piece[:80], at)
        if found < 0:
            out.append(piece)
            continue
        at = found + 1
        first = piece.lstrip().split("\n", 1)[0]
        heading = next((ln.strip() for ln in reversed(text[:found].split("\n")) if ln.strip() and is_heading(ln)),
                       None)
        out.append(f"{heading}\n{piece}" if heading and not is_heading(first) else piece)
    return out


def stating_sentence(row, document: str) -> str:
    """The sentence of the source document that states a row's figure (best match with the row's words), or ''."""
    from copilot.numbers import extract_numbers, sentences
    from retrieval.search import lexical_tokens

    words = set(lexical_tokens(f"{row.label} {row.entity}"))
    best, best_score = "", 0.0
    for sentence in sentences(document):
        sentence = sentence.strip(" -#*")
        if not sentence:
            continue
        if not any(row.states(n.value) for n in extract_numbers(sentence, words=True)):
            continue
        score = len(words & set(lexical_tokens(sentence))) + 0.01
        if score > best_score:
            best, best_score = sentence, score
    return best[:300]


def embed_text(chunk: Chunk) -> str:
    return chunk.text if chunk.kind == "row" else f"{chunk.title}\n{chunk.text}"


def ingest(paths: list[Path], store: VectorStore, embedder, settings, progress: bool = True,
           on_file=None, root: Path | None = None, on_chunks=None) -> IngestReport:
    """Ingest files and folders; ``on_file(done, total, name)`` and ``on_chunks(done, total, name)`` report
    progress to a UI. ``root``: what document ids are relative to (see ``iter_files``)."""
    started = time.perf_counter()
    files, results = iter_files(paths, root)
    results += ingest_knowledge(paths, store)
    seen: dict[str, str] = {}
    bar = tqdm(total=len(files), desc="ingest", unit="file", disable=not progress)
    for i, item in enumerate(files):
        bar.set_postfix_str(item.path.name[:30])
        if on_file:
            on_file(i, len(files), item.path.name)
        results.append(_ingest_one(item, store, embedder, settings, seen, progress, on_chunks))
        bar.update(1)
    bar.close()
    return IngestReport(files=results, seconds=round(time.perf_counter() - started, 3))


def ingest_knowledge(paths: list[Path], store: VectorStore) -> list[FileResult]:
    """A corpus's data file (``copilot.yaml`` in an ingested folder, or named directly) kept beside its documents."""
    import json

    from retrieval.loaders import KNOWLEDGE_FILE, load_knowledge

    results = []
    for p in map(Path, paths):
        path = p / KNOWLEDGE_FILE if p.is_dir() else p
        if path.name != KNOWLEDGE_FILE or not path.is_file():
            continue
        try:
            data = load_knowledge(path)
        except LoadError as exc:
            results.append(FileResult(path=str(path), status="failed", reason=str(exc)))
            continue
        doc_id = "knowledge:" + hashlib.sha256(str(path.resolve().parent).encode()).hexdigest()[:12]
        content = json.dumps(data, sort_keys=True)
        file_hash = hashlib.sha256(content.encode()).hexdigest()
        previous = store.committed().get(doc_id)
        if previous and previous.file_hash == file_hash:
            results.append(FileResult(path=str(path), status="unchanged"))
            continue
        store.commit(DocVersion(doc_id=doc_id, file_hash=file_hash, n_chunks=0, path=str(path),
                                title=f"Corpus data: {path.parent.name}", kind="knowledge", knowledge=content))
        results.append(FileResult(path=str(path), status="replaced" if previous else "added"))
    return results


def _same_file(stored: str, here: str) -> bool:
    """Is a manifest path the file at real path ``here``? New entries hold real paths; older ones may hold the
    path as it was typed (relative), which is resolved here (no system call for the common, absolute case)."""
    if not stored:
        return False
    return stored == here or (not os.path.isabs(stored) and os.path.realpath(stored) == here)


def _claim_id(doc: LoadedDoc, item: FileToIngest, store: VectorStore) -> str:
    """The id this file is stored under. An id stays with its file: a file stored before keeps its id; another
    file may take an id only when the file that held it is gone (moved). Otherwise ``DocIdCollision``."""
    here = os.path.realpath(item.path)
    committed = store.committed()
    explicit = doc.id_declared
    if not explicit:
        for version in committed.values():  # stored before under an older id (e.g. a stem from an older version)
            if _same_file(version.path, here):
                return version.doc_id
    previous = committed.get(doc.doc_id)
    if previous and previous.path and not _same_file(previous.path, here) and os.path.exists(previous.path):
        how = "its front matter declares" if explicit else "its path gives"
        raise DocIdCollision(f"{how} document id {doc.doc_id!r}, which belongs to {previous.path}; give one of them "
                             "another doc_id in its front matter" + ("" if explicit else " or ingest with --root"))
    return doc.doc_id


def _ingest_one(item: FileToIngest, store: VectorStore, embedder, settings, seen: dict[str, str],
                progress: bool = False, on_chunks=None) -> FileResult:
    path = item.path
    try:
        doc = load_file(path, item.root)
        doc.doc_id = _claim_id(doc, item, store)
        raw = path.read_bytes()
    except LoadError as exc:
        return FileResult(path=str(path), status="failed", reason=str(exc))
    if doc.doc_id in seen:
        return FileResult(path=str(path), status="failed",
                          reason=f"doc_id {doc.doc_id!r} already used by {seen[doc.doc_id]} in this run")
    seen[doc.doc_id] = str(path)
    recipe = f"{CHUNK_FORMAT}/{settings.chunk_tokens}/{settings.chunk_overlap}/{embedder.name}".encode()
    file_hash = hashlib.sha256(raw + b"\0" + recipe).hexdigest()
    previous = store.committed().get(doc.doc_id)
    here = os.path.realpath(path)
    if previous and previous.file_hash == file_hash:
        if previous.path != here:
            store.commit(DocVersion(**(previous.__dict__ | {"path": here})))  # moved, or stored by a relative path
        return FileResult(path=str(path), status="unchanged", chunks=previous.n_chunks)
    try:
        chunks = make_chunks(doc, file_hash, settings, store)
    except Exception as exc:  # a splitter failure on odd input should not stop the run
        return FileResult(path=str(path), status="failed", reason=f"cannot chunk: {exc}")
    if not chunks:
        return FileResult(path=str(path), status="failed", reason="no text content")
    present = store.stored_ids([c.id for c in chunks])  # written by an interrupted earlier run
    todo = [c for c in chunks if c.id not in present]
    bar = tqdm(total=len(chunks), initial=len(chunks) - len(todo), desc=f"embed {path.name[:24]}", unit="chunk",
               leave=False, disable=not progress or len(todo) < 2 * settings.embed_batch)
    for start in range(0, len(todo), settings.embed_batch):
        batch = todo[start:start + settings.embed_batch]
        store.add(batch, embedder.embed([embed_text(c) for c in batch]), file_hash, len(chunks))
        bar.update(len(batch))
        if on_chunks:
            on_chunks(len(chunks) - len(todo) + start + len(batch), len(chunks), path.name)
    bar.close()
    store.commit(DocVersion(doc_id=doc.doc_id, file_hash=file_hash, n_chunks=len(chunks), path=here,
                            title=doc.title, publisher=doc.publisher, date=doc.date, seed=doc.seed,
                            kind="table" if doc.is_table else "text"), chunks)
    store.remove_stale(doc.doc_id, file_hash)
    for version in list(store.committed().values()):  # the file now declares another id: its old one goes
        if version.doc_id != doc.doc_id and _same_file(version.path, here):
            store.remove_document(version.doc_id)
    return FileResult(path=str(path), status="replaced" if previous else "added", chunks=len(chunks))
