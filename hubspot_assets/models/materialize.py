"""How a model's SELECT becomes a relation, with nothing half-built ever visible to a reader:

- `view`: `CREATE OR REPLACE VIEW` (after dropping a table of the same name, in one transaction);
- `table` (and an incremental model's full rebuild): the rows go into `<schema>."<name>__building"` first; then, in
  one transaction, the old relation is dropped and the new one renamed into its place. A reader sees the old table
  until the commit; a failed build leaves the old table and drops its half.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

BUILDING_SUFFIX = "__building"


def first_row(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any] | None = None) -> Any:
    """The first row of `sql` (None when it has none), the result read to its end: DuckDB refuses other work on a
    connection whose last result was left half-read."""
    rows = connection.execute(sql, parameters or []).fetchall()
    return rows[0] if rows else None


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def relation_type(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> str | None:
    """"VIEW", "BASE TABLE", or None when there is no such relation."""
    row = first_row(connection, "SELECT table_type FROM information_schema.tables WHERE table_schema = ? "
                    "AND table_name = ?", [schema, name])
    return None if row is None else row[0]


def drop_relation(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop the view or table `schema.name` if there is one (DuckDB wants the right kind named)."""
    kind = relation_type(connection, schema, name)
    if kind is not None:
        connection.execute(f'DROP {"VIEW" if kind == "VIEW" else "TABLE"} {schema}."{name}"')


def build_view(connection: duckdb.DuckDBPyConnection, schema: str, name: str, sql: str,
               record: Callable[[], None]) -> None:
    """Replace `schema.name` by a view of `sql`; `record` runs in the same transaction."""
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    with transaction(connection):
        if relation_type(connection, schema, name) == "BASE TABLE":
            drop_relation(connection, schema, name)
        connection.execute(f'CREATE OR REPLACE VIEW {schema}."{name}" AS {sql}')
        record()


def build_table(connection: duckdb.DuckDBPyConnection, schema: str, name: str, sql: str,
                record: Callable[[], None]) -> None:
    """Build `sql` into a new table and swap it in for `schema.name` in one transaction, in which `record` also
    runs (the build state then changes with the table)."""
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    building = f"{name}{BUILDING_SUFFIX}"
    try:
        connection.execute(f'CREATE OR REPLACE TABLE {schema}."{building}" AS {sql}')
        with transaction(connection):
            drop_relation(connection, schema, name)
            connection.execute(f'ALTER TABLE {schema}."{building}" RENAME TO "{name}"')
            record()
    finally:
        connection.execute(f'DROP TABLE IF EXISTS {schema}."{building}"')


def row_count(connection: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(first_row(connection, f"SELECT count(*) FROM {relation}")[0])


def relation_columns(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of `schema.name`, in order."""
    return [tuple(row) for row in connection.execute(  # type: ignore[misc]
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [schema, name]
    ).fetchall()]
