"""The lexical half of hybrid search: BM25 over the committed chunks, kept in SQLite beside the vector store and
updated one document at a time, so a new process searches a large store without rebuilding anything.

Scores follow the Lucene variant of BM25 that ``bm25s`` uses (k1 = 1.5, b = 0.75,
idf = ln(1 + (N - df + 0.5) / (df + 0.5))). Postings are stored per (token, chunk) with the term frequency and the
chunk length, grouped per (token, document) in one packed array, so a query reads only its own tokens' postings
in a few rows and a document is added or removed by its own rows. The index remembers which version (file hash)
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
CREATE TABLE IF NOT EXISTS docs (doc_id TEXT PRIMARY KEY, file_hash TEXT NOT NULL, n_chunks INTEGER NOT NULL,
    total_length INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (rowid INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
    date TEXT NOT NULL, source_doc TEXT NOT NULL, length INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id);
CREATE TABLE IF NOT EXISTS postings (token TEXT NOT NULL, doc_id TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (token, doc_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS postings_doc ON postings (doc_id);
"""
SCHEMA_VERSION = "3"  # postings packed per (token, document)


def chunk_tokens(title: str, text: str) -> list[str]:
    from retrieval.search import lexical_tokens

    return lexical_tokens(f"{title} {text}") or ["_"]


def tokenizer_fingerprint() -> str:
    """Changes whenever the tokenizer's code changes, so an index built by another tokenizer is rebuilt."""
    from retrieval import search

    source = (inspect.getsource(search.lexical_tokens) + inspect.getsource(search.stem) + " ".join(sorted(search._STOP))
              + " ".join(f"{k}={v}" for k, v in sorted(search.IRREGULAR.items())))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


class LexicalIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA synchronous=NORMAL")
        fingerprint = tokenizer_fingerprint() + "/" + SCHEMA_VERSION
        if self._fingerprint() == fingerprint:
            return  # the common case: open and read, no write at all
        self.db.execute("PRAGMA journal_mode=WAL")  # kept in the file: readers never wait for a writer
        with self._write():
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            if self._fingerprint() != fingerprint:  # another tokenizer or layout: start empty, sync refills
                for table in ("postings", "chunks", "docs"):
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 (fixed names)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('tokenizer', ?)", (fingerprint,))
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)

    def _fingerprint(self) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'tokenizer'").fetchone()
        except sqlite3.OperationalError:  # a new file: no tables yet
            return None
        return row[0] if row else None

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
        self._put(doc_id, file_hash, ((c.id, c.date or "", c.row.source_doc if c.row is not None else "",
                                       chunk_tokens(c.title, c.text)) for c in chunks))

    def put_records(self, doc_id: str, file_hash: str, records) -> None:
        """Like ``put``, from stored (id, text, metadata) records."""
        self._put(doc_id, file_hash, ((cid, str(meta.get("date", "") or ""), str(meta.get("row_source_doc", "") or ""),
                                       chunk_tokens(str(meta.get("title", "") or ""), text or ""))
                                      for cid, text, meta in records))

    def _put(self, doc_id: str, file_hash: str, items) -> None:
        with self._write():
            self._remove(doc_id)
            postings: dict[str, list[int]] = {}
            n_chunks = total = 0
            for chunk_id, date, source_doc, tokens in items:
                n_chunks += 1
                total += len(tokens)
                cur = self.db.execute("INSERT OR REPLACE INTO chunks (chunk_id, doc_id, date, source_doc, length) "
                                      "VALUES (?, ?, ?, ?, ?)", (chunk_id, doc_id, date, source_doc, len(tokens)))
                for token, tf in Counter(tokens).items():
                    postings.setdefault(token, []).extend((cur.lastrowid, tf, len(tokens)))
            self.db.executemany("INSERT INTO postings VALUES (?, ?, ?)",
                                ((t, doc_id, np.asarray(v, dtype=np.int64).tobytes()) for t, v in postings.items()))
            self.db.execute("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)", (doc_id, file_hash, n_chunks, total))

    def remove(self, doc_id: str) -> None:
        with self._write():
            self._remove(doc_id)

    def clear(self) -> None:
        with self._write():
            for table in ("postings", "chunks", "docs"):
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)

    def _remove(self, doc_id: str) -> None:
        for table in ("postings", "chunks", "docs"):
            self.db.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))  # noqa: S608 (fixed names)

    # --- reading ------------------------------------------------------------------------------------------
    def count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def _postings(self, token: str) -> np.ndarray:
        """A token's postings as rows of (chunk rowid, term frequency, chunk length); empty when it has none."""
        blobs = self.db.execute("SELECT data FROM postings WHERE token = ?", (token,)).fetchall()
        return np.frombuffer(b"".join(b[0] for b in blobs), dtype=np.int64).reshape(-1, 3)

    def doc_freq(self, tokens: list[str]) -> dict[str, int]:
        """How many stored chunks hold each token: what makes a word specific."""
        with self._lock, _Snapshot(self.db):
            return {token: len(self._postings(token)) for token in dict.fromkeys(tokens)}

    def search(self, tokens: list[str], pool: int, *, doc_ids=None, date_from=None, date_to=None,
               also: list[str] = ()) -> tuple[list[tuple[str, float]], dict[str, float]]:
        """The ``pool`` best chunks for ``tokens`` as (chunk_id, score / best score), best first, among the chunks
        the filters allow; and the same normalised score of each chunk id in ``also`` (0 when no token matches)."""
        tokens = list(dict.fromkeys(tokens))
        with self._lock, _Snapshot(self.db):
            n_docs, total = self.db.execute("SELECT COALESCE(SUM(n_chunks), 0), COALESCE(SUM(total_length), 0) "
                                            "FROM docs").fetchone()
            if not n_docs or not tokens:
                return [], {}
            avgdl = total / n_docs
            ids_parts, score_parts = [], []
            for token in tokens:
                arr = self._postings(token)
                if not len(arr):
                    continue
                df = len(arr)
                idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
                tf, dl = arr[:, 1].astype(np.float64), arr[:, 2].astype(np.float64)
                score_parts.append(idf * tf / (tf + K1 * (1 - B + B * dl / avgdl)))
                ids_parts.append(arr[:, 0])
            if not ids_parts:
                return [], {}
            # one dense array indexed by rowid: summing and ranking without sorting every match
            dense = np.bincount(np.concatenate(ids_parts), weights=np.concatenate(score_parts))
            if doc_ids or date_from or date_to:
                allowed = self._allowed(doc_ids, date_from, date_to)
                mask = np.zeros(len(dense), dtype=bool)
                keep = np.fromiter((r for r in allowed if r < len(dense)), dtype=np.int64)
                mask[keep] = True
                dense[~mask] = 0.0
            rowids = np.flatnonzero(dense)
            if not len(rowids):
                return [], {}
            scores = dense[rowids]
            best = float(scores.max()) or 1e-9
            if len(rowids) > pool:
                part = np.argpartition(-scores, pool - 1)[:pool]
                order = part[np.argsort(-scores[part], kind="stable")]
            else:
                order = np.argsort(-scores, kind="stable")
            top_rowids = [int(r) for r in rowids[order]]
            names = self._chunk_ids(top_rowids)
            top = [(names[r], float(s) / best) for r, s in zip(top_rowids, scores[order]) if r in names]
            extra: dict[str, float] = {}
            if also:
                for cid, rowid in self._rowids(list(also)).items():
                    extra[cid] = float(dense[rowid]) / best if rowid < len(dense) else 0.0
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


class _Snapshot:
    """One read transaction: every statement of a search sees the same committed state."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN")
        return self

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("COMMIT")
        return False


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
