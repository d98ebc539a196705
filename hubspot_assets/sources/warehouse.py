"""The DuckDB warehouse file: the dlt pipeline that writes it, the one-writer lock, and the read-only snapshot.

DuckDB lets one process write a database file at a time, and a reader cannot open a file another process is
writing. So:
- every writer (Dagster runs, `hubspot-elt sync`) takes `writer_lock()` (a file lock next to the warehouse) before
  opening it; a second writer waits for the first instead of failing on DuckDB's lock, and says so once (a WARNING
  on the `hubspot_assets.warehouse` logger naming the holder: pid, command, since when). In Dagster, the assets
  also run in the `hubspot_warehouse` concurrency pool;
- after each successful load, `publish_snapshot()` copies the warehouse's data (not dlt's staging schema) to the
  snapshot file atomically (write a temporary copy, then rename over the old snapshot). Analysts query the snapshot,
  never the live file:
      duckdb.connect("data/warehouse.snapshot.duckdb", read_only=True)
  or `duckdb -readonly data/warehouse.snapshot.duckdb`. A query that started on the previous snapshot keeps
  reading it (the old file stays open until closed), so no reader ever sees a lock error or a half-written load.

dlt's own settings for the `hubspot` pipeline (extract and load pools, telemetry off) live in the project's
`.dlt/config.toml`, which dlt reads from the current folder or DLT_PROJECT_DIR; `make_pipeline()` stops at once
when they are not found rather than run with dlt's defaults (a small extract pool deadlocks the run).

What a killed run leaves behind is cleared by the next writer, under the lock: the folders of an extraction that
never finished (`discard_unfinished_extracts`, dlt never reads them again) and the temporary copy of a snapshot
whose writing process is gone (in `publish_snapshot`).
"""

from __future__ import annotations

import glob
import json
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.common.configuration import inject_section, resolve_configuration
from dlt.common.configuration.specs import ConfigSectionContext
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.extract.pipe_iterator import PipeIterator
from filelock import FileLock, Timeout

from hubspot_assets.settings import Settings
from hubspot_assets.sources.memory import ReleasingCollector, limit_arenas
from hubspot_assets.sources.settings import DATASET_NAME, PIPELINE_NAME

log = logging.getLogger("hubspot_assets.warehouse")

# How DuckDB loads: within HUBSPOT_WAREHOUSE_MEMORY_LIMIT (it would otherwise cache up to 80% of the machine's
# memory, and spills to disk past the limit), one row group buffered before a bulk write instead of five, no
# insertion order to keep, and one thread: the merge of a wide table numbers its rows per key (dlt's dedup window),
# and each thread holds its own share of that, so one thread loads 1M wide contacts within the default limit where
# two do not.
LOAD_SETTINGS = {"write_buffer_row_group_count": 1, "preserve_insertion_order": False, "threads": 1}

# The extract threads `.dlt/config.toml` gives the pipeline ([hubspot.extract] workers): room for every resource
# of the source on a portal with well over a dozen custom objects (each adds one); a run that selects more resources
# stops with a message saying what to raise (`require_extract_pool`).
EXTRACT_WORKERS = 48

# dlt's staging dataset, where merges stage their rows (its default layout, "<dataset>_staging"): not data.
STAGING_SCHEMA = f"{DATASET_NAME}_staging"
# What the models framework remembers between builds (hubspot_assets/models/state.py): not data either.
MODELS_STATE_SCHEMA = "hubspot_models_state"
INTERNAL_SCHEMAS = (STAGING_SCHEMA, MODELS_STATE_SCHEMA)


class DltSettingsError(RuntimeError):
    """dlt's settings for the `hubspot` pipeline are missing or too small for the run (the message says what to
    set)."""


def warehouse_path(settings: Settings) -> Path:
    """The absolute warehouse path (HUBSPOT_WAREHOUSE_PATH); its folder is created if missing."""
    path = settings.absolute(settings.warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def snapshot_path(settings: Settings) -> Path:
    """Where the read-only snapshot goes (HUBSPOT_SNAPSHOT_PATH, default `<warehouse>.snapshot.duckdb`)."""
    if settings.snapshot_path is not None and str(settings.snapshot_path) not in ("", "."):
        return settings.absolute(settings.snapshot_path)
    path = warehouse_path(settings)
    return path.with_name(f"{path.stem}.snapshot{path.suffix or '.duckdb'}")


# ---- the dlt pipeline ---------------------------------------------------------------------------------------


def open_warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the warehouse for the length of one model build (close it when the build ends);
    sync runs leave the connections to dlt (see `sync_session`)."""
    path = warehouse_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path))


def make_pipeline(settings: Settings, *, progress: object | None = None) -> dlt.Pipeline:
    """The dlt pipeline that loads `hubspot_raw` into the warehouse. Its working folder lives next to the warehouse
    (`.dlt/<warehouse name>/`), so two warehouses never share dlt state; the state that matters (cursors) is
    stored in the warehouse itself and restored from it.

    Raises `DltSettingsError` when dlt did not find the project's `.dlt/config.toml` (run from the project folder or
    set DLT_PROJECT_DIR); this changes no process-wide dlt setting."""
    require_extract_pool(EXTRACT_WORKERS)
    path = warehouse_path(settings)
    pipelines_dir = path.parent / ".dlt" / path.stem
    _import_lazy_modules()
    limit_arenas()  # before dlt starts its extract threads (see sources/memory.py)
    credentials = DuckDbCredentials(
        str(path), global_config={"memory_limit": settings.warehouse_memory_limit, **LOAD_SETTINGS}
    )
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        destination=dlt.destinations.duckdb(credentials),
        dataset_name=DATASET_NAME,
        pipelines_dir=str(pipelines_dir),
        progress=ReleasingCollector(progress),  # type: ignore[arg-type]
    )


def extract_pool() -> tuple[int, int]:
    """(workers, max_parallel_items) of the `hubspot` pipeline's extract step, resolved as dlt resolves them for a
    run: `[hubspot.extract]` in .dlt/config.toml, an environment variable (HUBSPOT__EXTRACT__WORKERS,
    EXTRACT__WORKERS), else dlt's defaults."""
    with inject_section(ConfigSectionContext(pipeline_name=PIPELINE_NAME, sections=("extract",))):
        config = resolve_configuration(PipeIterator.PipeIteratorConfiguration())
    return int(config.workers), int(config.max_parallel_items)


_ENV_PREFIX = f"{PIPELINE_NAME.upper()}__EXTRACT__"  # dlt's environment names for [hubspot.extract] keys


def require_extract_pool(resources: int) -> None:
    """Raise `DltSettingsError` unless the extract pool holds `resources` resources at once.

    Resources run side by side, one extract thread each, and several wait for what others read
    (sources/extraction.py): with fewer threads than selected resources the run would hang, so it stops here."""
    workers, parallel_items = extract_pool()
    if workers >= resources and parallel_items >= resources:
        return
    config_file = Path(dlt.current.run_context().settings_dir, "config.toml").resolve()
    if config_file.is_file():
        what_to_do = (
            f"raise [{PIPELINE_NAME}.extract] workers and max_parallel_items to at least {resources} in {config_file} "
            f"(or set {_ENV_PREFIX}WORKERS and {_ENV_PREFIX}MAX_PARALLEL_ITEMS)"
        )
    else:
        what_to_do = (
            f"dlt found no {config_file} (it reads .dlt/ from the current folder): run from the hubspot-elt project "
            "folder, which holds .dlt/config.toml, or set DLT_PROJECT_DIR to it"
        )
    raise DltSettingsError(
        f"the {PIPELINE_NAME!r} pipeline needs {resources} extract threads (one per resource; fewer would hang the "
        f"run) but dlt gives it {workers} (max_parallel_items {parallel_items}); {what_to_do}"
    )


def _import_lazy_modules() -> None:
    """dlt imports pandas and pyarrow helpers on first use; doing that in several extract threads at once breaks
    the import (partially initialized module), so import them here, in one thread, first."""
    import pandas  # noqa: F401
    import pyarrow as pa
    from dlt.common.libs import pandas as _dlt_pandas  # noqa: F401
    from dlt.common.libs import pyarrow as _dlt_pyarrow  # noqa: F401

    # Arrow's default allocator keeps freed pages for reuse; the system allocator gives them back, which keeps the
    # resident memory of a long sync far lower.
    pa.set_memory_pool(pa.system_memory_pool())


# An extraction writes into a folder of its own under `normalize/` (dlt names it with 16 hex digits) and moves its
# package to `normalize/extracted/` (NormalizeStorage.EXTRACTED_FOLDER) only when it completes; dlt never reads an
# unmoved folder again.
_EXTRACT_FOLDER = re.compile(r"[0-9a-f]{16}")


def discard_unfinished_extracts(pipeline: Any) -> list[Path]:
    """Remove what extractions killed before they finished left in the pipeline's working folder (their partly
    written files); returns the folders removed. Call it with the writer lock held (only a lock holder extracts).

    Nothing is lost: dlt loads only completed packages (`normalize/extracted/`, then `load/`), which stay, and the
    cursors of an unfinished run were never saved, so the next run reads those changes again."""
    normalize = Path(pipeline.working_dir) / "normalize"
    removed = []
    for folder in sorted(normalize.glob("*")):
        if folder.is_dir() and _EXTRACT_FOLDER.fullmatch(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        log.warning("removed the unfinished extraction of a run that stopped half-way (%s)",
                    ", ".join(str(f) for f in removed))
    return removed


# ---- the writer lock ----------------------------------------------------------------------------------------


@contextmanager
def writer_lock(settings: Settings, timeout_s: float = -1) -> Iterator[None]:
    """Hold the warehouse's writer lock (one writing process at a time); waits (forever by default, else raises
    `filelock.Timeout` after `timeout_s`). A writer that has to wait logs one WARNING naming the holder; the holder
    is recorded in `<warehouse>.writer.holder` while the lock is held."""
    path = warehouse_path(settings)
    lock = FileLock(f"{path}.writer.lock")
    holder = Path(f"{path}.writer.holder")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("waiting for the warehouse writer lock of %s held by %s", path, describe_holder(holder))
        lock.acquire(timeout=timeout_s)
    try:
        _record_holder(holder)
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()


def writer_busy(settings: Settings) -> str | None:
    """Who holds the warehouse writer lock right now ("pid 1234 (...)"), or None when nobody does."""
    path = warehouse_path(settings)
    if not path.parent.exists():  # no warehouse yet, so no writer either
        return None
    lock = FileLock(f"{path}.writer.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return describe_holder(Path(f"{path}.writer.holder"))
    lock.release()
    return None


def describe_holder(holder: Path) -> str:
    """Who holds the writer lock, from its record: "pid 1234 (hubspot-elt sync, since 10:02:11)"."""
    try:
        record = json.loads(holder.read_text(encoding="utf-8"))
        pid = int(record["pid"])
        since = datetime.fromisoformat(record["since"]).astimezone()
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (it has not said which yet)"
    if not process_running(pid):  # the record of a holder killed since; its successor has not written its own
        return "another process (it has not said which yet)"
    when = since.strftime("%H:%M:%S" if since.date() == datetime.now().astimezone().date() else "%Y-%m-%d %H:%M:%S")
    return f"pid {pid} ({record.get('command') or 'unknown command'}, since {when})"


def _record_holder(holder: Path) -> None:
    record = {"pid": os.getpid(), "command": _command_line(), "since": datetime.now().astimezone().isoformat()}
    temporary = holder.with_name(f".{holder.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record), encoding="utf-8")
    os.replace(temporary, holder)  # a waiter reads a whole record or none


_SECRET_OPTION = re.compile(r"token|secret|password|key|credential", re.IGNORECASE)


def _command_line(limit: int = 100) -> str:
    """This process's command, short and without secrets: "hubspot-elt sync --full", "python -m hubspot_assets.demo",
    "dagster api execute_run ..."; the value of any option that names a secret masked, `python -c` code left out,
    cut at `limit` characters."""
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
    program, rest = Path(argv[0]).name, argv[1:]
    if rest[:1] == ["-m"]:
        words, rest = [program, "-m", *rest[1:2]], rest[2:]
    elif rest[:1] == ["-c"]:
        words, rest = [program, "-c", "..."], rest[2:]
    elif rest and not rest[0].startswith("-"):  # a script or a console script: its name, not the interpreter's
        words, rest = [Path(rest[0]).name], rest[1:]
    else:
        words = [program]
    hide_next = False
    for arg in rest:
        if hide_next:
            words.append("***")
            hide_next = False
        elif arg.startswith("-") and _SECRET_OPTION.search(arg):
            name, has_value, _ = arg.partition("=")
            words.append(f"{name}=***" if has_value else arg)
            hide_next = not has_value
        else:
            words.append(arg)
    command = " ".join(words)
    return command if len(command) <= limit else command[: limit - 3] + "..."


# ---- the read-only snapshot ---------------------------------------------------------------------------------


def publish_snapshot(settings: Settings) -> Path:
    """Copy the warehouse's data to the snapshot path atomically; call it with the writer lock held, after a load.

    The snapshot holds every schema of the warehouse but the internal ones: dlt's staging dataset
    (`hubspot_raw_staging`, the rows of the last merge) and the models' build state (`hubspot_models_state`). Temporary copies left by a publish whose process was killed are removed first."""
    source = warehouse_path(settings)
    target = snapshot_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_snapshot_copies(target)
    # Fold the write-ahead log into the file, so the copy holds every committed change.
    with duckdb.connect(str(source)) as connection:
        connection.execute("CHECKPOINT")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{time.time_ns()}.tmp")
    try:
        shutil.copyfile(source, temporary)
        with duckdb.connect(str(temporary)) as connection:
            for schema in INTERNAL_SCHEMAS:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.execute("CHECKPOINT")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    return target


def remove_stale_snapshot_copies(target: Path) -> list[Path]:
    """Remove the temporary copies of `target` (`.<name>.<pid>.<ns>.tmp`, and DuckDB's `.wal` beside one) whose
    process is no longer running; a copy of a running process is kept. Returns the files removed."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.\d+\.tmp(\.wal)?")
    removed = []
    for candidate in target.parent.glob(f".{glob.escape(target.name)}.*.tmp*"):
        match = pattern.fullmatch(candidate.name)
        if match and not process_running(int(match.group(1))):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    if removed:
        log.warning("removed the temporary snapshot copy of a run that stopped half-way (%s)",
                    ", ".join(str(f) for f in removed))
    return removed


def process_running(pid: int) -> bool:
    """Whether a process with this id runs on this machine (when that cannot be told, as on Windows: True)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # os.kill(pid, 0) would end the process on Windows; keep the file rather than guess
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True
