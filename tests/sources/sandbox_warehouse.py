"""Helpers for the source tests: settings pointed at a sandbox, the sandbox's ground truth, the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from hubspot_assets.settings import Settings, load_settings

CRM_TYPES = ("contacts", "companies", "deals", "tickets", "products", "line_items", "calls", "emails", "notes",
             "meetings", "tasks", "communications", "quotes")


def settings_for(server: Any, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings that load `server` into a warehouse under `tmp_path` (no retries wait long: tier unlimited)."""
    values = {
        "base_url": server.url,
        "access_token": server.token,
        "tier": server.config.tier,
        "warehouse_path": tmp_path / "warehouse.duckdb",
        "state_dir": tmp_path / "state",
        "token_store_path": tmp_path / "tokens.enc",
        "lookback_s": 300,
    }
    values.update(overrides)
    return load_settings(**values)


def truth(server: Any, object_type: str) -> dict[int, dict]:
    """id -> {"updatedAt", "archived"} for every record the sandbox holds (live and archived)."""
    answer = server.admin(f"truth/{object_type}")
    return {int(r["id"]): r for r in answer["results"]}


def query(settings: Settings, sql: str, *params: Any) -> list[tuple]:
    """Rows of a read-only query on the warehouse."""
    with duckdb.connect(str(settings.absolute(settings.warehouse_path)), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def custom_types(server: Any) -> list[str]:
    import requests

    answer = requests.get(f"{server.url}/crm/v3/schemas", headers=server.headers, timeout=30).json()
    return [schema["name"] for schema in answer["results"]]


def assert_table_matches_truth(
    settings: Settings, server: Any, object_type: str, table: str | None = None, *, live_only: bool = False
) -> None:
    """Every id present, no duplicate, archived flags and updatedAt equal to the sandbox's truth (`live_only`: the
    records not archived, as an incremental run before any reconciliation holds them; records archived in HubSpot,
    which the first run loaded and only a reconciliation flags, are left out of the comparison)."""
    expected = truth(server, object_type)
    if live_only:
        archived = {k for k, v in expected.items() if v["archived"]}
        expected = {k: v for k, v in expected.items() if k not in archived}
    rows = query(
        settings,
        f"SELECT id, archived, epoch_ms(updated_at) FROM hubspot_raw.{table or object_type}",
    )
    if live_only:
        rows = [r for r in rows if r[0] not in archived]
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), f"{object_type}: duplicate ids in the warehouse"
    assert set(ids) == set(expected), (
        f"{object_type}: missing {sorted(set(expected) - set(ids))[:5]}, extra {sorted(set(ids) - set(expected))[:5]}"
    )
    for record_id, archived, updated_ms in rows:
        want = expected[record_id]
        assert bool(archived) == bool(want["archived"]), f"{object_type} {record_id}: archived flag differs"
        assert updated_ms == _epoch_ms(want["updatedAt"]), f"{object_type} {record_id}: updatedAt differs"


def _epoch_ms(value: Any) -> int:
    from datetime import datetime

    if isinstance(value, int | float):
        return int(value)
    return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000)
