"""Search latency p50/p95 at 10k and 100k chunks, the query embedding included, hybrid (dense + BM25) beside
dense-only Chroma queries in the same run; and the cold search: a new process that opens the store and searches
once (as `copilot search` does), beside the warm searches of the same process.

Cold process, measured in a fresh subprocess per run: ``open_s`` (imports, settings, embedder and store opened),
``first_ms`` (the first search: Chroma loads its HNSW segment, the lexical index is opened and checked against the
manifest) and the warm p50 of the next searches in that process. The goal is cold first search within 2x of warm.

The chunks are GENERATED: synthetic sentences about exports, companies and periods; their vectors are mixtures of
real MiniLM vectors of a few hundred template sentences (embedding 100k texts on 2 cores would take over an hour).
Usage: python benchmarks/bench_search.py [--sizes 10000 100000] [--queries 40]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import ROOT, pct, write_results

ENTITIES = ["United States", "Japan", "Germany", "Korea", "India", "Vietnam", "Mexico", "Brazil", "MP Materials",
            "Lynas", "Iluka", "Aclara", "NioCorp", "Mkango", "Neo Performance", "Arafura"]
TOPICS = ["magnet exports", "oxide prices", "processing capacity", "export licences", "offtake agreements",
          "recycling output", "mine production", "tariffs", "share price", "analyst targets"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def sentence(rng: random.Random) -> str:
    return (f"{rng.choice(ENTITIES)} {rng.choice(TOPICS)} in {rng.choice(MONTHS)} {rng.choice([2023, 2024, 2025])} "
            f"reached {rng.randint(10, 9999):,} units, a change of {rng.randint(-60, 80)}% on the prior period "
            f"(generated record {rng.randint(0, 10**6)}).")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--cold-runs", type=int, default=3, help="fresh processes per size")
    ap.add_argument("--store-dir", type=Path, help="keep the generated stores here and reuse them on the next run "
                                                   "(default: a temporary folder, removed at the end)")
    ap.add_argument("--chroma-server", type=int, nargs="*", default=[], metavar="SIZE",
                    help="at these sizes, also measure cold processes against a Chroma server (chroma run) over "
                         "the same store")
    ap.add_argument("--cold-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cold_child:
        return _cold_child(json.loads(args.cold_child))

    from copilot.runtime import Runtime
    from copilot.settings import Settings
    from retrieval.store import DocVersion

    rng = random.Random(7)
    nprng = np.random.default_rng(7)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.store_dir or Path(scratch)
        rt0 = Runtime(Settings(home=Path(tmp) / "h0", models_home=ROOT / ".copilot" / "models"))
        templates = [sentence(rng) for _ in range(400)]
        basis = rt0.embedder.embed(templates)
        queries = [f"{rng.choice(TOPICS)} {rng.choice(ENTITIES)} {rng.choice(MONTHS)} 2025" for _ in range(args.queries)]
        for size in args.sizes:
            settings = Settings(home=Path(tmp) / f"h{size}", models_home=ROOT / ".copilot" / "models")
            rt = Runtime(settings, embedder=rt0.embedder)
            texts = [sentence(rng) for _ in range(size)]
            weights = nprng.dirichlet(np.ones(3), size=size)
            picks = nprng.integers(0, len(basis), size=(size, 3))
            vecs = (basis[picks] * weights[..., None]).sum(axis=1) + nprng.normal(0, 0.02, (size, basis.shape[1]))
            vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
            from copilot.types import Chunk

            chunks = [Chunk(id=f"gen:{i}", doc_id="generated", text=t, title="generated", position=i)
                      for i, t in enumerate(texts)]
            built = json.loads((settings.home / "built.json").read_text()) if (settings.home / "built.json").exists() \
                else None
            if built is None or rt.store.count() != size:
                t0 = time.perf_counter()
                rt.store.add(chunks, vecs, "h", size)
                add_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                # committing the version writes it to the persisted lexical index, as ingest does per document
                rt.store.commit(DocVersion(doc_id="generated", file_hash="h", n_chunks=size, path="generated"), chunks)
                index_s = time.perf_counter() - t0
                built = {"add_s": add_s, "index_s": index_s}
                (settings.home / "built.json").write_text(json.dumps(built))
            add_s, index_s = built["add_s"], built["index_s"]
            rt.search(queries[0], 6)

            hybrid, dense = [], []
            for q in queries:
                t0 = time.perf_counter()
                rt.search(q, 6)
                hybrid.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                rt.store.query(rt.embedder.embed([q])[0], 6)
                dense.append(time.perf_counter() - t0)
            cold = [_cold_process(settings.home, queries[1 + run % (len(queries) - 1):] + queries[:1])
                    for run in range(args.cold_runs)]
            def mid(key):
                return sorted(c[key] for c in cold)[len(cold) // 2]

            cold_first = mid("first_ms")
            cold_warm = mid("warm_p50_ms")
            results[f"{size}"] = {
                "add_s": round(add_s, 1), "lexical_index_write_s": round(index_s, 2),
                "cold_process_open_s": round(sorted(c["open_s"] for c in cold)[len(cold) // 2], 2),
                "cold_first_search_ms": round(cold_first, 1),
                "cold_process_warm_p50_ms": round(cold_warm, 1),
                "cold_over_warm": round(cold_first / (pct(hybrid, 50) * 1e3), 2),
                "cold_first_lexical_ms": mid("first_lexical_ms"), "warm_lexical_p50_ms": mid("warm_lexical_p50_ms"),
                "lexical_cold_over_warm": round(mid("first_lexical_ms") / max(mid("warm_lexical_p50_ms"), 0.1), 2),
                "cold_first_dense_ms": mid("first_dense_ms"), "warm_dense_p50_ms": mid("warm_dense_p50_ms"),
                "cold_runs": cold,
                "hybrid_p50_ms": round(pct(hybrid, 50) * 1e3, 1), "hybrid_p95_ms": round(pct(hybrid, 95) * 1e3, 1),
                "dense_only_p50_ms": round(pct(dense, 50) * 1e3, 1), "dense_only_p95_ms": round(pct(dense, 95) * 1e3, 1),
                "hybrid_over_dense_p50": round(pct(hybrid, 50) / pct(dense, 50), 2),
            }
            if size in args.chroma_server:
                results[f"{size}"]["chroma_server"] = _server_mode(settings, rt0.embedder, queries, args.cold_runs)
            print(size, results[f"{size}"], flush=True)
    write_results("search", {"corpus": "GENERATED synthetic chunks (see the script's docstring)",
                             "queries": args.queries, "k": 6, "by_size": results})


def _server_mode(settings, embedder, queries: list[str], runs: int) -> dict:
    """Cold and warm searches when the store is served by ``chroma run`` (its HNSW index stays loaded)."""
    import socket

    from copilot.runtime import Runtime

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(settings.chroma_path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.3)
        url = f"http://127.0.0.1:{port}"
        rt = Runtime(settings.model_copy(update={"chroma_url": url}), embedder=embedder)
        t0 = time.perf_counter()
        rt.search(queries[0], 6)  # the server loads its index; the client's lexical index is filled once
        first_s = time.perf_counter() - t0
        warm = []
        for q in queries[1:]:
            t0 = time.perf_counter()
            rt.search(q, 6)
            warm.append(time.perf_counter() - t0)
        cold = [_cold_process(settings.home, queries[1 + run:] + queries[:1], url) for run in range(runs)]
        first = sorted(c["first_ms"] for c in cold)[len(cold) // 2]
        return {"first_search_after_server_start_s": round(first_s, 2),
                "warm_p50_ms": round(pct(warm, 50) * 1e3, 1), "cold_first_search_ms": first,
                "cold_over_warm": round(first / (pct(warm, 50) * 1e3), 2), "cold_runs": cold}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _cold_process(home: Path, queries: list[str], chroma_url: str | None = None) -> dict:
    """Run one search in a new Python process over the store at ``home``; its own timings come back as JSON."""
    job = json.dumps({"home": str(home), "queries": queries[:11], "chroma_url": chroma_url})
    out = subprocess.run([sys.executable, __file__, "--cold-child", job], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cold_child(job: dict) -> None:
    t0 = time.perf_counter()
    from copilot.runtime import Runtime
    from copilot.settings import Settings
    from retrieval.lexical import LexicalIndex
    from retrieval.store import VectorStore

    spent = {"dense": 0.0, "lexical": 0.0}

    def timed(cls, name, part):
        original = getattr(cls, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - start
        setattr(cls, name, wrapper)

    timed(VectorStore, "query", "dense")  # Chroma's nearest neighbours (its HNSW index loads on the first one)
    timed(VectorStore, "sync_lexical", "lexical")  # the persisted index opened and checked against the manifest
    timed(LexicalIndex, "search", "lexical")

    rt = Runtime(Settings(home=Path(job["home"]), models_home=ROOT / ".copilot" / "models",
                          chroma_url=job.get("chroma_url")))
    rt.store, rt.embedder  # noqa: B018 (opened before the clock starts, as any process must)
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rt.search(job["queries"][0], 6)
    first = time.perf_counter() - t0
    first_parts = dict(spent)
    warm, warm_parts = [], {"dense": [], "lexical": []}
    for q in job["queries"][1:]:
        before = dict(spent)
        t0 = time.perf_counter()
        rt.search(q, 6)
        warm.append(time.perf_counter() - t0)
        for part in warm_parts:
            warm_parts[part].append(spent[part] - before[part])
    print(json.dumps({"open_s": round(open_s, 2), "first_ms": round(first * 1e3, 1),
                      "warm_p50_ms": round(pct(warm, 50) * 1e3, 1),
                      "first_dense_ms": round(first_parts["dense"] * 1e3, 1),
                      "first_lexical_ms": round(first_parts["lexical"] * 1e3, 1),
                      "warm_dense_p50_ms": round(pct(warm_parts["dense"], 50) * 1e3, 1),
                      "warm_lexical_p50_ms": round(pct(warm_parts["lexical"], 50) * 1e3, 1)}))


if __name__ == "__main__":
    main()
