"""Keeping a long sync's resident memory down: fewer malloc arenas, and freed memory handed back to the system.

A sync runs dozens of threads (dlt's extract workers, the readers). glibc gives busy threads their own malloc arenas
(up to 8 per core), each of which keeps the memory it once held; and memory freed inside an arena stays with the
process until it is trimmed. Both are glibc behaviour, so both calls do nothing elsewhere (macOS, musl, Windows).
Measured on a 100,000-contact full sync (all tables, no conversations): about 90 MB less at the extract peak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import sys

_M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)


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
    """Collect garbage and hand freed heap pages back to the system (cheap: a few milliseconds)."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
