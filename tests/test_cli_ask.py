"""`copilot ask` prints the checked answer once; `copilot ui` takes its Streamlit server down with it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

import copilot.runtime
from copilot.cli import cli
from copilot.history import History


@pytest.fixture
def cli_runtime(corpus_runtime, monkeypatch):
    monkeypatch.setattr(copilot.runtime, "default_runtime", lambda settings=None: corpus_runtime)
    return corpus_runtime


def test_ask_prints_the_answer_once(cli_runtime, fake_llm):
    fake_llm.default = "MP Materials is expanding the Mountain Pass mine [0]."
    result = CliRunner().invoke(cli, ["ask", "Which mine is MP Materials expanding?"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Mountain Pass mine") == 1 and not result.stderr  # off a terminal: nothing else
    assert result.stdout.rstrip().endswith("Check the cited sources before relying on any figure.")


def test_ask_on_a_terminal_shows_steps_and_a_marked_draft_on_stderr(cli_runtime, fake_llm, monkeypatch):
    import copilot.cli

    monkeypatch.setattr(copilot.cli, "_stderr_is_terminal", lambda: True)
    fake_llm.default = "MP Materials is expanding the Mountain Pass mine [0]."
    result = CliRunner().invoke(cli, ["ask", "Which mine is MP Materials expanding?"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Mountain Pass mine") == 1
    assert "search" in result.stderr and "draft (not yet checked): MP Materials" in result.stderr


@pytest.mark.parametrize("args", [["ask", "-2+3"], ["ask", "-k", "3", "-2+3"], ["ask", "-2+3", "--session", "s1"]])
def test_a_question_may_start_with_a_dash(cli_runtime, fake_llm, args):
    fake_llm.default = "The sources provided do not answer this question."
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    stored = History(cli_runtime.settings.history_path).answers()
    assert [a.question for a in stored] == ["-2+3"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def _start_ui(tmp_path) -> subprocess.Popen:
    """`copilot ui` on a free port with the fake embedder, once its Streamlit server answers (or 60 s passed)."""
    port = _free_port()
    env = dict(os.environ, COPILOT_HOME=str(tmp_path / "home"), COPILOT_EMBEDDER="fake")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "copilot"), "ui", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    return proc


def _wait_gone(pids: list[int], seconds: float) -> bool:
    deadline = time.time() + seconds
    while any(_alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.2)
    return not any(_alive(p) for p in pids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ui_stops_its_server_when_stopped(tmp_path, sig):
    proc = _start_ui(tmp_path)
    try:
        server = _children_of(proc.pid)
        assert server, "copilot ui started no server"
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
        assert b"stopped" in proc.stderr.read()
        assert _wait_gone(server, 10), "the Streamlit server outlived `copilot ui`"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_ui_server_dies_with_a_killed_parent(tmp_path):
    proc = _start_ui(tmp_path)
    server = []
    try:
        server = _children_of(proc.pid)
        assert server, "copilot ui started no server"
        proc.kill()  # SIGKILL: no handler runs; the server is told by the kernel
        proc.wait()
        assert _wait_gone(server, 15), "the Streamlit server outlived a killed `copilot ui`"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
        for pid in server:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
