"""``copilot eval``: ask, audit and score a question file; optionally the plain baseline side by side."""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from copilot.errors import EvalFileError
from copilot.numbers import extract_numbers
from copilot.types import Answer

KINDS = ("factual", "numeric", "compare", "refusal", "followup", "injection")


@dataclass
class Question:
    id: str
    kind: str
    question: str
    must: list[list[str]] = field(default_factory=list)
    source_has: list[str] = field(default_factory=list)
    refuse: bool = False
    must_not: list[str] = field(default_factory=list)
    session: str = ""


def load_questions(path: Path) -> list[Question]:
    """Read a question file (JSONL); a malformed line fails with its line number and the problem."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from None
    out, seen = [], set()
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{no}"
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise EvalFileError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise EvalFileError(f"{where}: expected a JSON object")
        for key in ("id", "kind", "question"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise EvalFileError(f"{where}: field {key!r} must be a non-empty string")
        if data["kind"] not in KINDS:
            raise EvalFileError(f"{where}: kind {data['kind']!r} is not one of {', '.join(KINDS)}")
        must = data.get("must", [])
        if not isinstance(must, list) or not all(isinstance(g, list) and g and all(isinstance(s, str) for s in g)
                                                 for g in must):
            raise EvalFileError(f"{where}: 'must' must be a list of non-empty lists of strings")
        source_has = data.get("source_has", [])
        if not isinstance(source_has, list) or not all(isinstance(s, str) for s in source_has):
            raise EvalFileError(f"{where}: 'source_has' must be a list of strings")
        refuse = data.get("refuse", False)
        if not isinstance(refuse, bool):
            raise EvalFileError(f"{where}: 'refuse' must be true or false")
        must_not = data.get("must_not", [])
        if isinstance(must_not, list):  # groups written like 'must' ([["bankrupt"], ["insolvent"]]): none may appear
            must_not = [s for item in must_not for s in (item if isinstance(item, list) else [item])]
        if not isinstance(must_not, list) or not all(isinstance(s, str) and s for s in must_not):
            raise EvalFileError(f"{where}: 'must_not' must be a list of non-empty strings (or of lists of them)")
        session = data.get("session") or ""  # null: no session
        if not isinstance(session, str):
            raise EvalFileError(f"{where}: 'session' must be a string or null")
        if data["id"] in seen:
            raise EvalFileError(f"{where}: duplicate id {data['id']!r}")
        seen.add(data["id"])
        out.append(Question(data["id"], data["kind"], data["question"], must, source_has, refuse, must_not, session))
    if not out:
        raise EvalFileError(f"{path}: no questions")
    return out


def _norm(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3})", "", text).lower()


def _stated_figures(answer: Answer) -> list:
    return [n for n in extract_numbers(answer.text) if n.kind not in ("year", "date")]


_SCALES = (1e3, 1e6, 1e9)


def _says(expected: str, text: str, figures: list) -> bool:
    """The answer says `expected`: word for word, or, for a bare figure, as the same value written at another
    scale ('101.6' thousand pallets written as '101,600 pallets')."""
    want = _norm(expected)
    if want in text:
        return True
    if re.fullmatch(r"\d{1,3}(?:,\d{1,2})+", want) and want.replace(",", "") in text:
        return True  # the start of a figure written with its thousands comma: '548,87' for 548,879
    if not re.fullmatch(r"-?\d+(\.\d+)?", want):
        return False
    w = float(want)
    return any(abs(n.value - w * scale) < 1e-6 * abs(w * scale) for n in figures for scale in _SCALES)


def score(q: Question, a: Answer) -> dict:
    """Each rule of the eval README, as a number or a bool (None where it does not apply)."""
    text = _norm(a.text)
    figures = _stated_figures(a)
    must_ok = all(any(_says(s, text, figures) for s in group) for group in q.must)
    must_ok = must_ok and not any(_norm(s) in text for s in q.must_not)
    if q.refuse:
        refusal_ok = a.refused and not figures
        correct = refusal_ok
    else:
        refusal_ok = not a.refused
        correct = must_ok and refusal_ok
    wrong_calculation = False
    if q.kind == "numeric":  # the figure must come from the numeric tool, not the model's arithmetic
        wanted = [_norm(s) for g in q.must for s in g if re.fullmatch(r"-?[\d.]+", _norm(s))]
        # a figure as a person writes it: '35.5' for €35.5 million, '1.32' for a fall of 1.32%, '0.698' (million)
        # for 698,024 (to the decimals the key writes, or fewer)
        from_tool = any(any(abs(round(abs(t.result) / scale, d) - abs(float(w))) < 1e-9
                            for d in {0, 1, 2, len(w.partition(".")[2])} for scale in (1, 1e3, 1e6, 1e9))
                        for t in a.tool_calls for w in wanted)
        wrong_calculation = bool(a.tool_calls) and not from_tool
        correct = correct and from_tool
    cited_texts = [c.text.lower() for c in a.cited()]
    recall = (sum(any(s.lower() in t for t in cited_texts) for s in q.source_has) / len(q.source_has)
              if q.source_has and not q.refuse else None)
    audit = a.audit
    return {
        "id": q.id, "kind": q.kind, "correct": bool(correct), "must_ok": must_ok, "refusal_ok": bool(refusal_ok),
        "refused": a.refused, "answerable_refused": a.refused and not q.refuse, "citation_recall": recall,
        "wrong_calculation": wrong_calculation,
        "citation_precision": audit.citation_precision if audit else None,
        "claim_support_rate": audit.claim_support_rate if audit else None,
        "invented_numbers": sum(t.found_in == "nowhere" and t.kind not in ("year", "date")
                                for c in (audit.claims if audit else []) for t in c.numbers),
        "tool_calls": [f"{t.name}={t.result:g}" for t in a.tool_calls],
        "total_s": a.timings.total_s, "ttft_s": a.timings.ttft_s,
        "prompt_tokens": a.usage.prompt_tokens, "completion_tokens": a.usage.completion_tokens,
        "cached_prompt_tokens": a.usage.cached_prompt_tokens,
        "answer": a.text,
    }


def _pct(values, q):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    idx = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return round(values[idx], 3)


def _mean(values):
    values = [float(v) for v in values if v is not None]
    return round(statistics.fmean(values), 3) if values else None


def _cache_hit(rows: list[dict]) -> float | None:
    """Share of prompt tokens the server took from its cache, over the answers where it says."""
    known = [r for r in rows if r.get("cached_prompt_tokens") is not None and r.get("prompt_tokens")]
    if not known:
        return None
    return round(sum(r["cached_prompt_tokens"] for r in known) / sum(r["prompt_tokens"] for r in known), 3)


def summarise(rows: list[dict]) -> dict:
    groups = {"overall": rows} | {k: [r for r in rows if r["kind"] == k] for k in KINDS}
    out = {}
    for name, rs in groups.items():
        if not rs:
            continue
        out[name] = {
            "n": len(rs), "correct": _mean(r["correct"] for r in rs), "refusal_ok": _mean(r["refusal_ok"] for r in rs),
            "citation_recall": _mean(r["citation_recall"] for r in rs),
            "citation_precision": _mean(r["citation_precision"] for r in rs),
            "claim_support_rate": _mean(r["claim_support_rate"] for r in rs),
            "invented_numbers": sum(r["invented_numbers"] for r in rs),
            "answerable_refused": _mean(r.get("answerable_refused") for r in rs),
            "wrong_calculations": sum(bool(r.get("wrong_calculation")) for r in rs),
            "first_feedback_p50_s": _pct([r.get("first_feedback_s") for r in rs], 50),
            "prompt_cache_hit": _cache_hit(rs),
            "latency_p50_s": _pct([r["total_s"] for r in rs], 50), "latency_p95_s": _pct([r["total_s"] for r in rs], 95),
            "ttft_p50_s": _pct([r["ttft_s"] for r in rs], 50),
            "prompt_tokens_mean": _mean(r["prompt_tokens"] for r in rs),
            "completion_tokens_mean": _mean(r["completion_tokens"] for r in rs),
        }
    return out


@dataclass
class EvalReport:
    questions_file: str
    model: str
    settings_hash: str
    machine: str
    copilot: list[dict] = field(default_factory=list)
    baseline: list[dict] = field(default_factory=list)
    partial: bool = False
    total_questions: int = 0
    baseline_error: str = ""

    def summary(self) -> dict:
        out = {"copilot": summarise(self.copilot)}
        if self.baseline:
            out["baseline"] = summarise(self.baseline)
            c, b = out["copilot"].get("overall", {}), out["baseline"].get("overall", {})
            ratio = lambda x, y: round(x / y, 2) if x and y else None  # noqa: E731
            out["ratios_copilot_over_baseline"] = {
                "latency_p50": ratio(c.get("latency_p50_s"), b.get("latency_p50_s")),
                "latency_p95": ratio(c.get("latency_p95_s"), b.get("latency_p95_s")),
                "ttft_p50": ratio(c.get("ttft_p50_s"), b.get("ttft_p50_s")),
                "first_feedback_p50_over_baseline_ttft": ratio(c.get("first_feedback_p50_s"), b.get("ttft_p50_s")),
                "prompt_tokens_mean": ratio(c.get("prompt_tokens_mean"), b.get("prompt_tokens_mean")),
                "correct": ratio(c.get("correct"), b.get("correct")),
            }
        return out


def machine_line() -> str:
    import os
    import platform

    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"


def run_eval(questions: list[Question], runtime, *, baseline: bool = False, k: int | None = None,
             progress: bool = True, source: str = "") -> EvalReport:
    """Ask every question (and the baseline if asked); Ctrl-C stops and keeps what is done."""
    from copilot.baseline import ask_baseline
    from copilot.export import reaudit
    from copilot.pipeline import ask, warm_up

    s = runtime.settings
    report = EvalReport(questions_file=source, model=s.llm_model if s.uses_embedded_llm else
                        f"{s.llm_model} at {s.llm_base_url}", settings_hash=s.settings_hash(), machine=machine_line(),
                        total_questions=len(questions))
    bar = tqdm(questions, desc="eval", unit="q", disable=not progress)
    conversations: dict[str, list] = {}
    warm_up(runtime)  # as the chat page does while it loads: the first question is timed like the others
    try:
        for q in bar:
            bar.set_postfix_str(q.id)
            # streamed, as a user sees it, so time to first token is measured; a question of a session sees the
            # answers before it in that session, as a follow-up in the chat would
            history = conversations.setdefault(q.session, []) if q.session else []
            first_feedback: list[float] = []
            answer = ask(q.question, k=k, runtime=runtime, session_id=f"eval-{q.session}" if q.session else "",
                         history=list(history), save=False, on_token=lambda _: None,
                         on_step=lambda s: first_feedback.append(s.elapsed_s) if not first_feedback else None)
            history.append(answer)
            row = score(q, answer)
            row["first_feedback_s"] = first_feedback[0] if first_feedback else None
            row["standalone_question"] = answer.standalone_question
            report.copilot.append(row)
        # the baseline runs after, not between the copilot's questions, so neither evicts the other's cached
        # prompt prefix from the server's one slot
        for q in (questions if baseline else []):
            bar.set_postfix_str(f"baseline {q.id}")
            try:
                plain = ask_baseline(q.question, runtime, k)
            except Exception as exc:  # noqa: BLE001 - the baseline failing keeps the copilot's figures
                report.partial = True
                report.baseline_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
                break
            [plain] = reaudit([plain], embedder=runtime.embedder)  # measured, not part of the baseline
            plain = plain.model_copy(update={"refused": _baseline_refused(plain.text)})
            report.baseline.append(score(q, plain))
    except KeyboardInterrupt:
        report.partial = True
    finally:
        bar.close()
    return report


def _baseline_refused(text: str) -> bool:
    from copilot.pipeline import looks_refused

    return looks_refused(text) or bool(re.search(r"\b(?:do(?:es)? not|doesn't|don't) (?:answer|say|mention|"
                                                  r"provide|contain)", text, re.I) and len(text) < 200)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


METRICS = ["n", "correct", "refusal_ok", "citation_recall", "citation_precision", "claim_support_rate",
           "invented_numbers", "answerable_refused", "wrong_calculations", "latency_p50_s", "latency_p95_s",
           "ttft_p50_s", "first_feedback_p50_s", "prompt_tokens_mean",
           "completion_tokens_mean"]


def summary_table(report: EvalReport) -> str:
    summary = report.summary()
    systems = [s for s in ("copilot", "baseline") if s in summary]
    header = "| group | " + " | ".join(f"{s} {m}" if len(systems) > 1 else m for m in METRICS for s in systems) + " |"
    lines = [header, "|" + "---|" * (1 + len(METRICS) * len(systems))]
    for group in ("overall", *KINDS):
        if group not in summary["copilot"]:
            continue
        cells = [_fmt(summary[s].get(group, {}).get(m)) for m in METRICS for s in systems]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(report: EvalReport, prefix: Path) -> dict[str, Path]:
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    paths = {"json": prefix.with_suffix(".json"), "md": prefix.with_suffix(".md"),
             "png": prefix.with_name(prefix.name + "-latency.png")}
    data = asdict(report) | {"summary": report.summary()}
    paths["json"].write_text(json.dumps(data, indent=2), encoding="utf-8")
    _plot(report, paths["png"])
    md = [f"# Evaluation: {report.questions_file}", "",
          f"Model: {report.model} · settings {report.settings_hash} · machine: {report.machine}",
          f"Questions answered: {len(report.copilot)}/{report.total_questions}"
          + (" (interrupted: partial report)" if report.partial else ""), "", summary_table(report), ""]
    ratios = report.summary().get("ratios_copilot_over_baseline")
    if ratios:
        md += ["Copilot / baseline ratios (same run, same model and retriever): " +
               ", ".join(f"{k} {_fmt(v)}" for k, v in ratios.items()), ""]
    md += [f"![latency per question]({paths['png'].name})", "", "## Per question", "",
           "| id | kind | correct | refused | recall | precision | invented | tools | s | answer |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in report.copilot:
        md.append(f"| {r['id']} | {r['kind']} | {'✔' if r['correct'] else '✘'} | {r['refused']} | "
                  f"{_fmt(r['citation_recall'])} | {_fmt(r['citation_precision'])} | {r['invented_numbers']} | "
                  f"{', '.join(r['tool_calls']) or '-'} | {_fmt(r['total_s'])} | "
                  f"{' '.join(r['answer'].split())[:160].replace('|', '/')} |")
    if report.baseline:
        md += ["", "## Baseline per question", "", "| id | correct | refused | s | answer |", "|---|---|---|---|---|"]
        for r in report.baseline:
            md.append(f"| {r['id']} | {'✔' if r['correct'] else '✘'} | {r['refused']} | {_fmt(r['total_s'])} | "
                      f"{' '.join(r['answer'].split())[:160].replace('|', '/')} |")
    paths["md"].write_text("\n".join(md) + "\n", encoding="utf-8")
    return paths


def _plot(report: EvalReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [r["id"] for r in report.copilot]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(ids) + 2), 3.6))
    width = 0.4 if report.baseline else 0.7
    xs = range(len(ids))
    ax.bar([x - (width / 2 if report.baseline else 0) for x in xs], [r["total_s"] for r in report.copilot], width,
           label="copilot")
    if report.baseline:
        ax.bar([x + width / 2 for x in xs], [r["total_s"] for r in report.baseline[: len(ids)]], width,
               label="baseline")
    ax.set_xticks(list(xs), ids, rotation=45, ha="right")
    ax.set_ylabel("seconds")
    ax.set_title("Latency per question")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
