"""Ingest files into the store: load, chunk by tokens, embed in batches, write, commit, drop stale versions."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from tqdm import tqdm

from copilot.errors import LoadError
from copilot.types import Chunk, FileResult, IngestReport
from retrieval.loaders import SUPPORTED, LoadedDoc, load_file
from retrieval.store import DocVersion, VectorStore
from retrieval.tables import row_text


def iter_files(paths: list[Path]) -> tuple[list[Path], list[FileResult]]:
    """Files to ingest (folders walked in sorted order) and the paths rejected up front."""
    files: list[Path] = []
    rejected: list[FileResult] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED
                                and not f.name.startswith(".") and f.name.lower() != "readme.md"))
        elif p.is_file():
            files.append(p)
        else:
            rejected.append(FileResult(path=str(p), status="failed", reason="no such file or folder"))
    return files, rejected


def splitter(settings):
    from copilot.offline import apply_offline_switches

    apply_offline_switches()
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=settings.chunk_tokens, chunk_overlap=settings.chunk_overlap)


def make_chunks(doc: LoadedDoc, file_hash: str, settings, store: VectorStore | None = None) -> list[Chunk]:
    base = dict(doc_id=doc.doc_id, title=doc.title, publisher=doc.publisher, date=doc.date, seed=doc.seed,
                path=doc.path)
    if doc.facts:
        sources = store.committed() if store else {}
        texts: dict[str, str] = {}
        out = []
        for i, row in enumerate(doc.facts):
            src = sources.get(row.source_doc)
            meta = dict(base, title=src.title if src else doc.title, publisher=src.publisher if src else "",
                        date=src.date if src else "", seed=src.seed if src else "")
            if src is not None and row.source_doc not in texts:
                texts[row.source_doc] = store.document_text(row.source_doc)
            quote = stating_sentence(row, texts.get(row.source_doc, ""))
            text = row_text(row, meta["publisher"] or row.source_doc) + (f' It says: "{quote}"' if quote else "")
            out.append(Chunk(id=f"{doc.doc_id}:{file_hash[:12]}:{i}", text=text, kind="row", position=i, row=row,
                             **meta))
        return out
    if doc.records:
        return [Chunk(id=f"{doc.doc_id}:{file_hash[:12]}:{i}", text=f"{doc.title}, row {i + 1}: {rec}", kind="row",
                      position=i, **base) for i, rec in enumerate(doc.records)]
    pieces = splitter(settings).split_text(doc.text)
    return [Chunk(id=f"{doc.doc_id}:{file_hash[:12]}:{i}", text=t, position=i, **base) for i, t in enumerate(pieces)]


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
           on_file=None) -> IngestReport:
    """Ingest files and folders; ``on_file(done, total, name)`` reports progress to a UI."""
    started = time.perf_counter()
    files, results = iter_files(paths)
    seen: dict[str, str] = {}
    bar = tqdm(total=len(files), desc="ingest", unit="file", disable=not progress)
    for i, path in enumerate(files):
        bar.set_postfix_str(path.name[:30])
        if on_file:
            on_file(i, len(files), path.name)
        results.append(_ingest_one(path, store, embedder, settings, seen))
        bar.update(1)
    bar.close()
    return IngestReport(files=results, seconds=round(time.perf_counter() - started, 3))


def _ingest_one(path: Path, store: VectorStore, embedder, settings, seen: dict[str, str]) -> FileResult:
    try:
        doc = load_file(path)
        raw = path.read_bytes()
    except LoadError as exc:
        return FileResult(path=str(path), status="failed", reason=str(exc))
    if doc.doc_id in seen:
        return FileResult(path=str(path), status="failed",
                          reason=f"doc_id {doc.doc_id!r} already used by {seen[doc.doc_id]} in this run")
    seen[doc.doc_id] = str(path)
    recipe = f"{settings.chunk_tokens}/{settings.chunk_overlap}/{embedder.name}".encode()
    file_hash = hashlib.sha256(raw + b"\0" + recipe).hexdigest()
    previous = store.committed().get(doc.doc_id)
    if previous and previous.file_hash == file_hash:
        return FileResult(path=str(path), status="unchanged", chunks=previous.n_chunks)
    try:
        chunks = make_chunks(doc, file_hash, settings, store)
    except Exception as exc:  # a splitter failure on odd input should not stop the run
        return FileResult(path=str(path), status="failed", reason=f"cannot chunk: {exc}")
    if not chunks:
        return FileResult(path=str(path), status="failed", reason="no text content")
    present = store.stored_ids([c.id for c in chunks])  # written by an interrupted earlier run
    todo = [c for c in chunks if c.id not in present]
    for start in range(0, len(todo), settings.embed_batch):
        batch = todo[start:start + settings.embed_batch]
        store.add(batch, embedder.embed([embed_text(c) for c in batch]), file_hash, len(chunks))
    store.commit(DocVersion(doc_id=doc.doc_id, file_hash=file_hash, n_chunks=len(chunks), path=str(path),
                            title=doc.title, publisher=doc.publisher, date=doc.date, seed=doc.seed,
                            kind="table" if doc.is_table else "text"))
    store.remove_stale(doc.doc_id, file_hash)
    return FileResult(path=str(path), status="replaced" if previous else "added", chunks=len(chunks))
