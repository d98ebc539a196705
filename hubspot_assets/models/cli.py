"""`hubspot-elt models build [--select <model or folder>] [--full-refresh]`: build the models from a terminal with
the code the Dagster asset runs (`run_models`), one line per model as it finishes:

      ok  hubspot.customers                  incremental   1,000 rows   0.12 s  checks 5/5
    FAIL  hubspot.deals                      table            40 rows   0.03 s  checks 3/4: unique_deal_id (2 rows)
    SKIP  hubspot.deal_stage_history         blocked: upstream hubspot.deals failed unique_deal_id

The exit status is 1 when a model's SQL or one of its error-severity checks failed (warn checks are printed and do
not count)."""

from __future__ import annotations

from pathlib import Path

import click

from hubspot_assets.models.build import ModelResult
from hubspot_assets.models.data_tests import TestResult
from hubspot_assets.models.errors import ModelError
from hubspot_assets.models.project import DEFAULT_MODELS_DIR
from hubspot_assets.models.runner import run_models
from hubspot_assets.settings import load_settings
from hubspot_assets.sources.warehouse import snapshot_path

_WIDTH = 36  # relation column; longer names push the line, never cut


@click.group("models")
def models() -> None:
    """The SQL models of dbt_like_models/ (hubspot_staging, hubspot schemas)."""


@models.command("build")
@click.option("--select", "select", default=None,
              help="Models to build: a name, a folder (staging, intermediate, marts), +name (with its upstream), "
                   "name+ (with its downstream); comma-separated. Default: all.")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models in full.")
@click.option("--warehouse", default=None, help="DuckDB file (default: HUBSPOT_WAREHOUSE_PATH).")
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_MODELS_DIR,
              show_default=True, help="The models folder.")
def build(select: str | None, full_refresh: bool, warehouse: str | None, models_dir: Path) -> None:
    """Build the models into the warehouse (writer lock held), run their tests, publish the snapshot."""
    settings = load_settings(warehouse_path=warehouse)
    try:
        results = run_models(settings, select=select, full_refresh=full_refresh, folder=models_dir,
                             on_result=lambda r: click.echo(result_line(r)))
    except ModelError as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary_line(results, str(snapshot_path(settings))))
    if not all(r.ok for r in results):
        raise SystemExit(1)


def result_line(result: ModelResult) -> str:
    """One model's line: status, relation, then how it was built and its checks, or why it was not."""
    status = "ok" if result.ok else {"blocked": "SKIP", "failed": "ERROR"}.get(result.mode, "FAIL")
    head = f"{status:>6}  {result.model.relation:<{_WIDTH}}"
    if result.mode in ("blocked", "failed"):
        return f"{head}  {result.error}"
    passed = sum(c.passed for c in result.checks)
    line = f"{head}  {result.mode:<11}  {result.rows or 0:>9,} rows  {result.seconds:6.2f} s"
    if result.changed_keys is not None:
        line += f"  {result.changed_keys:,} keys rebuilt"
    line += f"  checks {passed}/{len(result.checks)}"
    if narrowed := sum(c.on_changed_keys is not None for c in result.checks):
        line += f" ({narrowed} on the rebuilt keys' rows)"
    failed = [c for c in result.checks if not c.passed]
    return f"{line}: {'; '.join(_check_failure(c) for c in failed)}" if failed else line


def _check_failure(check: TestResult) -> str:
    label = check.test.name if check.test.severity == "error" else f"{check.test.name} (warn)"
    if check.error:
        return f"{label} could not run: {check.error.splitlines()[0]}"
    example = f", e.g. {check.sample[0]}" if check.sample else ""
    return f"{label} {check.failing_rows:,} rows{example}"


def summary_line(results: list[ModelResult], snapshot: str) -> str:
    counts = {label: sum(1 for r in results if test(r)) for label, test in (
        ("ok", lambda r: r.ok), ("failed", lambda r: not r.ok and r.mode != "blocked"),
        ("blocked", lambda r: r.mode == "blocked"))}
    return (f"{len(results)} models: {counts['ok']} ok, {counts['failed']} failed, {counts['blocked']} blocked. "
            f"Snapshot for queries: {snapshot}")
