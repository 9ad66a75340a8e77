"""Hybrid search: dense cosine similarity from Chroma plus BM25 over the same chunks, so exact figures, tickers and
names ("582", "LYC") rank high even where the embedding blurs them."""

from __future__ import annotations

import re

import numpy as np

from copilot.types import SearchHit
from retrieval.store import VectorStore, chunk_from_record

_STOP = set("""a an and are as at be by did do does for from has have how in is it its of on or that the this to
was were what when where which who why will with about after before than then there these those into over""".split())


_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ers", "er", "ies", "ied", "es", "ed", "s")


def stem(token: str) -> str:
    """A light suffix stem so 'recyclers', 'recycling' and 'recycled' meet; numbers are left as they are."""
    if len(token) <= 4 or token[0].isdigit():
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


def lexical_tokens(text: str) -> list[str]:
    """Lower-case, lightly stemmed word and number tokens; thousands separators removed so '6,150' matches
    '6150'; abbreviations with dots kept whole ('e.u.' -> 'eu')."""
    text = re.sub(r"\b([a-z])\.([a-z])\.", r"\1\2", text.lower())
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return [stem(t) for t in re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text) if t not in _STOP]


class HybridSearcher:
    def __init__(self, store: VectorStore, embedder, dense_weight: float = 0.6):
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight
        self._index_key = None
        self._bm25 = None
        self._records: list[tuple[str, str, dict]] = []
        self._row_of: dict[str, int] = {}

    def _lexical_index(self):
        key = (self.store.count(), tuple(sorted((d, v.file_hash) for d, v in self.store.committed().items())))
        if key != self._index_key:
            import bm25s

            self._records = [r for r in self.store.iter_all() if self.store.is_visible(r[2])]
            self._row_of = {cid: i for i, (cid, _, _) in enumerate(self._records)}
            corpus = [lexical_tokens(f"{m.get('title', '')} {text}") or ["_"] for _, text, m in self._records]
            self._bm25 = bm25s.BM25()
            if corpus:
                self._bm25.index(corpus, show_progress=False)
            self._index_key = key
        return self._bm25

    def search(self, query: str, k: int = 6, doc_ids: list[str] | None = None,
               date_from: str | None = None, date_to: str | None = None) -> list[SearchHit]:
        if self.store.count() == 0:
            return []
        qvec = self.embedder.embed([query])[0]
        bm25 = self._lexical_index()
        if not self._records:
            return []

        def allowed(meta: dict) -> bool:
            if doc_ids and meta.get("doc_id") not in doc_ids and meta.get("row_source_doc") not in doc_ids:
                return False
            date = str(meta.get("date", ""))
            if date_from and (not date or date < date_from):
                return False
            if date_to and (not date or date[: len(date_to)] > date_to):
                return False
            return True

        pool = max(4 * k, 24)
        dense: dict[str, float] = {}
        for cid, _text, meta, dist in self.store.query(qvec, pool * (3 if (doc_ids or date_from or date_to) else 1)):
            if self.store.is_visible(meta) and allowed(meta):
                dense[cid] = 1.0 - float(dist)

        lex_scores = np.zeros(len(self._records), dtype=np.float32)
        q_tokens = [t for t in lexical_tokens(query) if t in bm25.vocab_dict] if bm25 is not None else []
        if q_tokens:
            lex_scores = np.asarray(bm25.get_scores(q_tokens), dtype=np.float32)
        if doc_ids or date_from or date_to:
            mask = np.array([allowed(m) for _, _, m in self._records])
            lex_scores = np.where(mask, lex_scores, 0.0)
        top_lex = max(float(lex_scores.max()), 1e-9)
        lexical_ids = [self._records[i][0] for i in np.argsort(-lex_scores)[:pool] if lex_scores[i] > 0]

        missing = [cid for cid in lexical_ids if cid not in dense]
        for cid, vec in self.store.vectors(missing).items():
            dense[cid] = float(np.dot(vec, qvec))

        hits = []
        for cid, d in dense.items():
            idx = self._row_of.get(cid)
            if idx is None:
                continue
            lex = float(lex_scores[idx]) / top_lex
            _, text, meta = self._records[idx]
            score = self.dense_weight * max(d, 0.0) + (1 - self.dense_weight) * lex
            hits.append(SearchHit(chunk=chunk_from_record(cid, text, meta), score=round(score, 4),
                                  dense=round(d, 4), lexical=round(lex, 4)))
        hits.sort(key=lambda h: -h.score)
        return hits[:k]
