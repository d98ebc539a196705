"""A real Postgres server for the queue tests, from the binaries the `pgserver` wheel ships (no system install).

`PostgresServer().start()` runs `initdb` into a fresh folder under the system temp dir and `postgres` on a free
TCP port of 127.0.0.1, durability off (fsync) since the data is thrown away. Postgres refuses to run as root, so
under root (CI, containers) both run as the `nobody` user, which is why the folder is not under pytest's tmp_path
(that one is readable by root only).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        # Found without importing pgserver: its import makes a lock file of its own in the user's runtime dir.
        self.bin = Path(find_spec("pgserver").origin).parent / "pginstall" / "bin"
        self.folder = Path(tempfile.mkdtemp(prefix="hubspot-elt-postgres-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        # Postgres will not run as root: hand the folder to `nobody` and run as it.
        self.user = "nobody" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.folder, self.user)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, timeout_s: float = 60) -> PostgresServer:
        data = self.folder / "data"
        subprocess.run([self.bin / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True, user=self.user)
        self.process = subprocess.Popen(
            [self.bin / "postgres", "-D", data, "-h", "127.0.0.1", "-p", str(self.port), "-k", self.folder,
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=60", "-c", "shared_buffers=16MB"],
            stdout=subprocess.DEVNULL, stderr=open(self.folder / "postgres.log", "wb"), user=self.user)
        self._wait(timeout_s)
        return self

    def _wait(self, timeout_s: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "postgres.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"postgres did not start on port {self.port}: {log}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: "smart" shutdown is fine, clients are gone by now
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
