"""hubspot-elt: a Dagster code location that keeps a DuckDB warehouse in step with a HubSpot account."""

__version__ = "0.1.0"
