"""A tiny webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every POST.

`behaviour(n)` decides the answer to the n-th POST (0-based): an int status, or ("sleep", seconds, status).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


class Received:
    """One POST as the receiver saw it."""

    def __init__(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body

    @property
    def events(self) -> list[dict]:
        return orjson.loads(self.body)


class WebhookReceiver:
    def __init__(self, behaviour: Callable[[int], Any] | None = None) -> None:
        self.behaviour = behaviour or (lambda n: 204)
        self.received: list[Received] = []
        self.in_flight = 0
        self.max_in_flight = 0  # most POSTs being handled at the same moment
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    n = len(receiver.received)
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                action = receiver.behaviour(n)
                status = action
                if isinstance(action, tuple):
                    _, seconds, status = action
                    time.sleep(seconds)
                with receiver._lock:
                    receiver.in_flight -= 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sandbox gave up waiting and closed the connection

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hubspot/webhooks?source=sandbox"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least `count` POSTs arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} webhook POSTs within {timeout} s, got {len(self.received)}")
