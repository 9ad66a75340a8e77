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


#: Past forms of common English verbs that no suffix rule reaches: a question in the present ('how much did it
#: buy?') meets a report in the past ('it bought 18,900 tonnes').
IRREGULAR = {"bought": "buy", "sold": "sell", "paid": "pay", "made": "make", "grew": "grow", "grown": "grow",
             "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall", "spent": "spend", "built": "build",
             "held": "hold", "took": "take", "taken": "take", "gave": "give", "given": "give", "brought": "bring",
             "kept": "keep", "sent": "send", "lost": "lose", "won": "win", "went": "go", "gone": "go", "came": "come",
             "ran": "run", "drove": "drive", "driven": "drive", "wrote": "write", "written": "write", "bore": "bear",
             "borne": "bear", "shrank": "shrink", "shrunk": "shrink", "dealt": "deal", "meant": "mean", "lent": "lend",
             "owed": "owe", "stood": "stand", "caught": "catch", "chose": "choose", "chosen": "choose",
             "flew": "fly", "flown": "fly", "dug": "dig", "fed": "feed", "froze": "freeze", "frozen": "freeze"}


def stem(token: str) -> str:
    """A light suffix stem so 'recyclers', 'recycling' and 'recycled' meet, and a common irregular past ('bought')
    its verb ('buy'); numbers are left as they are."""
    token = IRREGULAR.get(token, token)
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
    """Dense hits from Chroma and BM25 hits from the persisted lexical index (``retrieval.lexical``), merged.
    Nothing is held in memory between searches but the open connections: a new process searches at once."""

    def __init__(self, store: VectorStore, embedder, dense_weight: float = 0.6):
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight

    def search(self, query: str, k: int = 6, doc_ids: list[str] | None = None,
               date_from: str | None = None, date_to: str | None = None) -> list[SearchHit]:
        index = self.store.sync_lexical()  # re-reads the manifest: what another process committed is seen
        if not self.store.committed():
            return []
        qvec = self.embedder.embed([query])[0]

        def allowed(meta: dict) -> bool:
            if doc_ids and meta.get("doc_id") not in doc_ids and meta.get("row_source_doc") not in doc_ids:
                return False
            date = str(meta.get("date", ""))
            if date_from and (not date or date < date_from):
                return False
            if date_to and (not date or date[: len(date_to)] > date_to):
                return False
            return True

        filtered = bool(doc_ids or date_from or date_to)
        pool = max(4 * k, 24)
        found: dict[str, tuple[float, str, dict]] = {}
        for cid, text, meta, dist in self.store.query(qvec, pool * (3 if filtered else 1)):
            if self.store.is_visible(meta) and allowed(meta):
                found[cid] = (1.0 - float(dist), text, meta)

        top, lexical = index.search(lexical_tokens(query), pool, doc_ids=doc_ids, date_from=date_from,
                                    date_to=date_to, also=list(found))
        lexical.update(top)
        missing = [cid for cid, _ in top if cid not in found]
        for cid, (text, meta, vec) in self.store.records(missing).items():
            if self.store.is_visible(meta) and allowed(meta):
                found[cid] = (float(np.dot(vec, qvec)), text, meta)

        hits = []
        for cid, (d, text, meta) in found.items():
            lex = lexical.get(cid, 0.0)
            score = self.dense_weight * max(d, 0.0) + (1 - self.dense_weight) * lex
            hits.append(SearchHit(chunk=chunk_from_record(cid, text, meta), score=round(score, 4),
                                  dense=round(d, 4), lexical=round(lex, 4)))
        hits.sort(key=lambda h: -h.score)
        return hits[:k]
