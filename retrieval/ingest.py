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


#: Bumped when the chunks a file yields change shape, so that a re-ingest rebuilds them.
CHUNK_FORMAT = 2


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
            if p.name != "copilot.yaml":  # a corpus data file is read by ingest_knowledge
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
    results += ingest_knowledge(paths, store)
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
    recipe = f"{CHUNK_FORMAT}/{settings.chunk_tokens}/{settings.chunk_overlap}/{embedder.name}".encode()
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
