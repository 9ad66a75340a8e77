"""The LLM seam. Every backend speaks the OpenAI protocol: the embedded llama.cpp server on loopback, any
OpenAI-compatible endpoint, and (for tests) a fake that replays queued replies."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Protocol

from copilot.errors import LLMUnavailable, ModelAssetError


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float | None = None
    seconds: float = 0.0
    prompt_s: float | None = None  # prompt processing time, where the server reports it (llama.cpp does)
    cached_tokens: int | None = None  # prompt tokens served from the server's prompt cache, where it reports it


def _prompt_seconds(obj) -> float | None:
    extra = getattr(obj, "model_extra", None)
    timings = extra.get("timings") if isinstance(extra, dict) else None
    ms = timings.get("prompt_ms") if isinstance(timings, dict) else None
    return ms / 1000 if isinstance(ms, (int, float)) else None


def _cached_tokens(obj) -> int | None:
    """llama.cpp reports how many prompt tokens it took from its cache (``cache_n``)."""
    timings = (getattr(obj, "model_extra", None) or {}).get("timings") or {}
    n = timings.get("cache_n")
    return int(n) if isinstance(n, (int, float)) else None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


def _int(value) -> int:
    return value if isinstance(value, int) else 0


class ChatModel(Protocol):
    name: str
    endpoint: str
    prompt_cache: bool  # the server keeps a prompt's prefix: reading the fixed instructions ahead pays off

    def chat(self, messages: list[dict], *, max_tokens: int = 256, json_schema: dict | None = None,
             on_token: Callable[[str], None] | None = None) -> ChatResult: ...

    def health(self) -> str | None:
        """None when the model answers, else a one-line reason."""


class OpenAIChat:
    """Any OpenAI-compatible chat endpoint, through the ``openai`` client (no retries: failures surface fast)."""

    prompt_cache = True  # llama.cpp, vLLM and hosted endpoints reuse a repeated prefix

    def __init__(self, base_url: str, api_key: str | None, model: str, timeout_s: float = 120.0,
                 temperature: float = 0.0):
        from openai import OpenAI

        self.endpoint = base_url
        self.name = model
        self.temperature = temperature
        self.client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=0)

    def chat(self, messages, *, max_tokens=256, json_schema=None, on_token=None) -> ChatResult:
        """One reply. Every failure of the endpoint (unreachable, timeout, HTTP error, a reply that is not an OpenAI
        chat completion, an empty reply; streaming or not) raises ``LLMUnavailable`` naming the endpoint."""
        import httpx
        import openai

        kwargs = dict(model=self.name, messages=messages, max_tokens=max_tokens, temperature=self.temperature)
        if json_schema is not None:
            kwargs["response_format"] = {"type": "json_schema",
                                         "json_schema": {"name": "reply", "schema": json_schema, "strict": True}}
        started = time.perf_counter()
        try:
            if on_token is None:
                result = self._complete(kwargs, started)
            else:
                result = self._stream(kwargs, on_token, started)
        except openai.APITimeoutError:
            raise LLMUnavailable(f"the LLM at {self.endpoint} did not answer within its timeout") from None
        except openai.APIConnectionError as exc:
            raise LLMUnavailable(f"cannot reach the LLM at {self.endpoint}: {exc.__cause__ or exc}") from None
        except openai.APIStatusError as exc:
            msg = (str(exc.message).splitlines() or [""])[0][:200]
            raise LLMUnavailable(f"the LLM at {self.endpoint} answered HTTP {exc.status_code}: {msg}") from None
        except httpx.TimeoutException:
            raise LLMUnavailable(f"the LLM at {self.endpoint} did not answer within its timeout") from None
        except (openai.APIError, httpx.HTTPError) as exc:
            raise LLMUnavailable(f"the LLM at {self.endpoint} failed: {_one_line(exc)}") from None
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            # a 200 reply that is not an OpenAI chat completion (HTML, plain text, JSON of another shape)
            raise LLMUnavailable(f"the LLM at {self.endpoint} sent a malformed reply ({_one_line(exc)}); "
                                 "is it an OpenAI-compatible chat endpoint?") from None
        if not result.text.strip():
            raise LLMUnavailable(f"the LLM at {self.endpoint} sent an empty reply")
        return result

    def _complete(self, kwargs, started) -> ChatResult:
        resp = self.client.chat.completions.create(**kwargs)
        choices = getattr(resp, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise ValueError(f"no choices in a {type(resp).__name__} reply")
        text = choices[0].message.content
        if text is not None and not isinstance(text, str):
            raise TypeError(f"message content is {type(text).__name__}, not text")
        usage = getattr(resp, "usage", None)
        return ChatResult(text=text or "", prompt_tokens=_int(getattr(usage, "prompt_tokens", 0)),
                          completion_tokens=_int(getattr(usage, "completion_tokens", 0)),
                          seconds=time.perf_counter() - started, prompt_s=_prompt_seconds(resp),
                          cached_tokens=_cached_tokens(resp))

    def _stream(self, kwargs, on_token, started) -> ChatResult:
        parts: list[str] = []
        ttft = None
        usage = None
        prompt_s = None
        cached = None
        events = 0
        stream = self.client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs)
        for event in stream:
            if not hasattr(event, "choices"):
                raise TypeError(f"a stream event is {type(event).__name__}, not a chat completion chunk")
            events += 1
            if getattr(event, "usage", None):
                usage = event.usage
            prompt_s = _prompt_seconds(event) or prompt_s
            cached = _cached_tokens(event) if _cached_tokens(event) is not None else cached
            piece = event.choices[0].delta.content if event.choices and event.choices[0].delta else None
            if piece:
                if not isinstance(piece, str):
                    raise TypeError(f"a stream delta is {type(piece).__name__}, not text")
                if ttft is None:
                    ttft = time.perf_counter() - started
                parts.append(piece)
                on_token(piece)
        if not events:
            raise ValueError("the stream carried no chat completion events")
        return ChatResult(text="".join(parts), prompt_tokens=_int(getattr(usage, "prompt_tokens", 0)),
                          completion_tokens=_int(getattr(usage, "completion_tokens", 0)), ttft_s=ttft,
                          seconds=time.perf_counter() - started, prompt_s=prompt_s if prompt_s is not None else ttft,
                          cached_tokens=cached)

    def health(self) -> str | None:
        try:
            self.client.with_options(timeout=5.0).models.list()
            return None
        except Exception as exc:  # any failure is reported as one line
            return f"{self.endpoint}: {type(exc).__name__}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedLlama(OpenAIChat):
    """llama.cpp (xllamacpp) serving the default GGUF on 127.0.0.1, started on first use, with its own api key."""

    _lock = threading.Lock()

    def __init__(self, gguf, threads: int = 2, ctx: int = 4096, port: int = 0, timeout_s: float = 180.0,
                 temperature: float = 0.0, alias: str = "qwen2.5-coder-1.5b-instruct", api_key: str | None = None):
        from pathlib import Path

        import xllamacpp as xl

        if not Path(gguf).exists():
            raise ModelAssetError(f"model file {gguf} not found; run `copilot setup` (or `make setup`)")
        key = api_key or secrets.token_hex(16)
        port = port or _free_port()
        params = xl.CommonParams()
        params.model.path = str(gguf)
        # two slots, each with its own prompt cache and ``ctx`` tokens: the answer prompt's fixed instructions stay
        # cached in one while a tool choice or a rewrite uses the other (requests still run one at a time here)
        params.n_ctx = ctx * 2
        params.n_parallel = 2
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.port = port
        params.hostnames = ["127.0.0.1"]
        params.verbosity = 0
        params.api_keys = [key]
        params.model_alias = {alias}
        params.cache_prompt = True
        params.warmup = False
        params.endpoint_metrics = False
        params.ui = False
        started = time.perf_counter()
        with self._lock:
            try:
                self.server = xl.Server(params)
            except Exception as exc:
                raise LLMUnavailable(f"the embedded llama.cpp server failed to start: {exc}") from None
        super().__init__(f"http://127.0.0.1:{port}/v1", key, alias, timeout_s, temperature)
        self.endpoint = f"embedded llama.cpp at http://127.0.0.1:{port}/v1"
        self.load_s = time.perf_counter() - started


@dataclass
class FakeChat:
    """Replays queued replies (strings, or functions of the messages); records every call. Streams by word."""

    replies: deque = field(default_factory=deque)
    name: str = "fake"
    endpoint: str = "fake://"
    calls: list = field(default_factory=list)
    default: str | None = None
    prompt_cache: bool = False  # no warm-up call unless a test asks for one

    def queue(self, *replies) -> "FakeChat":
        self.replies.extend(replies)
        return self

    def chat(self, messages, *, max_tokens=256, json_schema=None, on_token=None) -> ChatResult:
        self.calls.append({"messages": messages, "json_schema": json_schema, "max_tokens": max_tokens})
        if self.replies:
            reply = self.replies.popleft()
        elif self.default is not None:
            reply = self.default
        else:
            raise AssertionError("FakeChat: no reply queued for this call")
        if isinstance(reply, BaseException):
            raise reply
        text = reply(messages) if callable(reply) else reply
        if not isinstance(text, str):
            text = json.dumps(text)
        if on_token:
            for i, word in enumerate(text.split(" ")):
                on_token(word if i == 0 else " " + word)
        prompt_tokens = sum(len(m["content"].split()) for m in messages)
        return ChatResult(text=text, prompt_tokens=prompt_tokens, completion_tokens=len(text.split()),
                          ttft_s=0.0 if on_token else None)

    def health(self) -> str | None:
        return None


def make_llm(settings) -> ChatModel:
    """The configured endpoint; else the data folder's shared model server (started if none runs); else, with
    ``COPILOT_LLM_SHARED=false``, a llama.cpp server of this process alone."""
    if settings.llm_base_url:
        return OpenAIChat(settings.llm_base_url, settings.llm_api_key, settings.llm_model, settings.llm_timeout_s,
                          settings.temperature)
    if settings.llm_shared:
        from copilot.llm_server import ensure

        return ensure(settings)
    from copilot.assets import gguf_path

    return EmbeddedLlama(settings.llm_gguf or gguf_path(settings.models_dir), threads=settings.llm_threads,
                         ctx=settings.llm_ctx, port=settings.llm_port, timeout_s=settings.llm_timeout_s,
                         temperature=settings.temperature, alias=settings.llm_model)
