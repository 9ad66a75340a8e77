"""The persisted lexical index: same BM25 as bm25s, updated per document at ingest and removal, searched by a new
process without any rebuild, and repaired from the store when it falls behind."""

import numpy as np
import pytest

from copilot.runtime import Runtime
from retrieval.embedder import FakeEmbedder
from retrieval.lexical import LexicalIndex
from retrieval.search import lexical_tokens

DOCS = {
    "ports.md": "# Ports\nRotterdam handled 13.4 million TEU. Antwerp volumes fell 2%. Hamburg rail links grew.",
    "coffee.md": "# Coffee\nArabica futures rose 6,150 points; robusta stocks in Vietnam fell. Roasters hedged.",
    "power.md": "# Power\nGerman baseload power for Q3 traded at 82 EUR/MWh. Solar output hit a record in June.",
    "grain.md": "# Grain\nSoybean exports from Santos rose. Wheat freight to Egypt fell. Corn barges waited.",
}


@pytest.fixture
def folder(tmp_path):
    f = tmp_path / "desk"
    f.mkdir()
    for name, text in DOCS.items():
        (f / name).write_text(text)
    return f


def _versions(rt):
    return {d: v.file_hash for d, v in rt.store.committed().items()}


def test_scores_match_bm25s(runtime, folder):
    import bm25s

    runtime.ingest([folder], progress=False)
    records = [r for r in runtime.store.iter_all()]
    corpus = [lexical_tokens(f"{m['title']} {t}") or ["_"] for _, t, m in records]
    ref = bm25s.BM25()
    ref.index(corpus, show_progress=False)
    for query in ["arabica futures 6,150", "power solar June", "freight Egypt wheat fell", "volumes fell"]:
        tokens = [t for t in lexical_tokens(query) if t in ref.vocab_dict]
        expected = np.asarray(ref.get_scores(tokens))
        expected = expected / expected.max()
        top, _ = runtime.store.lexical.search(lexical_tokens(query), 50)
        got = dict(top)
        for (cid, _, _), want in zip(records, expected):
            assert got.get(cid, 0.0) == pytest.approx(want, abs=1e-6), (query, cid)


def test_index_follows_each_ingest_and_removal(runtime, folder):
    runtime.ingest([folder], progress=False)
    index = runtime.store.lexical
    assert index.versions() == _versions(runtime) and index.count() == runtime.store.count()
    (folder / "coffee.md").write_text("# Coffee\nCocoa grinding in Ghana slowed.")
    runtime.ingest([folder], progress=False)
    assert index.versions() == _versions(runtime)
    assert index.search(["arabica"], 10)[0] == []  # the old version's words are gone
    assert index.search(["cocoa"], 10)[0][0][0].startswith("desk/coffee.md:")
    runtime.store.remove_document("desk/power.md")
    assert "desk/power.md" not in index.versions() and not index.search(["baseload"], 10)[0]
    assert runtime.search("German baseload power", 3) and all(
        h.chunk.doc_id != "desk/power.md" for h in runtime.search("German baseload power", 3))


def test_a_new_process_searches_without_rebuilding(runtime, folder, settings, monkeypatch):
    runtime.ingest([folder], progress=False)
    expected = [h.chunk.id for h in runtime.search("robusta stocks Vietnam", 3)]

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the lexical index was rebuilt")

    monkeypatch.setattr(LexicalIndex, "put_records", no_rebuild)
    monkeypatch.setattr(LexicalIndex, "put", no_rebuild)
    fresh = Runtime(settings, embedder=FakeEmbedder(), llm=runtime.llm)  # new store, new index connection
    assert [h.chunk.id for h in fresh.search("robusta stocks Vietnam", 3)] == expected
    assert fresh.search("13.4 million TEU", 1)[0].lexical == 1.0


def test_a_lost_or_stale_index_is_rebuilt_from_the_store(runtime, folder, settings):
    runtime.ingest([folder], progress=False)
    expected = [h.chunk.id for h in runtime.search("soybean exports Santos", 3)]
    runtime.store.lexical.close()
    for f in settings.chroma_path.glob("lexical-*"):
        f.unlink()
    fresh = Runtime(settings, embedder=FakeEmbedder(), llm=runtime.llm)
    assert [h.chunk.id for h in fresh.search("soybean exports Santos", 3)] == expected
    assert fresh.store.lexical.versions() == _versions(fresh)


def test_another_tokenizer_empties_the_index_for_a_rebuild(runtime, folder, settings, monkeypatch):
    runtime.ingest([folder], progress=False)
    runtime.store.lexical.close()
    import retrieval.lexical

    monkeypatch.setattr(retrieval.lexical, "tokenizer_fingerprint", lambda: "another")
    fresh = Runtime(settings, embedder=FakeEmbedder(), llm=runtime.llm)
    assert fresh.store.lexical.versions() == {}
    assert fresh.search("Rotterdam TEU", 1)[0].chunk.doc_id == "desk/ports.md"
    assert fresh.store.lexical.versions() == _versions(fresh)


def test_filters_apply_to_lexical_hits(runtime, folder):
    runtime.ingest([folder], progress=False)
    hits = runtime.search("fell", 5, doc_ids=["desk/grain.md"])
    assert hits and {h.chunk.doc_id for h in hits} == {"desk/grain.md"}
