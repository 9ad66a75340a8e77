"""One embedded model per data folder.

The first process that needs the embedded model starts ``copilot serve`` in the background (or a person runs it);
every process on that data folder (CLI, UI sessions, eval) then talks to that one llama.cpp server over the
OpenAI protocol on 127.0.0.1, with the key the server wrote for it. llama.cpp serves one request at a time and
queues the others, so two questions at once wait their turn instead of starting a second 2.4 GB server.

Files in the data folder:
- ``llm-server.lock``: held (flock) by the serving process for its whole life; free means no server.
- ``llm-server.json``: pid, port, api key, model file (mode 0600: only this user can read the key).
- ``llm-server.start.lock``: held while one process checks for a server and starts one.
- ``llm-server.queue.lock``: held by the process (or thread) whose request the server is answering; the others
  wait their turn on it, so waiting does not count against a request's timeout.
- ``llm-server.used``: touched at every request; the server stops after ``llm_idle_s`` without one.
- ``llm-server.log``: the background server's output.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from copilot.errors import ConfigError, LLMUnavailable
from copilot.llm import OpenAIChat


def _files(home: Path) -> dict[str, Path]:
    home = Path(home)
    return {name: home / f"llm-server.{ext}" for name, ext in
            (("lock", "lock"), ("info", "json"), ("start", "start.lock"), ("used", "used"), ("log", "log"),
             ("queue", "queue.lock"))}


@contextlib.contextmanager
def _flock(path: Path, blocking: bool = True):
    """An exclusive lock on ``path``; yields False (and holds nothing) when ``blocking`` is off and it is taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def running(home: Path) -> dict | None:
    """The live server of this data folder (its pid, port, key, model file), or None."""
    files = _files(home)
    if not files["lock"].exists():
        return None
    with _flock(files["lock"], blocking=False) as free:
        if free:
            return None
    try:
        return json.loads(files["info"].read_text())
    except (OSError, ValueError):
        return None  # starting: the lock is held, the info file not yet written


class SharedLlama(OpenAIChat):
    """The data folder's model server, used through the OpenAI protocol. Requests from every process and thread
    take turns (a lock in the data folder): the timeout applies to a request once its turn comes, not to the wait.
    Every call marks the server as in use."""

    def __init__(self, info: dict, home: Path, timeout_s: float, temperature: float):
        super().__init__(f"http://127.0.0.1:{info['port']}/v1", info["key"], info["model"], timeout_s, temperature)
        self.endpoint = f"shared llama.cpp at http://127.0.0.1:{info['port']}/v1 (pid {info['pid']})"
        self.pid = info["pid"]
        self._used = _files(home)["used"]
        self._queue = _files(home)["queue"]

    def chat(self, messages, **kwargs):
        self.mark_used()
        with _flock(self._queue):
            self.mark_used()
            try:
                return super().chat(messages, **kwargs)
            finally:
                self.mark_used()

    def mark_used(self) -> None:
        """Count as a request: the server stops only after ``llm_idle_s`` without one."""
        with contextlib.suppress(OSError):
            self._used.touch()


def _model_file(settings) -> str:
    from copilot.assets import gguf_path

    return str(Path(settings.llm_gguf or gguf_path(settings.models_dir)).resolve())


def attach(settings) -> SharedLlama | None:
    """The running server of ``settings.home``, or None. A server of another model file is a ConfigError."""
    info = running(settings.home)
    if info is None:
        return None
    wanted = _model_file(settings)
    if info.get("gguf") != wanted:
        raise ConfigError(f"the model server of {settings.home} (pid {info.get('pid')}) serves {info.get('gguf')}, "
                          f"not {wanted}; stop it with `copilot serve --stop`")
    return SharedLlama(info, settings.home, settings.llm_timeout_s, settings.temperature)


def ensure(settings, start_timeout_s: float = 180.0) -> SharedLlama:
    """Attach to the data folder's model server, starting one in the background if none runs. Processes that
    arrive together wait on one start lock: one starts the server, the others attach to it."""
    files = _files(settings.home)
    gguf = _model_file(settings)
    if not Path(gguf).exists():
        from copilot.errors import ModelAssetError

        raise ModelAssetError(f"model file {gguf} not found; run `copilot setup` (or `make setup`)")
    with _flock(files["start"]):
        chat = attach(settings)
        if chat is not None:
            return chat
        env = {k: v for k, v in os.environ.items() if k not in ("COPILOT_LLM_BASE_URL", "OPENAI_BASE_URL")}
        env.update(COPILOT_HOME=str(settings.home), COPILOT_LLM_GGUF=gguf, COPILOT_LLM_MODEL=settings.llm_model,
                   COPILOT_LLM_THREADS=str(settings.llm_threads), COPILOT_LLM_CTX=str(settings.llm_ctx),
                   COPILOT_LLM_TIMEOUT_S=str(settings.llm_timeout_s), COPILOT_TEMPERATURE=str(settings.temperature))
        proc = _spawn(env, settings.llm_idle_s, files["log"])
        deadline = time.monotonic() + start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LLMUnavailable(f"the model server for {settings.home} did not start (exit {proc.returncode}); "
                                     f"see {files['log']}: {_last_line(files['log'])}")
            chat = attach(settings)
            if chat is not None and chat.health() is None:
                return chat
            time.sleep(0.3)
        proc.terminate()
        raise LLMUnavailable(f"the model server for {settings.home} did not start within {start_timeout_s:.0f}s; "
                             f"see {files['log']}")


def _spawn(env: dict, idle_s: float, log_path: Path) -> subprocess.Popen:
    """Start ``copilot serve`` in its own session: it outlives this process and stops itself when idle."""
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "copilot.cli", "serve", "--idle-s", str(idle_s)], env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)


def _last_line(path: Path) -> str:
    try:
        lines = [x for x in path.read_text(errors="replace").splitlines() if x.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def serve(settings, idle_s: float = 0.0, backend=None, on_ready=None, stop=None) -> None:
    """Serve the embedded model for ``settings.home`` until SIGTERM or Ctrl-C, until ``stop`` (an Event) is set,
    or after ``idle_s`` seconds without a request (0: never). ``backend(key, port)`` builds the server (tests
    pass a fake one); by default it is ``EmbeddedLlama`` on 127.0.0.1 with the key."""
    import secrets

    files = _files(settings.home)
    with _flock(files["lock"], blocking=False) as mine:
        if not mine:
            info = running(settings.home) or {}
            raise ConfigError(f"a model server already runs for {settings.home} (pid {info.get('pid', '?')})")
        key = secrets.token_hex(16)
        if backend is None:
            from copilot.llm import EmbeddedLlama, _free_port

            port = settings.llm_port or _free_port()
            server = EmbeddedLlama(_model_file(settings), threads=settings.llm_threads, ctx=settings.llm_ctx,
                                   port=port, timeout_s=settings.llm_timeout_s, temperature=settings.temperature,
                                   alias=settings.llm_model, api_key=key)
        else:
            server, port = backend(key)
        info = {"pid": os.getpid(), "port": port, "key": key, "model": settings.llm_model,
                "gguf": _model_file(settings),
                "started": time.time()}
        tmp = files["info"].with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(info, fh)
        tmp.replace(files["info"])
        files["used"].touch()
        previous = signal.getsignal(signal.SIGTERM) if _main_thread() else None
        if _main_thread():
            signal.signal(signal.SIGTERM, _raise_interrupt)
        if on_ready:
            on_ready(info)
        try:
            while not (stop is not None and stop.is_set()):
                time.sleep(0.2)
                if idle_s and time.time() - _mtime(files["used"]) > idle_s:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            with contextlib.suppress(OSError):
                files["info"].unlink()
            if _main_thread():
                signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)
            del server


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def stop_server(home: Path, timeout_s: float = 30.0) -> int | None:
    """Stop the data folder's server (SIGTERM, then SIGKILL); returns its pid, or None when none ran."""
    info = running(home)
    if info is None:
        return None
    pid = int(info["pid"])
    if pid == os.getpid():
        raise ConfigError("the model server runs in this process; stop it there")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _alive(pid) and time.monotonic() < deadline + 10:
            time.sleep(0.2)
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (our own child, not yet reaped) has ended
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
