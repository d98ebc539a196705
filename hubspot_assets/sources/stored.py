"""What the warehouse already holds, read while a run extracts: reconciliation compares it with HubSpot.

Each query opens its own read-only DuckDB connection: resources run in threads, and dlt's own SQL client is not safe
to use from several threads at once. No writer holds the file while dlt extracts (the load comes after).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from hubspot_assets.sources.settings import DATASET_NAME


class StoredTables:
    """Read-only queries on `hubspot_raw` tables of the warehouse at `path` (None: no warehouse, every answer empty).

    A query names its table as `{table}` and takes `?` parameters; a warehouse or table that does not exist yet (the
    first run) answers empty."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = None if path is None else Path(path)

    def rows(self, sql_template: str, table: str, *args: Any) -> list[tuple]:
        return self._run(sql_template, table, args, lambda result: result.fetchall(), [])

    def columns(self, sql_template: str, table: str, *args: Any) -> dict[str, np.ndarray]:
        """The columns of the answer as numpy arrays (no NULLs: coalesce them in the SQL)."""
        return self._run(sql_template, table, args, lambda result: result.fetchnumpy(), {})

    def ids(self, sql_template: str, table: str, *args: Any) -> np.ndarray:
        """The first column (ids, cast to BIGINT in the SQL) as a sorted int64 array: for sets of millions."""
        column = next(iter(self.columns(sql_template, table, *args).values()), np.empty(0))
        return np.unique(np.asarray(column, dtype=np.int64))

    def _run(self, sql_template: str, table: str, args: Sequence[Any], fetch: Any, empty: Any) -> Any:
        if self.path is None or not self.path.exists():
            return empty
        with duckdb.connect(str(self.path), read_only=True) as connection:
            try:
                result = connection.execute(sql_template.format(table=f'{DATASET_NAME}."{table}"'), list(args))
            except duckdb.CatalogException:  # the table does not exist yet
                return empty
            return fetch(result)
