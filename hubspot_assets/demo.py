"""`python -m hubspot_assets.demo` (`make demo`): start the local HubSpot sandbox, run the full pipeline into DuckDB,
follow a few changes made in the sandbox through webhooks to the warehouse (`demo_realtime.py`), then print what was
loaded, build the SQL models (dbt_like_models/) and print the marts analysts query.

Options: `--warehouse PATH` (default data/demo/warehouse.duckdb), `--scale small|medium|large|<contacts>`,
`--seed N`, `--mode full|incremental|reconcile`. Nothing here touches the real HubSpot.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from hubspot_assets.settings import load_settings
from hubspot_assets.sources.settings import DATASET_NAME
from hubspot_assets.sources.warehouse import snapshot_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hubspot_assets.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default="data/demo/warehouse.duckdb", help="DuckDB file to load into")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--mode", default="full", choices=("full", "incremental", "reconcile"))
    args = parser.parse_args(argv)
    console = Console()

    from hubspot_assets.sandbox.config import SandboxConfig
    from hubspot_assets.sandbox.server import SandboxServer

    config = SandboxConfig(seed=args.seed, scale=args.scale, tier="unlimited")
    console.print(f"[bold]Starting the HubSpot sandbox[/] (seed {args.seed}, scale {args.scale})...")
    server = SandboxServer(config).start()
    try:
        console.print(f"Sandbox at {server.url}")
        settings = _connect_with_oauth(console, server, Path(args.warehouse).resolve())
        from hubspot_assets.sync import run_with_progress

        report = run_with_progress(settings, mode=args.mode, console=console)
        from hubspot_assets.demo_realtime import show_real_time

        followed = show_real_time(console, server, settings)
        _print_warehouse(console, settings.absolute(settings.warehouse_path), report)
        if not (_build_models(console, settings) and followed):
            return 1
    finally:
        server.stop()
    return 0


def _connect_with_oauth(console: Console, server, warehouse: Path):
    """Log in to the sandbox as a user would with `hubspot-elt auth login`, so call transcripts (which need an
    OAuth app's scope) load too. The sandbox approves at once; a plain GET plays the browser."""
    import secrets

    import requests

    from hubspot_assets.hubspot import oauth_flow

    demo_dir = warehouse.parent
    settings = load_settings(
        base_url=server.url,
        client_id=server.config.client_id,
        client_secret=server.config.client_secret,
        token_key=secrets.token_urlsafe(32),  # a throwaway key: the demo's token store lives for this run only
        token_store_path=demo_dir / "oauth_tokens.enc",
        state_dir=demo_dir / "state",
        tier="unlimited",
        warehouse_path=warehouse,
        snapshot_path=None,
    ).model_copy(update={"access_token": None})  # a HUBSPOT_ACCESS_TOKEN in the environment must not win here
    demo_dir.mkdir(parents=True, exist_ok=True)
    tokens = oauth_flow.login(
        settings, port=0, opener=lambda url: requests.get(url, timeout=10), show=lambda _: None, timeout=30
    )
    console.print(f"Connected over OAuth to hub {tokens.hub_id} with {len(tokens.scopes)} scopes")
    return settings


def _print_warehouse(console: Console, path: Path, report) -> None:
    table = Table(title=f"{DATASET_NAME} in {path}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("columns", justify="right")
    with duckdb.connect(str(report.snapshot or path), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY 1",
                [DATASET_NAME],
            ).fetchall()
        ]
        total = 0
        for name in names:
            rows = connection.execute(f'SELECT count(*) FROM {DATASET_NAME}."{name}"').fetchone()[0]
            columns = connection.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [DATASET_NAME, name],
            ).fetchone()[0]
            table.add_row(name, f"{rows:,}", str(columns))
            total += rows
    console.print(table)
    api = report.api or {}
    console.print(
        f"{total:,} rows in {len(names)} tables, loaded in {report.seconds:.1f} s; HubSpot requests: {api.get('requests', '?')}, "
        f"429s: {api.get('rate_limited', 0)}."
    )
    console.print(
        "Query the read-only snapshot (safe while a sync writes):\n"
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{report.snapshot}', read_only=True)"
        f".sql('select count(*) from {DATASET_NAME}.contacts'))\"",
        soft_wrap=True,
    )
    for warning in report.warnings:
        console.print(f"[yellow]note:[/] {warning}")


def _build_models(console: Console, settings) -> bool:
    """Build every model as `hubspot-elt models build` does, a line per model, then the marts' row counts."""
    from hubspot_assets.models.cli import result_line
    from hubspot_assets.models.project import FOLDER_SCHEMAS
    from hubspot_assets.models.runner import run_models

    console.print("[bold]Building the models[/] (dbt_like_models/)...")
    results = run_models(settings, on_result=lambda result: console.print(result_line(result), highlight=False, soft_wrap=True))
    marts = [r for r in results if r.model.schema == FOLDER_SCHEMAS['marts'] and r.ok]
    table = Table(title=f"the marts ({FOLDER_SCHEMAS['marts']} schema): what analysts query")
    table.add_column("mart")
    table.add_column("rows", justify="right")
    table.add_column("columns", justify="right")
    for result in marts:
        table.add_row(result.model.name, f"{result.rows or 0:,}", str(len(result.columns)))
    console.print(table)
    if marts:
        example = next((r for r in marts if r.model.name == "customers"), marts[0])
        console.print(
            "Query a mart in the snapshot:\n"
            f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{snapshot_path(settings)}', read_only=True)"
            f".sql('select * from {example.model.relation} limit 5'))\"",
            soft_wrap=True,
        )
    return all(r.ok for r in results)


if __name__ == "__main__":
    sys.exit(main())
