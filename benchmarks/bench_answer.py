"""Answer latency on the embedded model: p50/p95 total and time to first token over a question file, beside a
plain LangChain 'stuff the top chunks into one prompt' chain with the same model and retriever, in the same run.

Usage: python benchmarks/bench_answer.py QUESTIONS.jsonl   (for example ../shared/eval/dev.jsonl)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import ROOT, pct, write_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("questions", type=Path)
    args = ap.parse_args()

    from copilot.evaluation import load_questions, run_eval, write_report
    from copilot.runtime import Runtime
    from copilot.settings import Settings

    rt = Runtime(Settings())
    rt.ingest([ROOT / "corpus"], progress=False)
    report = run_eval(load_questions(args.questions), rt, baseline=True, source=str(args.questions))
    write_report(report, ROOT / "benchmarks" / "results" / "eval")

    def figures(rows):
        total = [r["total_s"] for r in rows]
        ttft = [r["ttft_s"] for r in rows if r["ttft_s"] is not None]
        return {"p50_s": round(pct(total, 50), 2), "p95_s": round(pct(total, 95), 2),
                "ttft_p50_s": round(pct(ttft, 50), 2) if ttft else None,
                "ttft_p95_s": round(pct(ttft, 95), 2) if ttft else None}

    c, b = figures(report.copilot), figures(report.baseline)
    write_results("answer", {"questions": str(args.questions), "n": len(report.copilot), "copilot": c, "baseline": b,
                             "copilot_over_baseline_p50": round(c["p50_s"] / b["p50_s"], 2),
                             "copilot_over_baseline_p95": round(c["p95_s"] / b["p95_s"], 2),
                             "note": "the copilot's TTFT is 0 for refusals decided before the model is called"})


if __name__ == "__main__":
    main()
