"""Run every benchmark that needs no question file. Results land in benchmarks/results/*.json."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("bench_ingest.py", "bench_audit.py", "bench_search.py"):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
print("For answer latency: python benchmarks/bench_answer.py path/to/questions.jsonl")
