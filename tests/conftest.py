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
