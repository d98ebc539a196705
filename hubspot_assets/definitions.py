"""The Dagster code location: everything `hubspot_assets/defs/` defines, loaded by Dagster's defs-folder loader
(the project's `[tool.dg]` in pyproject.toml names the package). Defines nothing itself."""

from pathlib import Path

import dagster as dg

defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
