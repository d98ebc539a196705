"""Helpers for the Dagster tests: resources pointed at a sandbox and a warehouse under a temporary folder, and the
events of a run per asset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dlt import DagsterDltResource

from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource, WebhookQueueResource

FULL = {"ops": {"hubspot_raw_sync": {"config": {"mode": "full"}}}}
ROOT = Path(__file__).resolve().parents[2]


def load_definitions() -> dg.Definitions:
    """The code location as Dagster loads it, anew (as "Reload definitions" does): reads the environment now."""
    return dg.load_from_defs_folder(path_within_project=ROOT / "hubspot_assets")


def resources_for(server: Any, warehouse: Path, **hubspot: Any) -> dict[str, Any]:
    """The resources of the code location, for `server` and the warehouse file `warehouse`; the client's state, the
    token store and the webhook queue go next to the warehouse, not into the working tree."""
    folder = Path(warehouse).parent
    fields = {"base_url": server.url, "access_token": server.token, "tier": "unlimited",
              "state_dir": str(folder / "state"), "token_store_path": str(folder / "tokens.enc"), **hubspot}
    return {
        "hubspot": HubSpotResource(**fields),
        "warehouse": WarehouseResource(warehouse_path=str(warehouse)),
        "webhook_queue": WebhookQueueResource(queue_url=f"sqlite:///{folder / 'webhook_queue.sqlite'}"),
        "dlt": DagsterDltResource(),
    }


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """table -> metadata of its materialization in the run."""
    return {m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("hubspot_raw_sync")}


def observations(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """table -> metadata of its observation in the run (the tables the run skipped)."""
    return {
        e.asset_observation_data.asset_observation.asset_key.path[-1]:
            e.asset_observation_data.asset_observation.metadata
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    }


def check_results(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], Any]:
    """(table, check name) -> the check's evaluation in the run."""
    return {
        (e.asset_check_evaluation_data.asset_key.path[-1], e.asset_check_evaluation_data.check_name):
            e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
