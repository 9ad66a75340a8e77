"""Wiring: one ``Runtime`` builds the embedder, the store, the searcher and the LLM from one Settings, lazily."""

from __future__ import annotations

import threading
from functools import cached_property

from copilot.settings import Settings


class Runtime:
    def __init__(self, settings: Settings | None = None, *, embedder=None, llm=None):
        from copilot.offline import apply_offline_switches

        self.settings = settings or Settings()
        apply_offline_switches(self.settings.home)
        self._embedder = embedder
        self._llm = llm
        self._llm_lock = threading.Lock()  # a warm-up thread and the first question start one model, not two

    @cached_property
    def embedder(self):
        if self._embedder is None:
            from retrieval.embedder import make_embedder

            self._embedder = make_embedder(self.settings)
        return self._embedder

    @cached_property
    def store(self):
        """Opened without loading the embedder: the store starts loading its vector index in the background
        (``VectorStore.preload``) while the embedder loads, so a new process's first search waits for neither
        in turn."""
        from retrieval.embedder import embedder_name
        from retrieval.store import VectorStore

        name = self._embedder.name if self._embedder is not None else embedder_name(self.settings)
        store = VectorStore(self.settings, name)
        store.preload()
        return store

    @cached_property
    def searcher(self):
        from retrieval.search import HybridSearcher

        store = self.store  # first: its index loads while the embedder does
        return HybridSearcher(store, self.embedder, self.settings.dense_weight)

    @property
    def knowledge(self):
        """The ingested corpora's data files, merged (aliases, totals)."""
        from copilot.types import CorpusKnowledge

        return CorpusKnowledge.merged(self.store.knowledge())

    @cached_property
    def llm(self):
        with self._llm_lock:
            if self._llm is None:
                from copilot.llm import make_llm

                self._llm = make_llm(self.settings)
        return self._llm

    def ingest(self, paths, progress: bool = True, on_file=None, root=None, on_chunks=None):
        from retrieval.ingest import ingest

        return ingest(paths, self.store, self.embedder, self.settings, progress=progress, on_file=on_file, root=root,
                      on_chunks=on_chunks)

    def doc_freq(self, tokens: list[str]) -> dict[str, int]:
        """How many stored chunks hold each (lexical) token."""
        return self.store.sync_lexical().doc_freq(tokens)

    def search(self, query: str, k: int | None = None, **filters):
        return self.searcher.search(query, k or self.settings.k, **filters)


_default: Runtime | None = None


def default_runtime(settings: Settings | None = None) -> Runtime:
    """A process-wide runtime (the embedded LLM server and the embedder load once)."""
    global _default
    if settings is not None:
        if _default is None or _default.settings != settings:
            _default = Runtime(settings)
        return _default
    if _default is None:
        _default = Runtime()
    return _default
