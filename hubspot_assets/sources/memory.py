"""Keeping a long sync's resident memory down: fewer malloc arenas, and freed memory handed back to the system.

A sync runs dozens of threads (dlt's extract workers, the readers). glibc gives busy threads their own malloc arenas
(up to 8 per core), each of which keeps the memory it once held; and memory freed inside an arena stays with the
process until it is trimmed. Both are glibc behaviour, so both calls do nothing elsewhere (macOS, musl, Windows).
`ReleasingCollector` trims when dlt's normalize and load steps start: the extraction has ended by then, its threads
and buffers are gone, and DuckDB is about to allocate its own memory on top.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import sys
from contextlib import ExitStack
from typing import Any

from dlt.common.runtime.collector import Collector, NullCollector

_M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)

# dlt's pipeline steps after which the extraction's memory is no longer needed.
RELEASE_BEFORE_STEPS = frozenset({"normalize", "load"})


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (has malloc_trim and mallopt), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(count: int = 2) -> bool:
    """Let threads created from now on share at most `count` malloc arenas. True when it took effect."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, count) == 1)


def release_free_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system. It walks the whole heap, so call it where a
    large amount was just freed (a resource that yielded many rows, the start of normalize and load), not often."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


class ReleasingCollector(Collector):
    """A dlt progress collector that hands the memory the extraction freed back to the system when the pipeline's
    normalize and load steps start, and passes everything else to `inner` (e.g. the CLI's progress display; None:
    no display).

    The release hangs on dlt's step hook (`on_start_trace_step`, called by every traced pipeline step, with or
    without a display); `inner` gets dlt's counters (`update`), each counting phase through its public context
    manager (`inner(step)`), and the same step hooks."""

    def __init__(self, inner: Any = None) -> None:
        self.inner: Collector = inner if isinstance(inner, Collector) else NullCollector()
        self.step = ""
        self._phase: ExitStack | None = None

    def on_start_trace_step(self, trace: Any, step: Any, pipeline: Any) -> None:
        if step in RELEASE_BEFORE_STEPS:
            release_free_memory()
        self.inner.on_start_trace_step(trace, step, pipeline)

    def on_start_trace(self, trace: Any, step: Any, pipeline: Any) -> None:
        self.inner.on_start_trace(trace, step, pipeline)

    def on_end_trace_step(self, trace: Any, step: Any, pipeline: Any, step_info: Any, send_state: bool) -> None:
        self.inner.on_end_trace_step(trace, step, pipeline, step_info, send_state)

    def on_end_trace(self, trace: Any, pipeline: Any, send_state: bool) -> None:
        self.inner.on_end_trace(trace, pipeline, send_state)

    def update(self, name: str, inc: int = 1, total: int | None = None, inc_total: int | None = None,
               message: str | None = None, label: str | None = None) -> None:
        self.inner.update(name, inc, total, inc_total, message, label)

    # Collector's two abstract methods: dlt calls them when a counting phase (e.g. "Extract hubspot") begins and
    # ends; the phase is opened on `inner` the public way, as dlt itself does (`with collector(step):`).
    def _start(self, step: str) -> None:
        self._phase = ExitStack()
        self._phase.enter_context(self.inner(step))

    def _stop(self) -> None:
        phase, self._phase = self._phase, None
        if phase is not None:
            phase.close()
