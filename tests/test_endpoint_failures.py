"""A broken OpenAI-compatible endpoint is one clear error naming it (exit 3), streaming or not, and nothing is kept
as an answer. The endpoint here is a small HTTP server on loopback that misbehaves in one chosen way."""

import json
import os
import pty
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot.cli import cli
from copilot.errors import LLMUnavailable
from copilot.history import History
from copilot.llm import OpenAIChat
from copilot.pipeline import ask, ask_stream

QUESTION = "Which mine is MP Materials expanding?"


def _completion(content):
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}


def _chunk(content):
    return {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}


class _Handler(BaseHTTPRequestHandler):
    mode = "ok"

    def log_message(self, *args):
        pass

    def _send(self, status, body: bytes, ctype: str):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # /v1/models, for health checks
        self._send(200, json.dumps({"object": "list", "data": []}).encode(), "application/json")

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        stream = bool(request.get("stream"))
        mode = self.server.mode
        if mode == "slow":
            time.sleep(3)
            mode = "ok"
        if mode == "http500":
            return self._send(500, b'{"error": {"message": "model crashed"}}', "application/json")
        if mode == "not-json":
            return self._send(200, b"<html><body>Welcome to nginx!</body></html>", "text/html")
        if not stream:
            body = {"ok": _completion("MP Materials runs Mountain Pass [0]."), "wrong-shape": {"result": "fine"},
                    "empty": _completion(""), "choices-null": {"choices": None},
                    "content-not-text": _completion({"a": 1})}[mode]
            return self._send(200, json.dumps(body).encode(), "application/json")
        events = {"ok": [_chunk("MP Materials"), _chunk(" runs Mountain Pass [0].")],
                  "wrong-shape": [{"result": "fine"}, {"foo": [1, 2]}], "empty": [_chunk("")],
                  "choices-null": [{"choices": None}], "content-not-text": [_chunk({"a": 1})]}[mode]
        body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self._send(200, body.encode(), "text/event-stream")


@pytest.fixture
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.mode = "ok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


BROKEN = ["not-json", "wrong-shape", "empty", "choices-null", "content-not-text", "http500", "slow"]


def test_the_fake_endpoint_answers_when_healthy(endpoint):
    llm = OpenAIChat(_url(endpoint), None, "m", timeout_s=5)
    assert llm.chat([{"role": "user", "content": "q"}]).text.startswith("MP Materials")
    pieces = []
    assert llm.chat([{"role": "user", "content": "q"}], on_token=pieces.append).text == "".join(pieces) != ""


@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
@pytest.mark.parametrize("mode", BROKEN)
def test_each_broken_reply_is_one_error_naming_the_endpoint(endpoint, mode, streaming):
    endpoint.mode = mode
    llm = OpenAIChat(_url(endpoint), None, "m", timeout_s=1)
    with pytest.raises(LLMUnavailable) as info:
        llm.chat([{"role": "user", "content": "q"}], on_token=(lambda t: None) if streaming else None)
    message = str(info.value)
    assert _url(endpoint) in message and "\n" not in message


@pytest.mark.parametrize("mode", ["not-json", "wrong-shape", "empty"])
def test_streamed_answer_from_a_broken_endpoint_is_an_error_and_nothing_is_kept(corpus_runtime, endpoint, mode):
    endpoint.mode = mode
    corpus_runtime._llm = OpenAIChat(_url(endpoint), None, "m", timeout_s=5)
    corpus_runtime.__dict__.pop("llm", None)
    with pytest.raises(LLMUnavailable, match=str(endpoint.server_address[1])):
        list(ask_stream(QUESTION, runtime=corpus_runtime, session_id="ui"))
    with pytest.raises(LLMUnavailable):
        ask(QUESTION, runtime=corpus_runtime, session_id="cli")
    assert History(corpus_runtime.settings.history_path).answers() == []


@pytest.mark.parametrize("mode", ["not-json", "wrong-shape", "empty", "http500"])
def test_cli_ask_against_a_broken_endpoint_exits_3_with_one_line(endpoint, mode, monkeypatch):
    monkeypatch.setenv("COPILOT_EMBEDDER", "fake")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "--quiet"]).exit_code == 0
    endpoint.mode = mode
    result = runner.invoke(cli, ["--llm-base-url", _url(endpoint), "ask", "--no-stream", QUESTION])
    assert result.exit_code == 3, result.output
    assert result.output.strip().count("\n") == 0 and _url(endpoint) in result.output
    assert "Traceback" not in result.output and "do not answer" not in result.output
    assert History(Path(os.environ["COPILOT_HOME"]) / "history.sqlite3").answers() == []


def test_cli_ask_streaming_to_a_terminal_exits_3_and_prints_no_refusal(endpoint, tmp_path):
    """The terminal path streams only to a TTY, so this runs the real command on a pseudo-terminal."""
    env = dict(os.environ, COPILOT_EMBEDDER="fake", COPILOT_HOME=str(tmp_path / "tty-home"))
    copilot = [sys.executable, "-m", "copilot.cli"]
    subprocess.run(copilot + ["ingest", "--quiet"], env=env, check=True, capture_output=True, timeout=120)
    endpoint.mode = "not-json"
    master, slave = pty.openpty()
    proc = subprocess.Popen(copilot + ["--llm-base-url", _url(endpoint), "ask", QUESTION], env=env, stdout=slave,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(slave)
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    os.close(master)
    assert proc.returncode == 3, (out, err)
    assert err.decode().strip().startswith("error:") and _url(endpoint) in err.decode()
    assert b"do not answer" not in out
    assert History(tmp_path / "tty-home" / "history.sqlite3").answers() == []
