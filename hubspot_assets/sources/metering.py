"""Which dlt resource each HubSpot request is made for, counted from the transport itself.

A resource's body runs `working_for(name)`; every HTTP answer the client's session receives meanwhile, in that
thread or in a reader thread started with `carry()`, counts for that resource (`RequestCounter`, a requests response
hook on the client's session: retries and 429s count too, since they cost budget). The counts become each asset's
`api_requests`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

R = TypeVar("R")

_resource: ContextVar[str | None] = ContextVar("hubspot_resource", default=None)


@contextmanager
def working_for(name: str) -> Iterator[None]:
    """Requests made inside the block count for resource `name`."""
    token = _resource.set(name)
    try:
        yield
    finally:
        _resource.reset(token)


def carry(fn: Callable[..., R]) -> Callable[..., R]:
    """`fn`, to be run on another thread (a reader pool): its requests count for the resource that started it."""
    name = _resource.get()

    def run(*args: Any, **kwargs: Any) -> R:
        token = _resource.set(name)
        try:
            return fn(*args, **kwargs)
        finally:
            _resource.reset(token)

    return run


class RequestCounter:
    """HTTP answers per resource of one run (requests made outside any resource count as "other")."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def attach(self, session: Any) -> None:
        """Count every answer `session` (a `requests.Session`) receives from now on."""
        session.hooks.setdefault("response", []).append(self._count)

    def detach(self, session: Any) -> None:
        hooks = session.hooks.get("response", [])
        if self._count in hooks:
            hooks.remove(self._count)

    def _count(self, response: Any, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.counts[_resource.get() or "other"] += 1
