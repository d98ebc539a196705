"""The Dagster code location: composes what `defs/` defines; defines nothing itself."""

import dagster as dg

from hubspot_assets.defs import extraction_definitions

defs = dg.Definitions.merge(extraction_definitions())
