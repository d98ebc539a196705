"""Running the sandbox: under uvicorn in this process (the CLI), in a subprocess, or in a thread (tests).

`SandboxServer(config).start()` launches `python -m hubspot_assets.sandbox.server` with the config on stdin
(secrets never appear in a process list), on a free 127.0.0.1 port chosen by the OS, and returns once the
sandbox answers HTTP. Use it as a context manager:

    with SandboxServer(SandboxConfig(tier="unlimited")) as sandbox:
        requests.get(sandbox.url + "/crm/v3/objects/contacts", headers=sandbox.headers)
"""

from __future__ import annotations

import argparse
import http.client
import json as jsonlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from hubspot_assets.sandbox.config import SandboxConfig

READY_PREFIX = "SANDBOX_LISTENING "
PARENT_PID_ENV = "HUBSPOT_SANDBOX_PARENT_PID"  # set by SandboxServer: the process the sandbox must not outlive


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0: the OS picks a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_uvicorn_server(config: SandboxConfig, log_level: str = "warning") -> Any:
    import uvicorn

    from hubspot_assets.sandbox.app import create_app

    app = create_app(config)
    uv_config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off",
                               timeout_keep_alive=30, server_header=False, date_header=True)
    return uvicorn.Server(uv_config)


def run_server(config: SandboxConfig, host: str = "127.0.0.1", port: int = 0, announce: bool = True,
               log_level: str = "warning") -> None:
    """Serve the sandbox until interrupted. Prints `SANDBOX_LISTENING <url>` once the socket is bound."""
    sock = bind_socket(host, port)
    server = make_uvicorn_server(config, log_level)
    if announce:
        bound_host, bound_port = sock.getsockname()[:2]
        print(f"{READY_PREFIX}http://{bound_host}:{bound_port}", flush=True)
    server.run(sockets=[sock])


def _wait_until_answering(url: str, deadline: float, proc: subprocess.Popen | None = None) -> None:
    host, port = url.removeprefix("http://").split(":")
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"sandbox exited with code {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("GET", "/_sandbox/ping")
            conn.getresponse().read()
            conn.close()
            return
        except OSError as exc:
            last_error = exc
            time.sleep(0.02)
    raise RuntimeError(f"sandbox at {url} did not answer in time ({last_error})")


class _Client:
    """Helpers shared by the subprocess and thread servers."""

    url: str
    config: SandboxConfig

    @property
    def token(self) -> str:
        """The private-app token the sandbox accepts."""
        return self.config.access_token

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for the private-app token."""
        return {"Authorization": f"Bearer {self.config.access_token}"}

    def admin(self, path: str, json: Any = None, method: str | None = None) -> Any:
        """Call the admin API (`/_sandbox/<path>`): GET without a body, POST with one. Returns parsed JSON;
        raises RuntimeError with the answer's text on a non-2xx status."""
        import requests

        url = f"{self.url}/_sandbox/{path.lstrip('/')}"
        verb = method or ("GET" if json is None else "POST")
        answer = requests.request(verb, url, json=json, timeout=120)
        if answer.status_code >= 300:
            raise RuntimeError(f"{verb} {url} answered {answer.status_code}: {answer.text[:500]}")
        return answer.json() if answer.content else None

    def __enter__(self) -> Any:
        return self if self.url else self.start()  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        self.stop()  # type: ignore[attr-defined]


class SandboxServer(_Client):
    """The sandbox in a child process on a free 127.0.0.1 port. `start()` returns self once it answers."""

    def __init__(self, config: SandboxConfig | None = None, startup_timeout: float = 120.0, **overrides: Any):
        base = config or SandboxConfig()
        self.config = base.model_copy(update=overrides) if overrides else base
        self.config = SandboxConfig.model_validate(self.config.model_dump())
        self.startup_timeout = startup_timeout
        self.url = ""
        self.proc: subprocess.Popen | None = None
        self._stderr = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> SandboxServer:
        self._stderr = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONUNBUFFERED="1", **{PARENT_PID_ENV: str(os.getpid())})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hubspot_assets.sandbox.server", "--config-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env, text=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(self.config.model_dump_json())
        self.proc.stdin.close()
        deadline = time.monotonic() + self.startup_timeout
        line_box: list[str] = []
        reader = threading.Thread(target=lambda: line_box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        line = line_box[0] if line_box else ""
        if not line.startswith(READY_PREFIX):
            self.stop()
            raise RuntimeError(f"sandbox failed to start: {line!r} {self._stderr_tail()}")
        self.url = line[len(READY_PREFIX):].strip()
        try:
            _wait_until_answering(self.url, deadline, self.proc)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc} {self._stderr_tail()}") from None
        return self

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            return self._stderr.read()[-3000:].decode(errors="replace")
        except (OSError, ValueError):
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


class ThreadSandbox(_Client):
    """The sandbox served by uvicorn in a daemon thread of this process (fast start; shares the GIL)."""

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        base = config or SandboxConfig()
        self.config = SandboxConfig.model_validate({**base.model_dump(), **overrides})
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> ThreadSandbox:
        sock = bind_socket()
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self._server = make_uvicorn_server(self.config)
        self._server.config.install_signal_handlers = False  # not the main thread
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        _wait_until_answering(self.url, time.monotonic() + 60)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


def run_in_thread(config: SandboxConfig | None = None, **overrides: Any) -> ThreadSandbox:
    """A started in-process sandbox (use as a context manager or call `.stop()`)."""
    return ThreadSandbox(config, **overrides).start()


def _exit_with_parent() -> None:
    """A sandbox started by SandboxServer ends when the process that started it dies (no orphan servers), even
    one killed by SIGKILL: a watcher sees the sandbox re-parented and exits at once. The expected parent comes
    from the environment, so a parent that died before this ran is noticed too."""
    try:
        parent = int(os.environ.get(PARENT_PID_ENV, ""))
    except ValueError:
        parent = os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(0.25)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the HubSpot sandbox (internal entry point; use "
                                                 "`hubspot-elt sandbox serve`).")
    parser.add_argument("--config-stdin", action="store_true", help="read the SandboxConfig JSON from stdin")
    parser.add_argument("--config-json", default=None, help="SandboxConfig as JSON")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.config_stdin:
        raw = sys.stdin.read()
        _exit_with_parent()
    else:
        raw = args.config_json or "{}"
    config = SandboxConfig.model_validate(jsonlib.loads(raw))
    run_server(config, args.host, args.port)


if __name__ == "__main__":
    main()
