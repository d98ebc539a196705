"""`hubspot-elt sync [--full|--reconcile] [--objects contacts,deals,...]`: the extraction the Dagster assets run, from a
terminal, with a live progress display (rich)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import click
from dlt.common.runtime.collector import Collector
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hubspot_assets.settings import Settings, load_settings
from hubspot_assets.sources.pipeline import SyncReport, run_sync


class RichCollector(Collector):
    """dlt progress (items extracted per table, files normalized, jobs loaded) as rich progress bars."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}
        self.step = ""
        self._lock = threading.Lock()

    def update(
        self,
        name: str,
        inc: int = 1,
        total: int | None = None,
        inc_total: int | None = None,
        message: str | None = None,
        label: str | None = None,
    ) -> None:
        key = f"{self.step}:{name}:{label or ''}"
        with self._lock:
            if key not in self.tasks:
                title = f"{self.step} {name}" + (f" ({label})" if label else "")
                self.tasks[key] = self.progress.add_task(title, total=total)
            task = self.tasks[key]
            if inc_total:
                current = self.progress.tasks[task].total or 0
                self.progress.update(task, total=current + inc_total)
            self.progress.update(task, advance=inc, total=total if total is not None else None)

    def _start(self, step: str) -> None:
        self.step = step.split(" ")[0]

    def _stop(self) -> None:
        pass


def _quiet_dlt(record: logging.LogRecord) -> bool:
    """Keep dlt's errors; drop its notes about schema hints (columns without values in one load, arrow hints)."""
    return record.levelno >= logging.ERROR


def run_with_progress(
    settings: Settings,
    *,
    mode: str = "incremental",
    objects: str | None = None,
    console: Console | None = None,
    client: Any = None,
) -> SyncReport:
    """Run one sync with a live progress display; returns the report (rows per table, API requests)."""
    console = console or Console()
    # dlt's schema notes and our own warnings would tear through the live display; the report lists the warnings.
    logging.getLogger("dlt").addFilter(_quiet_dlt)
    logging.getLogger("hubspot_assets.sources").setLevel(logging.ERROR)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        report = run_sync(settings, mode=mode, objects=objects, client=client, progress=RichCollector(progress))
    return report


def print_report(console: Console, report: SyncReport) -> None:
    table = Table(title=f"hubspot_raw: {report.mode} sync")
    table.add_column("table")
    table.add_column("rows loaded", justify="right")
    table.add_column("API requests", justify="right")
    for name in sorted(report.row_counts):
        table.add_row(name, f"{report.rows_loaded(name):,}", str(report.api_calls.get(name, "")))
    console.print(table)
    by_reason: dict[str, list[str]] = {}
    for name, why in sorted(report.skipped.items()):
        if name not in report.row_counts:
            by_reason.setdefault(why, []).append(name)
    for why, names in by_reason.items():
        console.print(f"[dim]{', '.join(names)}: {why}[/]")
    api = report.api or {}
    console.print(
        f"{report.rows:,} rows in {report.seconds:.1f} s; {api.get('requests', 0)} HubSpot requests, "
        f"{api.get('rate_limited', 0)} rate-limited. Snapshot for queries: {report.snapshot}"
    )
    for warning in report.warnings:
        console.print(f"[yellow]note:[/] {warning}")


@click.command("sync")
@click.option("--full", "mode", flag_value="full", help="Re-read every record, then reconcile deletes.")
@click.option("--reconcile", "mode", flag_value="reconcile", help="Incremental, plus deletes and all associations.")
@click.option("--incremental", "mode", flag_value="incremental", default=True, help="Changes since the last run (default).")
@click.option("--objects", default=None, help="Comma-separated object types (default: HUBSPOT_OBJECTS, or all).")
@click.option("--warehouse", default=None, help="DuckDB file (default: HUBSPOT_WAREHOUSE_PATH).")
def sync(mode: str, objects: str | None, warehouse: str | None) -> None:
    """Load HubSpot into the DuckDB warehouse (the same extraction as the Dagster assets)."""
    console = Console()
    try:
        settings = load_settings(warehouse_path=warehouse)
        report = run_with_progress(settings, mode=mode, objects=objects, console=console)
    except Exception as error:  # one actionable line, no traceback, no secret (errors are redacted)
        raise click.ClickException(one_line(error)) from error
    print_report(console, report)


def one_line(error: Exception) -> str:
    cause = error
    # dlt wraps what a resource raised; show the HubSpot/settings error itself.
    while getattr(cause, "__cause__", None) is not None and type(cause).__module__.startswith("dlt"):
        cause = cause.__cause__  # type: ignore[assignment]
    exception = getattr(cause, "exception", None)
    if isinstance(exception, Exception):
        cause = exception
    return f"{type(cause).__name__}: {cause}"
