"""End-to-end questions on the real embedded model (llama.cpp + the verified GGUF), the real embedder and Chroma."""

import pytest

from copilot.pipeline import ask, ask_stream
from copilot.runtime import Runtime
from copilot.types import Answer
from tests.conftest import CORPUS

pytestmark = [pytest.mark.llm, pytest.mark.real]


@pytest.fixture(scope="module")
def rt(tmp_path_factory, real_embedder, real_llm):
    from copilot.settings import Settings
    from tests.conftest import MODELS

    settings = Settings(home=tmp_path_factory.mktemp("home"), models_home=MODELS)
    runtime = Runtime(settings, embedder=real_embedder, llm=real_llm)
    assert not runtime.ingest([CORPUS], progress=False).partial
    return runtime


def _cited_ok(a: Answer) -> bool:
    valid = {c.n for c in a.citations}
    return all(n in valid for claim in a.audit.claims for n in claim.citations)


def test_computed_gap_is_exact(rt):
    a = ask("What was the gap in tons between US-bound and Japan-bound magnet shipments from China in "
            "November 2025?", runtime=rt, save=False)
    assert [c.name for c in a.tool_calls] == ["difference"] and a.tool_calls[0].result == 277
    assert "277" in a.text.replace(",", "") and _cited_ok(a) and not a.refused


def test_factual_answer_is_grounded(rt):
    a = ask("Which mine is MP Materials expanding output at?", runtime=rt, save=False)
    assert "Mountain Pass" in a.text and _cited_ok(a) and not a.refused
    assert any(c.verdict in ("supported", "partial") for c in a.audit.claims)


def test_uncovered_period_is_refused(rt):
    from copilot.numbers import extract_numbers

    a = ask("How many tons of rare-earth magnets did China export in March 2023?", runtime=rt, save=False)
    assert a.refused and "March 2023" in a.text  # it says what is missing ...
    assert not [n for n in extract_numbers(a.text) if n.kind not in ("year", "date")]  # ... and states no figure


def test_stream_on_the_real_model(rt):
    items = list(ask_stream("What did China agree to after the Trump-Xi meeting in late October?", runtime=rt,
                            save=False))
    answer = items[-1]
    assert isinstance(answer, Answer) and len(items) > 3 and answer.timings.ttft_s is not None
    assert answer.usage.prompt_tokens > 100 and _cited_ok(answer)
