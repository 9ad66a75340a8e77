"""Audit time per answer (ms) as the numbers of claims and sources grow, lexical-only and with the embedder,
beside the time to embed the same texts alone (measured in the same run).

The answers and sources are generated (random words around a figure); generation of a real answer takes 10-20 s on
2 cores (see results/answer.json), which is the scale the audit must stay small against."""

from __future__ import annotations

import random
import re
import statistics
import time

from _common import ROOT, write_results


def main() -> None:
    from copilot.assets import ensure_tokenizer
    from copilot.audit import audit_answer
    from copilot.citations import split_claims
    from copilot.types import Citation
    from retrieval.embedder import OnnxMiniLM

    embedder = OnnxMiniLM(ensure_tokenizer(ROOT / ".copilot" / "models"), threads=2)
    rng = random.Random(3)
    words = "magnet exports rose fell tons Japan United States November October share total record policy".split()

    def sentence():
        return " ".join(rng.choice(words) for _ in range(14)) + f" {rng.randint(10, 9999):,} tons"

    rows = []
    for n_claims in (1, 3, 10, 30):
        for n_sources in (3, 6, 12):
            sources = [Citation(n=i, doc_id=f"d{i}", text=" ".join(sentence() + "." for _ in range(8)))
                       for i in range(n_sources)]
            text = " ".join(f"{sentence()} [{rng.randrange(n_sources)}]." for _ in range(n_claims))
            times = {}
            for label, emb in (("lexical", None), ("embedder", embedder)):
                runs = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    audit_answer(text, sources, [], embedder=emb)
                    runs.append(time.perf_counter() - t0)
                times[label] = statistics.median(runs) * 1e3
            same_texts = [re.sub(r"\[\d+\]", "", c) for c in split_claims(text)] + [s.text for s in sources]
            runs = []
            for _ in range(5):
                t0 = time.perf_counter()
                embedder.embed(same_texts)  # what the audit embeds, alone: the floor of its cost
                runs.append(time.perf_counter() - t0)
            embed_ms = statistics.median(runs) * 1e3
            rows.append({"claims": n_claims, "sources": n_sources, "audit_lexical_ms": round(times["lexical"], 2),
                         "audit_with_embedder_ms": round(times["embedder"], 1), "embed_only_ms": round(embed_ms, 1),
                         "audit_over_embed_only": round(times["embedder"] / embed_ms, 2)})
            print(rows[-1], flush=True)
    write_results("audit", {"rows": rows, "note": "a generated answer of N claims against N sources of 8 sentences"})


if __name__ == "__main__":
    main()
