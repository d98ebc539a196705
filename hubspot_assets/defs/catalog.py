"""The custom object tables earlier runs wrote, read without an API call and without creating any file: from the
dlt schema that dlt keeps next to the warehouse (`<warehouse folder>/.dlt/<warehouse name>/hubspot/schemas/
hubspot.schema.json`). Each gets a dlt resource and an asset of its own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from hubspot_assets.sources import is_custom_table
from hubspot_assets.sources.settings import PIPELINE_NAME

log = logging.getLogger(__name__)


def dlt_schema_file(warehouse: Path) -> Path:
    """Where dlt keeps the pipeline's schema for this warehouse (see `sources/warehouse.make_pipeline`)."""
    warehouse = warehouse.expanduser().resolve()
    return warehouse.parent / ".dlt" / warehouse.stem / PIPELINE_NAME / "schemas" / f"{PIPELINE_NAME}.schema.json"


def stored_custom_tables(warehouse: Path) -> list[str]:
    """The custom object tables of earlier runs (every table of the stored schema that the source does not define
    itself: `pets`, `vehicles`...); [] before the first run or when the schema file cannot be read (custom objects
    are then loaded by the catch-all `custom_objects` asset)."""
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
