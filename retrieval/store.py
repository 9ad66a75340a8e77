"""The Chroma store: chunks in one collection, a manifest of committed document versions in another.

A document version becomes visible only when its manifest entry is written, after all its chunks; stale versions
are deleted after that. An interrupted ingest therefore never shows half a document, and a rerun picks up the
chunks already written (their ids are content-derived) and completes the rest.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np

from copilot.errors import StoreError
from copilot.types import Chunk, FactRow
from retrieval.tables import facts_from_metadata, facts_metadata

MAX_BATCH = 5000  # Chroma's limit here is 5461 records per call


@dataclass
class DocVersion:
    doc_id: str
    file_hash: str
    n_chunks: int
    path: str
    title: str = ""
    publisher: str = ""
    date: str = ""
    seed: str = ""
    kind: str = "text"  # text | table | knowledge (a corpus's data file: aliases, totals)
    knowledge: str = ""  # the data file's content as JSON, for kind knowledge


def _client(settings):
    from copilot.offline import apply_offline_switches

    apply_offline_switches()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        try:
            return chromadb.HttpClient(host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https",
                                       settings=chroma_settings)
        except Exception as exc:  # chromadb raises plain exceptions for connection problems
            raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(f"cannot open the Chroma store at {settings.chroma_path}: {exc}") from exc


class VectorStore:
    def __init__(self, settings, embedder_name: str):
        self.settings = settings
        self.client = _client(settings)
        try:
            self.chunks = self.client.get_or_create_collection(
                settings.collection, metadata={"hnsw:space": "cosine", "embedder": embedder_name})
            self.manifest = self.client.get_or_create_collection(
                settings.collection + "__manifest", metadata={"hnsw:space": "cosine"})
        except Exception as exc:
            raise StoreError(f"cannot open collection {settings.collection!r}: {exc}") from exc
        built_with = (self.chunks.metadata or {}).get("embedder")
        if built_with and built_with != embedder_name:
            raise StoreError(f"collection {settings.collection!r} was built with the {built_with} embedder, not "
                             f"{embedder_name}; use another COPILOT_COLLECTION or `copilot ingest --reset`")
        self._committed: dict[str, DocVersion] | None = None
        self._lexical = None
        self._preload: threading.Thread | None = None
        self._lexical_ready = threading.Event()
        self._lexical_ready.set()

    def preload(self) -> None:
        """Start loading the vector index in a background thread. Chroma reads a collection's HNSW index from disk
        on its first query (about 0.25 s at 100k chunks on 2 cores); started when the store opens, the load
        overlaps the embedder's and the question's embedding. ``query`` waits for it, so nothing runs twice."""
        if self._preload is None and not self.settings.chroma_url:
            self._lexical_ready.clear()
            self._preload = threading.Thread(target=self._load_index, name="chroma-preload", daemon=True)
            self._preload.start()

    def _load_index(self) -> None:
        try:  # the lexical index's connection and the manifest first: the search reads them before the vectors
            self.lexical.versions()
            self.committed()
        except Exception:
            pass
        finally:
            self._lexical_ready.set()
        try:
            first = self.chunks.peek(1).get("embeddings")
            if first is not None and len(first):
                dim = len(first[0])
                self.chunks.query(query_embeddings=[[0.0] * (dim - 1) + [1.0]], n_results=1, include=[])
        except Exception:  # a failed warm-up only means the first real query loads the index itself
            pass

    # --- the lexical index beside the store -----------------------------------------------------------------
    @property
    def lexical_path(self):
        s = self.settings
        if s.chroma_url:
            where = hashlib.sha256(s.chroma_url.encode()).hexdigest()[:10]
            return s.home / "lexical" / f"{s.collection}-server-{where}.sqlite3"
        return s.chroma_path / f"lexical-{s.collection}.sqlite3"

    @property
    def lexical(self):
        if self._lexical is None:
            from retrieval.lexical import LexicalIndex

            self._lexical = LexicalIndex(self.lexical_path)
        return self._lexical

    def sync_lexical(self):
        """The lexical index, brought in line with the manifest (re-read): versions it lacks are indexed from the
        stored chunks, documents no longer committed are dropped. Usually there is nothing to do."""
        self._lexical_ready.wait()
        self._committed = None
        committed = self.committed()
        index = self.lexical
        held = index.versions()
        for doc_id, version in committed.items():
            if held.get(doc_id) != version.file_hash:
                got = self.chunks.get(where={"$and": [{"doc_id": doc_id}, {"file_hash": version.file_hash}]},
                                      include=["documents", "metadatas"])
                index.put_records(doc_id, version.file_hash, zip(got["ids"], got["documents"], got["metadatas"]))
        for doc_id in held.keys() - committed.keys():
            index.remove(doc_id)
        return index

    # --- manifest -------------------------------------------------------------------------------------------
    def committed(self) -> dict[str, DocVersion]:
        if self._committed is None:
            got = self.manifest.get(include=["metadatas"])
            self._committed = {
                i: DocVersion(doc_id=i, **{k: m.get(k, "") for k in ("file_hash", "path", "title", "publisher",
                                                                       "date", "seed", "kind", "knowledge")},
                              n_chunks=int(m.get("n_chunks", 0)))
                for i, m in zip(got["ids"], got["metadatas"])
            }
        return self._committed

    def commit(self, version: DocVersion, chunks: list[Chunk] | None = None) -> None:
        """Make a document version visible. ``chunks`` (all of the version's chunks, when the caller has them)
        go to the lexical index at once; without them the index catches up from the store at the next search."""
        meta = {k: v for k, v in version.__dict__.items() if k != "doc_id"}
        self.manifest.upsert(ids=[version.doc_id], embeddings=[[1.0]], documents=[version.title or version.doc_id],
                             metadatas=[meta])
        self._committed = None
        if chunks is not None:
            self.lexical.put(version.doc_id, version.file_hash, chunks)

    def remove_document(self, doc_id: str) -> int:
        """Delete a document: its manifest entry first (it disappears from search at once), then its chunks and
        its lexical entries. Returns the number of chunks deleted."""
        self.manifest.delete(ids=[doc_id])
        self._committed = None
        ids = self.chunks.get(where={"doc_id": doc_id}, include=[])["ids"]
        for start in range(0, len(ids), MAX_BATCH):
            self.chunks.delete(ids=ids[start:start + MAX_BATCH])
        self.lexical.remove(doc_id)
        return len(ids)

    def stored_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), MAX_BATCH):
            found.update(self.chunks.get(ids=ids[start:start + MAX_BATCH], include=[])["ids"])
        return found

    def add(self, chunks: list[Chunk], vectors: np.ndarray, file_hash: str, n_chunks: int) -> None:
        for start in range(0, len(chunks), MAX_BATCH):
            part = chunks[start:start + MAX_BATCH]
            self.chunks.upsert(
                ids=[c.id for c in part],
                embeddings=[v.tolist() for v in vectors[start:start + MAX_BATCH]],
                documents=[c.text for c in part],
                metadatas=[self._meta(c, file_hash, n_chunks) for c in part],
            )

    @staticmethod
    def _meta(c: Chunk, file_hash: str, n_chunks: int) -> dict:
        meta = {"doc_id": c.doc_id, "file_hash": file_hash, "n_chunks": n_chunks, "position": c.position,
                "title": c.title, "publisher": c.publisher, "date": c.date, "seed": c.seed, "path": c.path,
                "kind": c.kind}
        if c.facts:
            meta.update(facts_metadata(c.facts))
        return meta

    def remove_stale(self, doc_id: str, keep_hash: str) -> int:
        stale = self.chunks.get(where={"$and": [{"doc_id": doc_id}, {"file_hash": {"$ne": keep_hash}}]},
                                include=[])["ids"]
        for start in range(0, len(stale), MAX_BATCH):
            self.chunks.delete(ids=stale[start:start + MAX_BATCH])
        return len(stale)

    def reset(self) -> None:
        self.lexical.clear()
        for name in (self.settings.collection, self.settings.collection + "__manifest"):
            try:
                self.client.delete_collection(name)
            except Exception:  # absent already
                pass

    # --- reading --------------------------------------------------------------------------------------------
    def count(self) -> int:
        return self.chunks.count()

    def is_visible(self, meta: dict) -> bool:
        version = self.committed().get(meta.get("doc_id", ""))
        return version is not None and version.file_hash == meta.get("file_hash")

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, str, dict, float]]:
        if self._preload is not None:
            self._preload.join()
        # no count() first: Chroma answers a larger n with what it has, and count() costs a scan on a big store
        res = self.chunks.query(query_embeddings=[vector.tolist()], n_results=max(1, n),
                                include=["documents", "metadatas", "distances"])
        return list(zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]))

    def records(self, ids: list[str]) -> dict[str, tuple[str, dict, np.ndarray]]:
        """id -> (text, metadata, vector) for the ids that exist."""
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        return {i: (t, m, np.asarray(e, dtype=np.float32))
                for i, t, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])}

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}

    def texts(self, ids: list[str]) -> dict[str, str]:
        """The stored text of each chunk id that exists (any version, committed or not)."""
        out: dict[str, str] = {}
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), MAX_BATCH):
            got = self.chunks.get(ids=ids[start:start + MAX_BATCH], include=["documents"])
            out.update(zip(got["ids"], got["documents"]))
        return out

    def document_text(self, doc_id: str) -> str:
        """The committed text of one document, its chunks in order (overlaps included)."""
        version = self.committed().get(doc_id)
        if version is None:
            return ""
        got = self.chunks.get(where={"$and": [{"doc_id": doc_id}, {"file_hash": version.file_hash}]},
                              include=["documents", "metadatas"])
        pairs = sorted(zip(got["metadatas"], got["documents"]), key=lambda p: int(p[0].get("position", 0)))
        return "\n".join(text for _, text in pairs)

    def iter_all(self, page: int = 5000):
        offset = 0
        while True:
            got = self.chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["documents"], got["metadatas"])
            offset += len(got["ids"])

    def fact_rows(self) -> list[FactRow]:
        """The typed figures of every committed table (from chunk metadata), for charts."""
        got = self.chunks.get(where={"kind": "row"}, include=["metadatas"])
        return [fact for meta in got["metadatas"] if self.is_visible(meta) for fact in facts_from_metadata(meta)]

    def knowledge(self) -> list[dict]:
        """The data files of the ingested corpora (aliases, totals), as stored."""
        import json

        return [json.loads(v.knowledge) for v in self.committed().values() if v.kind == "knowledge" and v.knowledge]

    def stats(self) -> dict:
        versions = self.committed().values()
        return {
            "documents": sum(1 for v in versions if v.kind == "text"),
            "tables": sum(1 for v in versions if v.kind == "table"),
            "chunks": self.count(),
        }


def chunk_from_record(cid: str, text: str, meta: dict) -> Chunk:
    return Chunk(id=cid, doc_id=meta.get("doc_id", ""), text=text, title=meta.get("title", ""),
                 publisher=meta.get("publisher", ""), date=meta.get("date", ""), seed=meta.get("seed", ""),
                 path=meta.get("path", ""), kind=meta.get("kind", "text"), position=int(meta.get("position", 0)),
                 facts=facts_from_metadata(meta))
