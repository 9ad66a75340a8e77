"""Search latency p50/p95 at 10k and 100k chunks, the query embedding included, hybrid (dense + BM25) beside
dense-only Chroma queries in the same run.

The chunks are GENERATED: synthetic sentences about exports, companies and periods; their vectors are mixtures of
real MiniLM vectors of a few hundred template sentences (embedding 100k texts on 2 cores would take over an hour).
Usage: python benchmarks/bench_search.py [--sizes 10000 100000] [--queries 40]
"""

from __future__ import annotations

import argparse
import random
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
    args = ap.parse_args()

    from copilot.runtime import Runtime
    from copilot.settings import Settings
    from retrieval.store import DocVersion

    rng = random.Random(7)
    nprng = np.random.default_rng(7)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
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

            t0 = time.perf_counter()
            chunks = [Chunk(id=f"gen:{i}", doc_id="generated", text=t, title="generated", position=i)
                      for i, t in enumerate(texts)]
            rt.store.add(chunks, vecs, "h", size)
            rt.store.commit(DocVersion(doc_id="generated", file_hash="h", n_chunks=size, path="generated"))
            add_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            rt.search(queries[0], 6)  # builds the BM25 index
            index_s = time.perf_counter() - t0

            hybrid, dense = [], []
            for q in queries:
                t0 = time.perf_counter()
                rt.search(q, 6)
                hybrid.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                rt.store.query(rt.embedder.embed([q])[0], 6)
                dense.append(time.perf_counter() - t0)
            results[f"{size}"] = {
                "add_s": round(add_s, 1), "bm25_index_build_s": round(index_s, 2),
                "hybrid_p50_ms": round(pct(hybrid, 50) * 1e3, 1), "hybrid_p95_ms": round(pct(hybrid, 95) * 1e3, 1),
                "dense_only_p50_ms": round(pct(dense, 50) * 1e3, 1), "dense_only_p95_ms": round(pct(dense, 95) * 1e3, 1),
                "hybrid_over_dense_p50": round(pct(hybrid, 50) / pct(dense, 50), 2),
            }
            print(size, results[f"{size}"], flush=True)
    write_results("search", {"corpus": "GENERATED synthetic chunks (see the script's docstring)",
                             "queries": args.queries, "k": 6, "by_size": results})


if __name__ == "__main__":
    main()
