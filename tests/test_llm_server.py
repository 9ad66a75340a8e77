"""One model server per data folder: found through its lock and info files, used with its key, stopped when idle;
a start that fails is one clear error; two concurrent CLI questions on the real model are both answered."""

import json
import os
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import copilot.llm_server as llm_server
from copilot.errors import ConfigError, LLMUnavailable
from copilot.llm import OpenAIChat, make_llm
from copilot.settings import Settings
from tests.conftest import CORPUS, MODELS


class _Keyed(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self, body: dict):
        if self.headers.get("Authorization") != f"Bearer {self.server.key}":
            body, status = {"error": {"message": "invalid api key"}}, 401
        else:
            status = 200
            self.server.calls += 1
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._reply({"object": "list", "data": []})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply({"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Tanker rates rose [0]."}, "finish_reason": "stop"}]})


@pytest.fixture
def shared(tmp_path):
    """A data folder whose model server (a fake with a key, no model) runs in a thread of this process."""
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"stand-in")
    settings = Settings(home=tmp_path / "home", llm_gguf=gguf)
    fakes = []

    def backend(key):
        fake = ThreadingHTTPServer(("127.0.0.1", 0), _Keyed)
        fake.key, fake.calls = key, 0
        threading.Thread(target=fake.serve_forever, daemon=True).start()
        fakes.append(fake)
        return fake, fake.server_address[1]

    stop = threading.Event()
    ready = threading.Event()
    thread = threading.Thread(target=llm_server.serve, args=(settings,),
                              kwargs=dict(backend=backend, on_ready=lambda info: ready.set(), stop=stop, idle_s=0))
    thread.start()
    assert ready.wait(10)
    yield settings, fakes[0], stop, thread
    stop.set()
    thread.join(10)
    for fake in fakes:
        fake.shutdown()
        fake.server_close()


def test_processes_attach_to_the_running_server_with_its_key(shared, monkeypatch):
    settings, fake, _, _ = shared
    info_file = settings.home / "llm-server.json"
    assert stat.S_IMODE(info_file.stat().st_mode) == 0o600
    info = llm_server.running(settings.home)
    assert info["pid"] == os.getpid() and info["port"] == fake.server_address[1]

    monkeypatch.setattr(llm_server, "_spawn", lambda *a, **k: pytest.fail("started a second server"))
    llm = make_llm(settings)
    assert isinstance(llm, llm_server.SharedLlama) and llm.chat([{"role": "user", "content": "q"}]).text
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(make_llm(settings).chat(
        [{"role": "user", "content": "q"}]).text)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(answers) == 3 and fake.calls == 4
    with pytest.raises(LLMUnavailable, match="HTTP 401"):
        OpenAIChat(f"http://127.0.0.1:{info['port']}/v1", "guess", "m").chat([{"role": "user", "content": "q"}])


def test_a_second_server_for_the_same_folder_is_refused(shared):
    settings = shared[0]
    with pytest.raises(ConfigError, match="already runs"):
        llm_server.serve(settings, backend=lambda key: pytest.fail("started"))


def test_another_model_file_is_a_clear_error(shared, tmp_path):
    other = tmp_path / "other.gguf"
    other.write_bytes(b"x")
    with pytest.raises(ConfigError, match="copilot serve --stop"):
        make_llm(shared[0].model_copy(update={"llm_gguf": other}))


def test_the_server_stops_when_idle_and_cleans_up(shared):
    settings, _, _, thread = shared
    idle_settings = settings.model_copy(update={"home": settings.home.parent / "idle"})
    done = threading.Event()
    t = threading.Thread(target=lambda: (llm_server.serve(idle_settings, idle_s=1, backend=lambda key: (None, 1)),
                                         done.set()))
    t.start()
    assert done.wait(10)
    t.join(5)
    assert llm_server.running(idle_settings.home) is None and not (idle_settings.home / "llm-server.json").exists()


def test_a_server_that_cannot_start_is_one_error_and_leaves_nothing_running(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf at all")
    settings = Settings(home=tmp_path / "home", llm_gguf=bad)
    with pytest.raises(LLMUnavailable, match="did not start"):
        make_llm(settings)
    assert llm_server.running(settings.home) is None


@pytest.mark.llm
@pytest.mark.real
def test_two_cli_questions_and_two_ui_sessions_at_once_share_one_server_and_all_answer(tmp_path):
    """Two `copilot ask` processes and two sessions of one UI-like process (threads on one Runtime, as Streamlit
    runs them) ask together: one model server starts, the requests queue, every question is answered."""
    from copilot.pipeline import ask_stream
    from copilot.runtime import Runtime
    from copilot.types import Answer

    home = tmp_path / "home"
    copilot = [sys.executable, "-m", "copilot.cli"]
    # short replies keep four queued answers on two cores within a few minutes; the queue is what is tested
    env = dict(os.environ, COPILOT_HOME=str(home), COPILOT_MODELS_HOME=str(MODELS), COPILOT_LLM_MAX_TOKENS="64")
    subprocess.run(copilot + ["ingest", "--quiet", str(CORPUS)], env=env, check=True, capture_output=True)
    cli_questions = ["Which mine is MP Materials expanding output at?",
                     "What did China agree to after the Trump-Xi meeting in late October?"]
    ui_questions = ["Which companies recycle magnets?", "What happened to Lynas shares?"]
    ui = Runtime(Settings(home=home, models_home=MODELS, llm_max_tokens=64))
    ui_answers: dict[int, object] = {}

    def session(i: int, question: str) -> None:
        try:
            ui_answers[i] = list(ask_stream(question, runtime=ui, session_id=f"ui-{i}"))[-1]
        except Exception as exc:  # reported by the assertion below
            ui_answers[i] = exc

    try:
        procs = [subprocess.Popen(copilot + ["ask", "--json", q], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for q in cli_questions]
        threads = [threading.Thread(target=session, args=(i, q)) for i, q in enumerate(ui_questions)]
        for t in threads:
            t.start()
        outs = [p.communicate(timeout=900) for p in procs]
        for t in threads:
            t.join(900)
        for p, (out, err) in zip(procs, outs):
            assert p.returncode == 0, err
            answer = json.loads(out)
            assert answer["text"] and answer["model"]
        assert all(isinstance(a, Answer) and a.text for a in ui_answers.values()) and len(ui_answers) == 2, ui_answers
        info = llm_server.running(home)
        assert info is not None and isinstance(ui.llm, llm_server.SharedLlama) and ui.llm.pid == info["pid"]
        servers = subprocess.run(["pgrep", "-f", "copilot.cli serve"], capture_output=True, text=True).stdout.split()
        mine = [pid for pid in servers if f"COPILOT_HOME={home}\n".encode() in
                open(f"/proc/{pid}/environ", "rb").read().replace(b"\0", b"\n") + b"\n"]
        assert mine == [str(info["pid"])]  # one server for the four questions
    finally:
        stopped = subprocess.run(copilot + ["serve", "--stop"], env=env, capture_output=True, text=True)
        assert "stopped" in stopped.stdout or "no model server" in stopped.stdout
    assert llm_server.running(home) is None


def test_serve_command_has_help_and_reports_no_server(tmp_path):
    from click.testing import CliRunner

    from copilot.cli import cli

    runner = CliRunner()
    assert "--stop" in runner.invoke(cli, ["serve", "--help"]).output
    result = runner.invoke(cli, ["--home", str(tmp_path / "h"), "serve", "--status"])
    assert result.exit_code == 0 and "no model server runs" in result.output
