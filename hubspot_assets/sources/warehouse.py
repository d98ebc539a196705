"""The DuckDB warehouse file: the dlt pipeline that writes it, the one-writer lock, and the read-only snapshot.

DuckDB lets one process write a database file at a time, and a reader cannot open a file another process is
writing. So:
- every writer (Dagster runs, `hubspot-elt sync`) takes `writer_lock()` (a file lock next to the warehouse) before
  opening it; a second writer waits for the first instead of failing on DuckDB's lock. In Dagster, the assets also
  run in the `hubspot_warehouse` concurrency pool;
- after each successful load, `publish_snapshot()` copies the warehouse to the snapshot file atomically (write a
  temporary copy, then rename over the old snapshot). Analysts query the snapshot, never the live file:
      duckdb.connect("data/warehouse.snapshot.duckdb", read_only=True)
  or `duckdb -readonly data/warehouse.snapshot.duckdb`. A query that started on the previous snapshot keeps
  reading it (the old file stays open until closed), so no reader ever sees a lock error or a half-written load.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dlt
import duckdb
from filelock import FileLock

from dlt.common.runtime.collector import Collector, NullCollector
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from hubspot_assets.settings import Settings
from hubspot_assets.sources.memory import limit_arenas, release_free_memory
from hubspot_assets.sources.settings import DATASET_NAME, PIPELINE_NAME


# How DuckDB loads: within HUBSPOT_WAREHOUSE_MEMORY_LIMIT (it would otherwise cache up to 80% of the machine's
# memory, and spills to disk past the limit; it uses all of it, so the process grows by about the limit + 140 MB),
# one row group buffered before a bulk write instead of five, no insertion order to keep, and one thread: the merge
# of a wide table numbers its rows per key (dlt's dedup window), and each thread holds its own share of that. Measured
# on the merge of 1,000,000 contacts x 340 columns: 2 threads need more than 320MB (fail at 256MB and 320MB, pass at
# 384MB in 61 s); 1 thread passes at 192MB (110 s) and 256MB (100 s, +400 MB resident), the default.
LOAD_SETTINGS = {"write_buffer_row_group_count": 1, "preserve_insertion_order": False, "threads": 1}


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


def make_pipeline(settings: Settings, *, progress: object | None = None) -> dlt.Pipeline:
    """The dlt pipeline that loads `hubspot_raw` into the warehouse. Its working folder lives next to the warehouse
    (`.dlt/<warehouse name>/`), so two warehouses never share dlt state; the state that matters (cursors) is
    stored in the warehouse itself and restored from it."""
    path = warehouse_path(settings)
    pipelines_dir = path.parent / ".dlt" / path.stem
    # Resources run side by side in dlt's extract thread pool (one thread per resource); those that reuse what
    # another read wait for it (sources/extraction.py), so the pool must hold every resource at once.
    _import_lazy_modules()
    limit_arenas()  # before dlt starts its extract threads (see sources/memory.py)
    dlt.config["extract.next_item_mode"] = "round_robin"
    dlt.config["extract.workers"] = 48
    dlt.config["extract.max_parallel_items"] = 96
    # One load job at a time: DuckDB writes on all cores already, and concurrent jobs (a parquet copy per table, then
    # the merges) would share its memory limit; each job then has the whole limit.
    dlt.config["load.workers"] = 1
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


class ReleasingCollector(Collector):
    """dlt's progress collector (`inner`, e.g. the CLI's display) that also hands the memory the extraction freed
    back to the system when normalize and load start. The extraction ends with many threads and buffers gone but
    their memory still held by the process; DuckDB then allocates its own on top. Measured on a 100,000-contact
    full sync: 486 -> 391 MB resident before the load."""

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner if isinstance(inner, Collector) else NullCollector()

    def update(self, name: str, inc: int = 1, total: int | None = None, inc_total: int | None = None,
               message: str | None = None, label: str | None = None) -> None:
        self.inner.update(name, inc, total, inc_total, message, label)

    def _start(self, step: str) -> None:
        if not step.lower().startswith("extract"):
            release_free_memory()
        self.inner.step = step
        self.inner._start(step)

    def _stop(self) -> None:
        self.inner._stop()


def _import_lazy_modules() -> None:
    """dlt imports pandas and pyarrow helpers on first use; doing that in several extract threads at once breaks
    the import (partially initialized module), so import them here, in one thread, first."""
    import pandas  # noqa: F401
    import pyarrow as pa
    from dlt.common.libs import pandas as _dlt_pandas  # noqa: F401
    from dlt.common.libs import pyarrow as _dlt_pyarrow  # noqa: F401

    # Arrow's default allocator keeps freed pages for reuse; the system allocator gives them back, which halves the
    # resident memory of a long sync (measured: about 670 -> 440 MB while extracting a 30,000-contact portal).
    pa.set_memory_pool(pa.system_memory_pool())


@contextmanager
def writer_lock(settings: Settings, timeout_s: float = -1) -> Iterator[None]:
    """Hold the warehouse's writer lock (one writing process at a time); waits (forever by default)."""
    path = warehouse_path(settings)
    with FileLock(str(path) + ".writer.lock", timeout=timeout_s):
        yield


def publish_snapshot(settings: Settings) -> Path:
    """Copy the warehouse to the snapshot path atomically; call it with the writer lock held, after a load."""
    source = warehouse_path(settings)
    target = snapshot_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Fold the write-ahead log into the file, so the copy holds every committed change.
    with duckdb.connect(str(source)) as connection:
        connection.execute("CHECKPOINT")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{time.time_ns()}.tmp")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
