"""Shared test fixtures: a running HubSpot sandbox over real HTTP, and a suite that writes nothing into the repo.

- `sandbox` (session): seed 42, scale small, tier unlimited. Attributes: `.url`, `.token`, `.headers`
  (Authorization), `.config`, `.admin(path, json=None)` for `/_sandbox/...`. Tests that mutate data should
  use their own records (create them) or `sandbox_factory`, since the session sandbox is shared.
- `sandbox_factory` (function): `sandbox_factory(**config_overrides)` starts a fresh sandbox subprocess
  (defaults: seed 42, small, unlimited) and stops it at teardown; e.g. `sandbox_factory(tier="free")`.
- `work_folder` (function, autouse): every test runs from an empty folder of its own, which is also where every
  path setting points (`tests/isolation.py: isolate`). Session and module fixtures run from one of their own.
- At the end of a run, a file that appeared in the working tree fails the run and is named (`pytest_sessionfinish`).
- Once collected, the objects of the imports are frozen out of the garbage collector (`pytest_collection_finish`).
- Under xdist, the longest test modules are handed out first (`tests/scheduling.py`), so both workers end together.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from tests.isolation import isolate, working_tree_files
from tests.scheduling import LongestModulesFirst, ModuleTimes

DEFAULTS: dict[str, Any] = {"seed": 42, "scale": "small", "tier": "unlimited"}
_BEFORE = pytest.StashKey[set[str] | None]()  # the working tree's untracked and ignored files when the run began
_WRITTEN = pytest.StashKey[list[str]]()  # those that appeared during the run
_MODULE_TIMES = ModuleTimes()  # how long each module of this run took (stored for the next run's order)


# -- nothing written into the working tree, nothing read from a developer's own settings --------------------------


@pytest.fixture(scope="session", autouse=True)
def session_work_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder session and module fixtures run from (they are set up before any test's own folder)."""
    folder = tmp_path_factory.mktemp("session-cwd")
    with pytest.MonkeyPatch.context() as patch:
        isolate(patch, folder)
        yield folder


@pytest.fixture(autouse=True)
def work_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own folder: its current directory and where its rate-limit state, token store, warehouse and
    queue go, so no two tests (nor two xdist workers) share a budget file."""
    folder = tmp_path_factory.mktemp("cwd")
    isolate(monkeypatch, folder)
    return folder


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # xdist workers leave the check to the controller
        session.config.stash[_BEFORE] = working_tree_files()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything alive after collection (Dagster, dlt, pandas and the test modules: some 250,000 objects
    that live until the process ends) out of the collector's sight. Every sync calls `gc.collect()` twice
    (sources/memory.py, before normalize and load), and in a test process each full collection walked those
    objects again (0.15-0.25 s a call, for nothing). Objects made by the tests themselves, such as the records a
    run read, are collected as before. In each xdist worker (they collect), and in a run without xdist."""
    gc.collect()  # nothing unreachable is frozen
    gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return LongestModulesFirst(config, log) if config.getvalue("dist") == "loadscope" else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _MODULE_TIMES.add(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _MODULE_TIMES.store(session)
    before = session.config.stash.get(_BEFORE, None)
    after = working_tree_files() if before is not None else None
    if before is None or after is None:
        return
    written = sorted(after - before)
    session.config.stash[_WRITTEN] = written
    if written and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    written = terminalreporter.config.stash.get(_WRITTEN, [])
    if written:
        terminalreporter.section("files written into the working tree", red=True)
        for path in written[:50]:
            terminalreporter.line(path)
        terminalreporter.line("Tests must write under tmp_path; the paths above were new after this run.")


# -- the sandbox ---------------------------------------------------------------------------------------------------


def stop_at_once(server: SandboxServer) -> None:
    """Stop a sandbox the tests are done with, without its graceful shutdown: uvicorn's takes 0.2 s (its shutdown
    tick, then the interpreter's exit), and waits out any request still held by a `slow` fault (up to 10 s).
    Nothing of a finished test's sandbox is kept, so SIGKILL loses nothing. Tests of the sandbox's own lifetime
    stop it themselves."""
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
    server.stop()  # reaps the process and closes its pipes


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(SandboxConfig(**DEFAULTS)).start()
    try:
        yield server
    finally:
        stop_at_once(server)


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., SandboxServer]]:
    started: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxServer:
        server = SandboxServer(SandboxConfig(**{**DEFAULTS, **overrides})).start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            stop_at_once(server)
