"""Ingest throughput (chunks/s) beside the raw embedding throughput of the same model on the same texts, measured in
the same run, and the time to re-ingest an unchanged corpus.

The corpus is the bundled one plus generated variants of its documents (labelled as generated), so there are
enough chunks to time.  Usage: python benchmarks/bench_ingest.py [--copies 12]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import ROOT, write_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=12, help="generated variants of each bundled document")
    args = ap.parse_args()

    from copilot.runtime import Runtime
    from copilot.settings import Settings
    from retrieval.ingest import embed_text, make_chunks
    from retrieval.loaders import load_file

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        docs = sorted((ROOT / "corpus" / "docs").glob("*.md"))
        for i in range(args.copies):
            for d in docs:
                text = d.read_text().replace("doc_id: ", f"doc_id: gen{i}-", 1)
                (corpus / f"gen{i}-{d.name}").write_text(text + f"\n\nGenerated variant {i} for benchmarking.\n")
        settings = Settings(home=Path(tmp) / "home", models_home=ROOT / ".copilot" / "models")
        rt = Runtime(settings)
        texts = [embed_text(c) for f in sorted(corpus.glob("*.md"))
                 for c in make_chunks(load_file(f), "x" * 64, settings)]

        rt.embedder.embed(texts[:8])  # warm the ONNX session
        t0 = time.perf_counter()
        for i in range(0, len(texts), settings.embed_batch):
            rt.embedder.embed(texts[i:i + settings.embed_batch])
        raw_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = rt.ingest([corpus], progress=False)
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = rt.ingest([corpus], progress=False)
        reingest_s = time.perf_counter() - t0
        assert again.chunks_written == 0

    chunks = report.chunks_written
    write_results("ingest", {
        "corpus": f"bundled documents x {args.copies} generated variants ({len(docs) * args.copies} files)",
        "chunks": chunks,
        "raw_embedding_chunks_per_s": round(len(texts) / raw_s, 1),
        "ingest_chunks_per_s": round(chunks / ingest_s, 1),
        "ingest_over_raw_ratio": round((chunks / ingest_s) / (len(texts) / raw_s), 3),
        "ingest_s": round(ingest_s, 2),
        "reingest_unchanged_s": round(reingest_s, 3),
        "reingest_over_ingest_ratio": round(reingest_s / ingest_s, 4),
    })


if __name__ == "__main__":
    main()
