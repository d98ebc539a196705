"""The pipeline's progress collector: the caller's display sees every step, and the memory the extraction freed
is handed back before normalize and load start."""

from __future__ import annotations

import gc
from typing import Any

from dlt.common.runtime.collector import Collector

from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, sync_session
from tests.sources.sandbox_warehouse import settings_for


class RecordingDisplay(Collector):
    """A progress display that writes down what dlt tells it, in order."""

    def __init__(self, events: list[tuple]) -> None:
        self.events = events
        self.step = ""

    def update(self, name: str, inc: int = 1, total: int | None = None, inc_total: int | None = None,
               message: str | None = None, label: str | None = None) -> None:
        self.events.append(("update", self.step, name))

    def _start(self, step: str) -> None:
        self.events.append(("start", step))

    def _stop(self) -> None:
        self.events.append(("stop", self.step))

    def on_start_trace_step(self, trace: Any, step: Any, pipeline: Any) -> None:
        self.events.append(("step", step))


def _first(events: list[tuple], predicate) -> int:
    return next(i for i, event in enumerate(events) if predicate(event))


def _last(events: list[tuple], predicate) -> int:
    return max(i for i, event in enumerate(events) if predicate(event))


def test_the_display_sees_every_step_and_memory_is_released_before_normalize_and_load(sandbox, tmp_path):
    events: list[tuple] = []

    def full_collections(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            events.append(("release",))

    settings = settings_for(sandbox, tmp_path, objects="contacts")
    gc.callbacks.append(full_collections)
    gc.disable()  # no automatic collection: every full one recorded is an explicit release
    try:
        with sync_session(settings, mode="incremental", snapshot=False, progress=RecordingDisplay(events)) as session:
            session.pipeline.run(session.source.with_resources("contacts"), loader_file_format=LOADER_FILE_FORMAT)
    finally:
        gc.enable()
        gc.callbacks.remove(full_collections)

    extract = _first(events, lambda e: e[:1] == ("start",) and e[1].startswith("Extract"))
    extract_end = _last(events, lambda e: e[:1] == ("stop",) and e[1].startswith("Extract"))  # then dlt's state
    normalize = _first(events, lambda e: e[:1] == ("start",) and e[1].startswith("Normalize"))
    normalize_end = _first(events, lambda e: e[:1] == ("stop",) and e[1].startswith("Normalize"))
    load = _first(events, lambda e: e[:1] == ("start",) and e[1].startswith("Load"))
    assert extract < extract_end < normalize < normalize_end < load
    # The display counted each phase under that phase's name.
    assert ("update", events[extract][1], "contacts") in events[extract:extract_end]  # rows counted
    assert any(e[:2] == ("update", events[load][1]) for e in events[load:])
    assert {("step", "extract"), ("step", "normalize"), ("step", "load")} <= set(events)
    # Memory handed back once the extraction is over, before normalize starts, and again before load.
    releases = [i for i, event in enumerate(events) if event == ("release",)]
    assert any(extract_end < i < normalize for i in releases)
    assert any(normalize_end < i < load for i in releases)
