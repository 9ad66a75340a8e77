"""Run every benchmark that needs no question file. Results land in benchmarks/results/*.json."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("bench_ingest.py", "bench_audit.py", "bench_search.py"):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
print("For answers (quality and latency, both question sets): python benchmarks/bench_answer.py --dev path/to/dev.jsonl")
