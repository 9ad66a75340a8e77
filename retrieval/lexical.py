"""The lexical half of hybrid search: BM25 over the committed chunks, kept in SQLite beside the vector store and
updated one document at a time, so a new process searches a large store without rebuilding anything.

Scores follow the Lucene variant of BM25 that ``bm25s`` uses (k1 = 1.5, b = 0.75,
idf = ln(1 + (N - df + 0.5) / (df + 0.5))). Postings are stored per (token, chunk) with the term frequency and the
chunk length, so a query reads only the postings of its own tokens. The index remembers which version (file hash)
of each document it holds; ``VectorStore.sync_lexical`` brings it in line with the store's manifest, which repairs
it after a crash, after another process's ingest, or when the tokenizer changed (its fingerprint is stored).
"""

from __future__ import annotations

import hashlib
import inspect
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import numpy as np

K1 = 1.5
B = 0.75

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (doc_id TEXT PRIMARY KEY, file_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (rowid INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
    date TEXT NOT NULL, source_doc TEXT NOT NULL, length INTEGER NOT NULL, tokens TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id);
CREATE TABLE IF NOT EXISTS postings (token TEXT NOT NULL, rowid INTEGER NOT NULL, tf INTEGER NOT NULL,
    length INTEGER NOT NULL, PRIMARY KEY (token, rowid)) WITHOUT ROWID;
"""


def chunk_tokens(title: str, text: str) -> list[str]:
    from retrieval.search import lexical_tokens

    return lexical_tokens(f"{title} {text}") or ["_"]


def tokenizer_fingerprint() -> str:
    """Changes whenever the tokenizer's code changes, so an index built by another tokenizer is rebuilt."""
    from retrieval import search

    source = inspect.getsource(search.lexical_tokens) + " ".join(sorted(search._STOP))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


class LexicalIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        fingerprint = tokenizer_fingerprint()
        row = self.db.execute("SELECT value FROM meta WHERE key = 'tokenizer'").fetchone()
        if row is None or row[0] != fingerprint:
            with self._write():
                self.db.execute("DELETE FROM postings")
                self.db.execute("DELETE FROM chunks")
                self.db.execute("DELETE FROM docs")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('tokenizer', ?)", (fingerprint,))

    def _write(self):
        return _Transaction(self.db, self._lock)

    def close(self) -> None:
        self.db.close()

    # --- writing ------------------------------------------------------------------------------------------
    def versions(self) -> dict[str, str]:
        """doc_id -> file hash of every document the index holds."""
        with self._lock:
            return dict(self.db.execute("SELECT doc_id, file_hash FROM docs").fetchall())

    def put(self, doc_id: str, file_hash: str, chunks) -> None:
        """Index one document version (all its chunks), replacing any version held before."""
        with self._write():
            self._remove(doc_id)
            for c in chunks:
                row_source = c.row.source_doc if c.row is not None else ""
                self._add_chunk(c.id, doc_id, c.date or "", row_source, chunk_tokens(c.title, c.text))
            self.db.execute("INSERT OR REPLACE INTO docs VALUES (?, ?)", (doc_id, file_hash))

    def put_records(self, doc_id: str, file_hash: str, records) -> None:
        """Like ``put``, from stored (id, text, metadata) records."""
        with self._write():
            self._remove(doc_id)
            for cid, text, meta in records:
                self._add_chunk(cid, doc_id, str(meta.get("date", "") or ""), str(meta.get("row_source_doc", "") or ""),
                                chunk_tokens(str(meta.get("title", "") or ""), text or ""))
            self.db.execute("INSERT OR REPLACE INTO docs VALUES (?, ?)", (doc_id, file_hash))

    def remove(self, doc_id: str) -> None:
        with self._write():
            self._remove(doc_id)

    def clear(self) -> None:
        with self._write():
            for table in ("postings", "chunks", "docs"):
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)

    def _add_chunk(self, chunk_id, doc_id, date, source_doc, tokens) -> None:
        counts = Counter(tokens)
        cur = self.db.execute("INSERT OR REPLACE INTO chunks (chunk_id, doc_id, date, source_doc, length, tokens) "
                              "VALUES (?, ?, ?, ?, ?, ?)",
                              (chunk_id, doc_id, date, source_doc, len(tokens), " ".join(counts)))
        rowid = cur.lastrowid
        self.db.executemany("INSERT OR REPLACE INTO postings VALUES (?, ?, ?, ?)",
                            [(t, rowid, n, len(tokens)) for t, n in counts.items()])

    def _remove(self, doc_id: str) -> None:
        rows = self.db.execute("SELECT rowid, tokens FROM chunks WHERE doc_id = ?", (doc_id,)).fetchall()
        self.db.executemany("DELETE FROM postings WHERE token = ? AND rowid = ?",
                            [(t, rowid) for rowid, tokens in rows for t in tokens.split(" ")])
        self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self.db.execute("DELETE FROM docs WHERE doc_id = ?", (doc_id,))

    # --- reading ------------------------------------------------------------------------------------------
    def count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def search(self, tokens: list[str], pool: int, *, doc_ids=None, date_from=None, date_to=None,
               also: list[str] = ()) -> tuple[list[tuple[str, float]], dict[str, float]]:
        """The ``pool`` best chunks for ``tokens`` as (chunk_id, score / best score), best first, among the chunks
        the filters allow; and the same normalised score of each chunk id in ``also`` (0 when no token matches)."""
        tokens = list(dict.fromkeys(tokens))
        with self._lock:
            n_docs, total = self.db.execute("SELECT COUNT(*), COALESCE(SUM(length), 0) FROM chunks").fetchone()
            if not n_docs or not tokens:
                return [], {}
            avgdl = total / n_docs
            ids_parts, score_parts = [], []
            for token in tokens:
                rows = self.db.execute("SELECT rowid, tf, length FROM postings WHERE token = ?", (token,)).fetchall()
                if not rows:
                    continue
                arr = np.asarray(rows, dtype=np.float64)
                df = len(rows)
                idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
                tf, dl = arr[:, 1], arr[:, 2]
                score_parts.append(idf * tf / (tf + K1 * (1 - B + B * dl / avgdl)))
                ids_parts.append(arr[:, 0].astype(np.int64))
            if not ids_parts:
                return [], {}
            rowids, inverse = np.unique(np.concatenate(ids_parts), return_inverse=True)
            scores = np.bincount(inverse, weights=np.concatenate(score_parts))
            if doc_ids or date_from or date_to:
                allowed = self._allowed(doc_ids, date_from, date_to)
                keep = np.isin(rowids, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
                rowids, scores = rowids[keep], scores[keep]
            if not len(rowids):
                return [], {}
            best = float(scores.max()) or 1e-9
            order = np.argsort(-scores, kind="stable")[:pool]
            top_rowids = [int(r) for r in rowids[order]]
            names = self._chunk_ids(top_rowids)
            top = [(names[r], float(s) / best) for r, s in zip(top_rowids, scores[order]) if r in names]
            extra: dict[str, float] = {}
            if also:
                by_rowid = dict(zip(rowids.tolist(), scores.tolist()))
                for cid, rowid in self._rowids(list(also)).items():
                    extra[cid] = by_rowid.get(rowid, 0.0) / best
            return top, extra

    def _allowed(self, doc_ids, date_from, date_to) -> set[int]:
        where, args = [], []
        if doc_ids:
            marks = ",".join("?" * len(doc_ids))
            where.append(f"(doc_id IN ({marks}) OR source_doc IN ({marks}))")
            args += list(doc_ids) * 2
        if date_from:
            where.append("(date != '' AND date >= ?)")
            args.append(date_from)
        if date_to:
            where.append("(date != '' AND substr(date, 1, ?) <= ?)")
            args += [len(date_to), date_to]
        sql = "SELECT rowid FROM chunks WHERE " + " AND ".join(where)  # noqa: S608 (placeholders only)
        return {r[0] for r in self.db.execute(sql, args)}

    def _chunk_ids(self, rowids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for start in range(0, len(rowids), 500):
            part = rowids[start:start + 500]
            out.update(self.db.execute(f"SELECT rowid, chunk_id FROM chunks WHERE rowid IN ({','.join('?' * len(part))})",
                                       part).fetchall())
        return out

    def _rowids(self, chunk_ids: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start:start + 500]
            out.update(self.db.execute(
                f"SELECT chunk_id, rowid FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})", part).fetchall())
        return out


class _Transaction:
    """One write transaction (BEGIN IMMEDIATE: writers from other processes wait, readers go on)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock):
        self.db, self.lock = db, lock

    def __enter__(self):
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
        return False
