"""What the code location needs to know when it loads, read without an API call, without validating the
connection settings and without creating any file.

- `LocationSettings`: only the cron strings and the warehouse path (`HUBSPOT_*` environment or `.env`). A bad
  `HUBSPOT_BASE_URL` or token is not read here, so it fails the run that needs it, not the code location load.
- `stored_custom_tables()`: the custom object tables earlier runs wrote, from the dlt schema that dlt keeps next to
  the warehouse (`<warehouse folder>/.dlt/<warehouse name>/hubspot/schemas/hubspot.schema.json`); each gets a dlt
  resource and an asset of its own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubspot_assets.settings import Settings
from hubspot_assets.sources.settings import PIPELINE_NAME

log = logging.getLogger(__name__)

_DEFAULTS = Settings.model_fields


class LocationSettings(BaseSettings):
    """The settings read when the definitions load (same environment variables as `Settings`)."""

    model_config = SettingsConfigDict(
        env_prefix="HUBSPOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    incremental_cron: str = Field(default=_DEFAULTS["incremental_cron"].default)
    reconcile_cron: str = Field(default=_DEFAULTS["reconcile_cron"].default)
    warehouse_path: Path = Field(default=_DEFAULTS["warehouse_path"].default)


def dlt_schema_file(warehouse: Path) -> Path:
    """Where dlt keeps the pipeline's schema for this warehouse (see `sources/warehouse.make_pipeline`)."""
    warehouse = warehouse.expanduser().resolve()
    return warehouse.parent / ".dlt" / warehouse.stem / PIPELINE_NAME / "schemas" / f"{PIPELINE_NAME}.schema.json"


def stored_custom_tables(warehouse: Path) -> list[str]:
    """The custom object tables of earlier runs (every table of the stored schema that the source does not define
    itself: `pets`, `vehicles`...); [] before the first run or when the schema file cannot be read (custom objects
    are then loaded by the catch-all `custom_objects` asset)."""
    from hubspot_assets.sources import is_custom_table

    path = dlt_schema_file(warehouse)
    try:
        tables = json.loads(path.read_text(encoding="utf-8")).get("tables", {})
    except FileNotFoundError:
        return []
    except (OSError, ValueError, AttributeError) as error:
        log.warning("cannot read the stored dlt schema %s (%s); custom objects fall to the custom_objects asset",
                    path, error)
        return []
    return sorted(name for name, table in tables.items() if isinstance(table, dict) and is_custom_table(name))
