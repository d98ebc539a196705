"""`run_models`: a build of the models as a warehouse writer, the way sync runs write: under the writer lock, on
one connection, then the read-only snapshot published (the CLI and the Dagster asset both call it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel

from hubspot_assets.models.build import ModelResult, build_models
from hubspot_assets.models.project import DEFAULT_MODELS_DIR, load_project
from hubspot_assets.settings import Settings
from hubspot_assets.sources.warehouse import open_warehouse, publish_snapshot, writer_lock


def run_models(
    settings: Settings,
    *,
    select: str | None = None,
    full_refresh: bool = False,
    on_result: Callable[[ModelResult], None] | None = None,
    folder: Path = DEFAULT_MODELS_DIR,
    contracts: Mapping[str, type[BaseModel]] | None = None,
) -> list[ModelResult]:
    """Build the selected models of `folder` into the warehouse of `settings` (see `build_models`), holding the
    writer lock (a running sync makes it wait), and publish the snapshot after, whatever was built (a failed model
    keeps its last build, so the snapshot never holds half of one). Raises `ModelError` for a project that does
    not load or a bad selection, before anything is written."""
    with writer_lock(settings):
        connection = open_warehouse(settings)
        try:
            project = load_project(folder, connection)
            results = build_models(connection, project, select=select, full_refresh=full_refresh,
                                   on_result=on_result, contracts=contracts)
        finally:
            connection.close()
        publish_snapshot(settings)
    return results
