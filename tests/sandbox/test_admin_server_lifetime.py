"""A sandbox started by `SandboxServer` never outlives the process that started it, even one killed by SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

PARENT = """
import sys, time
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
server = SandboxServer(SandboxConfig(scale="200", tier="unlimited")).start()
print(server.pid, server.url, flush=True)
time.sleep(600)
"""


def test_the_sandbox_subprocess_exits_within_seconds_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline().split()[0])
        child = psutil.Process(child_pid)
        assert child.is_running() and child.ppid() == parent.pid
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 5
        while not _gone(child):
            assert time.monotonic() < deadline, "the sandbox outlived its killed parent"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
