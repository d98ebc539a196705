"""The Dagster code location: composes what `defs/` defines; defines nothing itself."""

import dagster as dg

defs = dg.Definitions(assets=[], jobs=[], schedules=[], sensors=[], resources={})
