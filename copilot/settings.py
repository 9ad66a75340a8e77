"""One settings object. Every field reads ``COPILOT_<NAME>``; defaults are the embedded, offline ones."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Fields that say where things live or hold secrets: they do not change what an answer says.
_UNHASHED = {"home", "models_home", "corpus_dir", "llm_api_key", "chroma_url", "llm_port", "llm_threads", "llm_timeout_s",
             "max_question_chars", "llm_shared", "llm_idle_s"}


class Settings(BaseSettings):
    """Configuration of the copilot (environment variables ``COPILOT_*``, or keyword arguments)."""

    model_config = SettingsConfigDict(env_prefix="COPILOT_", extra="ignore", populate_by_name=True)

    home: Path = Field(PROJECT_ROOT / ".copilot", description="Data folder: Chroma store, models, history.")
    models_home: Path | None = Field(None, description="Where model files live; default <home>/models.")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="The bundled corpus, ingested by default.")

    # Retrieval
    collection: str = Field("copilot", description="Chroma collection name.")
    chroma_url: str | None = Field(None, description="Chroma server URL (http://host:port); None = embedded on disk.")
    k: int = Field(6, ge=1, le=50, description="Sources shown to the model per question.")
    chunk_tokens: int = Field(180, ge=32, le=2000, description="Chunk size in cl100k tokens.")
    chunk_overlap: int = Field(30, ge=0, le=500, description="Overlap between chunks in tokens.")
    dense_weight: float = Field(0.6, ge=0, le=1, description="Weight of the dense score in hybrid search.")
    evidence_tokens: int = Field(320, ge=100, description="Token budget for the sources in the prompt.")
    passage_tokens: int = Field(60, ge=0, description="A text source is cut to the sentences that bear on the "
                                                      "question, within this many tokens (0 = whole chunks).")
    min_relevance: float = Field(0.25, description="Below this best hybrid score the question is refused.")
    embedder: Literal["minilm", "fake"] = Field("minilm", description="'fake' = hashed bag of words, for tests.")
    embed_batch: int = Field(32, ge=1, description="Texts per embedding batch.")

    # LLM
    llm_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("COPILOT_LLM_BASE_URL", "OPENAI_BASE_URL", "llm_base_url"),
        description="OpenAI-compatible endpoint; None = the embedded llama.cpp server.",
    )
    llm_api_key: str | None = Field(
        None, validation_alias=AliasChoices("COPILOT_LLM_API_KEY", "OPENAI_API_KEY", "llm_api_key")
    )
    llm_model: str = Field(
        "qwen2.5-coder-1.5b-instruct",
        validation_alias=AliasChoices("COPILOT_LLM_MODEL", "OPENAI_MODEL", "llm_model"),
    )
    llm_gguf: Path | None = Field(None, description="GGUF served by the embedded server; None = the verified default.")
    llm_threads: int = Field(2, ge=1)
    llm_ctx: int = Field(4096, ge=512)
    llm_port: int = Field(0, ge=0, le=65535, description="Embedded server port; 0 = pick a free one.")
    llm_timeout_s: float = Field(180.0, gt=0)
    llm_shared: bool = Field(True, description="Processes on one data folder share one embedded model server.")
    llm_idle_s: float = Field(300.0, ge=0, description="A background model server stops after this idle time.")
    llm_max_tokens: int = Field(220, ge=16)
    temperature: float = Field(0.0, ge=0, le=2)
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted, after cleaning.")

    # Audit
    number_policy: Literal["flag", "drop"] = Field("flag", description="Untraced numbers: flag the claim or drop it.")
    pct_tolerance: float = Field(0.5, ge=0, description="Percentage points within which 11% matches 11.28%.")
    rel_tolerance: float = Field(0.0, ge=0, description="Relative tolerance for other numbers (rounding is always allowed).")

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.models_home or self.home / "models"

    @property
    def history_path(self) -> Path:
        return self.home / "history.sqlite3"

    @property
    def uses_embedded_llm(self) -> bool:
        return not self.llm_base_url

    def settings_hash(self) -> str:
        """A short hash of everything that shapes an answer; stamped on every Answer."""
        data = self.model_dump(mode="json", exclude=_UNHASHED)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def get_settings(**overrides) -> Settings:
    return Settings(**overrides)
