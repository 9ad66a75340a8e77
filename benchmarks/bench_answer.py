"""Answers on the embedded model, the copilot beside a plain LangChain chain (top chunks stuffed into one prompt, the
same model and retriever) in the same run, on eleven question sets:
- dev: the bundled corpus's questions;
- corpus2: offshore wind (its failures were read while developing);
- corpus3: pharmaceutical cold-chain logistics (written by a helper who had not read the code; its failures were
  read in a later session);
- corpus4: grain storage and rail freight (written by another such helper; its failures were read in a later
  session);
- corpus5: municipal water and desalination (written by a third helper; its failures were read in a later session);
- corpus6: regional aviation (written by a fourth helper; its failures were read in a later session);
- corpus7: the green-coffee trade (written by a fifth helper; its failures were read in a later session);
- corpus8: cement and construction aggregates (written by a sixth helper; measured once unseen, then read);
- corpus9: salmon farming and seafood exports (written by a seventh helper; measured once unseen, then read);
- corpus10: hotels and tourism (written by an eighth helper; measured once unseen, then read);
- corpus11: public EV charging (written by a ninth helper; measured once unseen, then read);
- corpus12: a dairy market (written by a tenth helper; measured once unseen, then read).
For each: correctness, p50/p95 latency, time to first token, time to first feedback, mean prompt tokens and the
prompt-cache hit.

Usage: python benchmarks/bench_answer.py [--dev path/to/dev.jsonl] [--only dev|corpus2|...|corpus12]
Writes benchmarks/results/answer.json and an eval report per set (eval-<set>.md/.json/-latency.png).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import RESULTS, ROOT, write_results

def _corpus(name: str) -> tuple[list[Path], Path]:
    """A benchmark corpus: its documents and tables folders, and its questions."""
    folder = ROOT / "benchmarks" / name
    return [folder / "docs", folder / "tables"], folder / "questions.jsonl"


SETS = {"dev": ([ROOT / "corpus"], None)} | {f"corpus{i}": _corpus(f"corpus{i}") for i in range(2, 13)}


def run_set(name: str, paths: list[Path], questions: Path, llm) -> dict:
    from copilot.evaluation import load_questions, run_eval, write_report
    from copilot.runtime import Runtime
    from copilot.settings import Settings

    home = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    rt = Runtime(Settings(home=home, models_home=ROOT / ".copilot" / "models"), llm=llm)
    rt.ingest(paths, progress=False)
    report = run_eval(load_questions(questions), rt, baseline=True, source=str(questions))
    write_report(report, RESULTS / f"eval-{name}")
    return figures(report.summary(), str(questions))


def figures(summary: dict, questions: str) -> dict:
    """A set's line in answer.json, from its eval report's summary."""
    keys = ("n", "correct", "answerable_refused", "invented_numbers", "wrong_calculations", "latency_p50_s",
            "latency_p95_s", "ttft_p50_s", "first_feedback_p50_s", "prompt_tokens_mean", "prompt_cache_hit")
    pick = lambda s: {k: summary[s]["overall"].get(k) for k in keys}  # noqa: E731
    path = Path(questions)
    return {"questions": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
            "copilot": pick("copilot"), "baseline": pick("baseline"),
            "ratios_copilot_over_baseline": summary["ratios_copilot_over_baseline"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl",
                    help="the bundled corpus's question file (default: ../shared/eval/dev.jsonl)")
    ap.add_argument("--only", choices=sorted(SETS), help="run one set only")
    args = ap.parse_args()
    from copilot.llm import make_llm
    from copilot.settings import Settings

    llm = make_llm(Settings(models_home=ROOT / ".copilot" / "models"))  # one model server for both sets
    results = {}
    for name, (paths, questions) in SETS.items():
        if args.only and name != args.only:
            continue
        questions = questions or args.dev
        if not questions.exists():
            print(f"skipping {name}: {questions} not found")
            continue
        results[name] = run_set(name, paths, questions, llm)
    if args.only:  # one set re-run: the other sets' figures come from their latest eval reports
        import json

        for name in SETS:
            report = RESULTS / f"eval-{name}.json"
            if name not in results and report.exists():
                data = json.loads(report.read_text())
                results[name] = figures(data["summary"], data.get("questions_file") or "")
        results = {name: results[name] for name in SETS if name in results}
    write_results("answer", {"sets": results,
                             "note": "same run, same model and retriever; the baseline runs after the copilot on "
                                     "each set; refusals decided before the model is called have no TTFT"})


if __name__ == "__main__":
    main()
