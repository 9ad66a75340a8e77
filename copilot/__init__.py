"""Analyst copilot: cited, checkable answers about markets and supply chains."""

from copilot.offline import apply_offline_switches

apply_offline_switches()

from copilot.settings import Settings  # noqa: E402
from copilot.types import Answer  # noqa: E402


def ask(question: str, *, k: int | None = None, settings: Settings | None = None, **kwargs) -> Answer:
    """Answer ``question`` from the store with [n] citations, computed figures, an audit and a disclaimer."""
    from copilot.pipeline import ask as _ask

    return _ask(question, k=k, settings=settings, **kwargs)


def ask_stream(question: str, *, k: int | None = None, settings: Settings | None = None, **kwargs):
    """Like ``ask`` but yields text pieces as they are generated, then the final ``Answer``."""
    from copilot.pipeline import ask_stream as _ask_stream

    return _ask_stream(question, k=k, settings=settings, **kwargs)


__all__ = ["Answer", "Settings", "ask", "ask_stream"]
