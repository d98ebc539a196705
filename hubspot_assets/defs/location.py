"""What the code location reads from the environment when it loads: the schedules' cron strings and the warehouse
path (for the custom object tables earlier runs wrote), and which `HUBSPOT_*` variables are set: the resources get a
`dg.EnvVar` for each set one (its value is read by each run, so a bad one fails that run, not the load) and the
default for the others. A variable set only after the load, or only in the run workers' environment, takes effect
after a reload of the code location.

An unset or empty variable means the `Settings` default. `dagster dev` and the other Dagster commands also load a
`.env` file from the directory they start in.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from croniter import croniter

from hubspot_assets.settings import Settings, variable


def env_value(name: str) -> str | None:
    """The variable's value, None when it is unset or empty (an empty line in `.env` means "the default")."""
    value = dg.EnvVar(name).get_value()
    return value if value is not None and value.strip() else None


def _setting(name: str) -> str:
    value = env_value(variable(name))
    return value if value is not None else str(Settings.model_fields[name].default)


def _cron(name: str) -> str:
    cron = _setting(name).strip()
    if not croniter.is_valid(cron):
        # Schedules are built when the code location loads, so this one setting fails the load, saying what to set.
        raise ValueError(f"{variable(name)} must be a cron string such as '*/15 * * * *' (UTC) (got {cron!r})")
    return cron


@dataclass(frozen=True)
class LocationSettings:
    """The settings the definitions are built from (HUBSPOT_INCREMENTAL_CRON, HUBSPOT_RECONCILE_CRON,
    HUBSPOT_WAREHOUSE_PATH, HUBSPOT_WEBHOOK_SENSOR_INTERVAL_S). `from_environment()` raises ValueError naming the
    variable of a bad value."""

    incremental_cron: str
    reconcile_cron: str
    warehouse_path: Path
    webhook_sensor_interval_s: int = 5

    @classmethod
    def from_environment(cls) -> LocationSettings:
        return cls(
            incremental_cron=_cron("incremental_cron"),
            reconcile_cron=_cron("reconcile_cron"),
            warehouse_path=Path(_setting("warehouse_path")),
            webhook_sensor_interval_s=_seconds("webhook_sensor_interval_s"),
        )


def _seconds(name: str) -> int:
    text = _setting(name).strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{variable(name)} must be a whole number of seconds, at least 1 (got {text!r})")
    return int(text)
