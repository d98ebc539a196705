"""One writer at a time: a second writer waits for the warehouse writer lock and says so, naming the holder."""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from filelock import Timeout

from hubspot_assets.settings import Settings
from hubspot_assets.sources.warehouse import describe_holder, writer_lock
from tests.sources.sandbox_warehouse import query, settings_for

ROOT = Path(__file__).resolve().parents[2]

HOLD_LOCK = """
import sys
from hubspot_assets.settings import Settings
from hubspot_assets.sources.warehouse import writer_lock

with writer_lock(Settings(warehouse_path=sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def _wait_for_line(lines: queue.Queue, text: str, seen: list[str]) -> str:
    """The first line holding `text` (every line read is kept in `seen`); fails if the stream ends first."""
    while True:
        line = lines.get(timeout=180)  # only a bound against a hung test, not a measure
        assert line is not None, f"no line with {text!r}: {''.join(seen)[-3000:]}"
        seen.append(line)
        if text in line:
            return line


def test_a_second_sync_says_it_waits_for_the_writer_lock_and_for_whom_then_runs(sandbox, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    env.update(PYTHONPATH=str(ROOT), HUBSPOT_BASE_URL=sandbox.url, HUBSPOT_ACCESS_TOKEN=sandbox.token,
               HUBSPOT_TIER="unlimited", HUBSPOT_WAREHOUSE_PATH=str(warehouse),
               HUBSPOT_STATE_DIR=str(tmp_path / "state"), HUBSPOT_TOKEN_STORE_PATH=str(tmp_path / "tokens.enc"))
    script = tmp_path / "hold_lock.py"
    script.write_text(HOLD_LOCK)
    holder = subprocess.Popen([sys.executable, str(script), str(warehouse)], cwd=ROOT, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    sync = None
    try:
        assert holder.stdout.readline().strip() == "held"
        sync = subprocess.Popen([sys.executable, "-m", "hubspot_assets.cli", "sync", "--objects", "contacts"],
                                cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_lines, args=(sync.stderr, lines), daemon=True).start()
        seen: list[str] = []

        waiting = _wait_for_line(lines, "waiting for the warehouse writer lock", seen)

        assert f"held by pid {holder.pid} (hold_lock.py " in waiting and ", since " in waiting
        assert sync.poll() is None, "the second writer waits instead of failing"
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=60) == 0
        assert sync.wait(timeout=300) == 0, "".join(seen) + sync.stderr.read()
    finally:
        for process in (holder, sync):
            if process is not None and process.poll() is None:
                process.kill()
    while (line := lines.get(timeout=60)) is not None:
        seen.append(line)
    assert sum("waiting for the warehouse writer lock" in line for line in seen) == 1, "said once"
    settings = settings_for(sandbox, tmp_path, warehouse_path=warehouse)
    assert query(settings, "SELECT count(*) FROM hubspot_raw.contacts")[0][0] > 0  # then it ran


def test_a_writer_that_times_out_waiting_names_the_holder_once(tmp_path, caplog):
    settings = Settings(warehouse_path=tmp_path / "warehouse.duckdb")
    outcome: list[BaseException] = []

    def second_writer() -> None:
        try:
            with writer_lock(settings, timeout_s=0.05):
                pass
        except BaseException as error:  # noqa: BLE001 - the outcome is asserted below
            outcome.append(error)

    with caplog.at_level(logging.WARNING, logger="hubspot_assets"):
        with writer_lock(settings):
            thread = threading.Thread(target=second_writer)
            thread.start()
            thread.join()

    assert len(outcome) == 1 and isinstance(outcome[0], Timeout)
    waits = [r for r in caplog.records if r.name.startswith("hubspot_assets") and "waiting for" in r.getMessage()]
    assert len(waits) == 1 and waits[0].levelno == logging.WARNING
    assert f"held by pid {os.getpid()} (" in waits[0].getMessage()
    assert ", since " in waits[0].getMessage()


def _described_while_held(tmp_path: Path) -> tuple[str, str]:
    """(the holder as a waiter would describe it, the record's text) while this process holds the lock."""
    settings = Settings(warehouse_path=tmp_path / "warehouse.duckdb")
    record = tmp_path / "warehouse.duckdb.writer.holder"
    with writer_lock(settings):
        described, text = describe_holder(record), record.read_text()
    assert not record.exists(), "the record goes with the lock"
    return described, text


def test_the_holder_record_names_the_command_without_its_secrets(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "orig_argv", ["/venv/bin/python", "/venv/bin/hubspot-elt", "sandbox", "serve",
                                           "--access-token", "pat-na1-secret", "--client-secret=shh"])

    described, text = _described_while_held(tmp_path)

    assert described.startswith(
        f"pid {os.getpid()} (hubspot-elt sandbox serve --access-token *** --client-secret=***, since ")
    assert "pat-na1-secret" not in text and "shh" not in text


def test_a_lock_without_a_record_yet_is_described_as_held_by_another_process(tmp_path):
    assert describe_holder(tmp_path / "missing.writer.holder") == "another process (it has not said which yet)"


def test_the_record_of_a_holder_killed_since_does_not_name_it(tmp_path):
    import json

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record = tmp_path / "warehouse.duckdb.writer.holder"
    record.write_text(json.dumps({"pid": int(ended.stdout), "command": "hubspot-elt sync",
                                  "since": "2026-01-01T10:02:11+00:00"}))

    assert describe_holder(record) == "another process (it has not said which yet)"


@pytest.mark.parametrize("argv, shown", [
    (["/venv/bin/python", "-m", "hubspot_assets.demo", "--warehouse", "w.duckdb"],
     "python -m hubspot_assets.demo --warehouse w.duckdb"),
    (["/venv/bin/python", "-c", "print('pat-na1-in-code')"], "python -c ..."),
    (["/venv/bin/python", "/venv/bin/dagster", "api", "execute_run", "x" * 200],
     "dagster api execute_run " + "x" * 73 + "..."),
])
def test_the_recorded_command_is_short_and_readable(tmp_path, monkeypatch, argv, shown):
    monkeypatch.setattr(sys, "orig_argv", argv)

    described, _ = _described_while_held(tmp_path)

    assert described.startswith(f"pid {os.getpid()} ({shown}, since ")
