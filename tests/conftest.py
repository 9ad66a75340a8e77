"""Shared fixtures: a temp data folder for every test, fakes for the LLM and the embedder, the real parts on demand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from copilot.llm import FakeChat
from copilot.runtime import Runtime
from copilot.settings import PROJECT_ROOT, Settings
from retrieval.embedder import FakeEmbedder

CORPUS = PROJECT_ROOT / "corpus"
MODELS = Path(os.environ.get("COPILOT_TEST_MODELS", PROJECT_ROOT / ".copilot" / "models"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test touches the user's data folder or a real endpoint by accident."""
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    for var in ("COPILOT_LLM_BASE_URL", "OPENAI_BASE_URL", "COPILOT_CHROMA_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    import copilot.runtime

    monkeypatch.setattr(copilot.runtime, "_default", None)
    yield
    from copilot.llm_server import running, stop_server

    info = running(tmp_path / "home")
    if info is not None and info["pid"] != os.getpid():
        stop_server(tmp_path / "home")  # a model server a test started in the background stops with the test


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", models_home=MODELS)


@pytest.fixture
def fake_llm() -> FakeChat:
    return FakeChat()


@pytest.fixture
def runtime(settings, fake_llm) -> Runtime:
    return Runtime(settings, embedder=FakeEmbedder(), llm=fake_llm)


@pytest.fixture
def corpus_runtime(runtime) -> Runtime:
    report = runtime.ingest([CORPUS], progress=False)
    assert not report.partial, report
    return runtime


@pytest.fixture(scope="session")
def real_embedder():
    from copilot.assets import ensure_tokenizer
    from retrieval.embedder import OnnxMiniLM

    return OnnxMiniLM(ensure_tokenizer(MODELS), threads=2)


@pytest.fixture(scope="session")
def real_llm():
    """The embedded llama.cpp server with the verified default GGUF (fetched by `copilot setup`)."""
    from copilot.assets import ensure_gguf
    from copilot.llm import EmbeddedLlama

    return EmbeddedLlama(ensure_gguf(MODELS, progress=False), threads=2)


def _become_subreaper() -> None:
    """Orphaned grandchildren (a server whose parent died) are re-parented to this process instead of init, so the
    check below sees them too (Linux; elsewhere only direct children are seen)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _children() -> dict[int, tuple[str, str]]:
    """This process's child processes: pid -> (state, command line)."""
    me, out = os.getpid(), {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
            if int(ppid) == me:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                out[int(entry)] = (state, cmd.strip()[:160])
        except (OSError, ValueError):
            continue
    return out


_become_subreaper()


@pytest.fixture(autouse=True)
def _no_process_left_behind():
    """A test fails if a process it started (or one of theirs) is still running when it ends; it is then killed."""
    import signal
    import time

    before = set(_children())
    yield
    deadline = time.time() + 10
    while True:
        left = {pid: info for pid, info in _children().items() if pid not in before}
        for pid, (state, _) in list(left.items()):
            if state == "Z":  # exited; reap it
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                left.pop(pid)
        if not left or time.time() > deadline:
            break
        time.sleep(0.2)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    assert not left, "processes left running: " + "; ".join(f"{pid} {cmd}" for pid, (_, cmd) in left.items())


@pytest.fixture(autouse=True, scope="session")
def _reap_at_exit():
    """Processes that exit as session fixtures close (a browser's helpers) are reaped, not left as zombies."""
    yield
    import time

    deadline = time.time() + 5
    while time.time() < deadline:
        pending = _children()
        for pid, (state, _) in pending.items():
            if state == "Z":
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        if not _children():
            return
        time.sleep(0.2)
