import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from copilot.runtime import Runtime
from retrieval.search import lexical_tokens
from retrieval.tables import format_period, load_fact_tables
from tests.conftest import CORPUS

FACTS = load_fact_tables(CORPUS / "tables")


def _query(row) -> str:
    return f"{row.label or row.series} {row.entity} {format_period(row.period)}"


def _hit_row(hits, row) -> bool:
    return any(h.chunk.row is not None and h.chunk.row.series == row.series and h.chunk.row.entity == row.entity
               and h.chunk.row.period == row.period for h in hits)


def test_lexical_tokens_normalise_figures():
    assert lexical_tokens("U.S. got 6,150 t; LYC fell 13.25%") == ["us", "got", "6150", "t", "lyc", "fall", "13.25"]


def test_a_question_in_the_present_meets_a_report_in_the_past():
    # 'how much flour did the mill sell' is answered by 'the mill sold 48,600 tonnes'; regular forms by suffix
    assert lexical_tokens("did Tarn Mills sell or buy") == lexical_tokens("Tarn Mills sold or bought")
    assert lexical_tokens("the fleet grew; fares rose") == lexical_tokens("the fleet grow; fares rise")
    assert lexical_tokens("hauled loads") == lexical_tokens("hauling load")


@pytest.mark.parametrize("row", FACTS, ids=lambda r: f"{r.series}-{r.entity}-{r.period}")
def test_each_table_figure_is_found_by_its_series_and_period(corpus_runtime, row):
    assert _hit_row(corpus_runtime.search(_query(row), 5), row)


def test_exact_figures_and_tickers_rank_high(corpus_runtime):
    assert "582" in corpus_runtime.search("582", 3)[0].chunk.text
    assert "LYC" in corpus_runtime.search("LYC", 3)[0].chunk.text


def test_filters_by_document_and_date(corpus_runtime):
    hits = corpus_runtime.search("export controls", 5, doc_ids=["angelone-us-exports-decline"])
    assert hits and all(h.chunk.doc_id == "angelone-us-exports-decline" or
                        (h.chunk.row and h.chunk.row.source_doc == "angelone-us-exports-decline") for h in hits)
    assert all(h.chunk.date >= "2025-12" for h in corpus_runtime.search("magnets", 8, date_from="2025-12"))


# --- the real embedder and real Chroma ---------------------------------------------------------------------

@pytest.fixture
def real_runtime(settings, real_embedder, fake_llm):
    rt = Runtime(settings, embedder=real_embedder, llm=fake_llm)
    assert not rt.ingest([CORPUS], progress=False).partial
    return rt


@pytest.mark.real
def test_real_embedder_vectors_are_unit_length_and_semantic(real_embedder):
    v = real_embedder.embed(["magnet exports to Japan", "shipments of magnets to Japan", "a recipe for soup"])
    assert v.shape == (3, 384)
    assert abs(float((v[0] ** 2).sum()) - 1) < 1e-4
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.3


@pytest.mark.real
@pytest.mark.parametrize("row", FACTS, ids=lambda r: f"{r.series}-{r.entity}-{r.period}")
def test_real_search_finds_each_table_figure(real_runtime, row):
    assert _hit_row(real_runtime.search(_query(row), 5), row)


@pytest.mark.real
def test_real_search_persists_on_disk(real_runtime, settings, real_embedder, fake_llm):
    again = Runtime(settings, embedder=real_embedder, llm=fake_llm)  # a new client over the same folder
    assert again.store.count() == real_runtime.store.count() > 0
    assert "Mountain Pass" in " ".join(h.chunk.text for h in again.search("Which mine is MP Materials expanding?", 4))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.real
def test_chroma_server_over_http(tmp_path, settings, real_embedder, fake_llm):
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.3)
        remote = settings.model_copy(update={"chroma_url": f"http://127.0.0.1:{port}"})
        rt = Runtime(remote, embedder=real_embedder, llm=fake_llm)
        report = rt.ingest([CORPUS], progress=False)
        assert not report.partial and report.chunks_written > 30
        assert not (settings.home / "chroma").exists()  # nothing went to the embedded store
        assert "305" in " ".join(h.chunk.text for h in rt.search("magnet exports to Japan November 2025", 4))
        again = rt.ingest([CORPUS], progress=False).files
        assert {f.status for f in again} == {"unchanged", "skipped"}, again  # skipped: the corpus README
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_new_process_opens_the_store_before_the_embedder_and_loads_its_index_meanwhile(settings):
    """The store opens without loading the embedder, and its vector index loads in the background: a cold
    `copilot search` waits for the larger of the two loads, not for both in turn."""
    settings.embedder = "fake"
    Runtime(settings).ingest([CORPUS], progress=False)
    rt = Runtime(settings)
    store = rt.store
    assert rt._embedder is None  # the model is not loaded to open the store
    assert store._preload is not None
    store._preload.join(30)
    assert not store._preload.is_alive()
    hits = rt.search("582", 3)
    assert hits and "582" in hits[0].chunk.text


def test_preloading_an_empty_store_is_harmless(settings):
    settings.embedder = "fake"
    rt = Runtime(settings)
    rt.store._preload.join(30)
    assert rt.search("anything", 3) == []
