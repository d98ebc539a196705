"""What goes wrong with models: at load time (`ModelError`: a file that cannot become a model) and at build time
(`ModelBuildError`: DuckDB refused a model's SQL). Both messages start with the file to fix."""

from __future__ import annotations


class ModelError(ValueError):
    """A problem in `dbt_like_models/` found while loading it: the message names the file and says what to change."""


class ModelBuildError(RuntimeError):
    """DuckDB failed to build a model: `dbt_like_models/marts/customers.sql: <DuckDB's message>`."""
