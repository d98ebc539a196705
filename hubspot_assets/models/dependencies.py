"""The tables a model's SQL reads, found by parsing it with sqlglot (DuckDB dialect), never by a hand-kept list.

A reference is a schema-qualified table (`hubspot_raw.contacts`, `hubspot_staging.stg_contacts`); the names of the
query's own CTEs are not tables, nor are table functions (`read_parquet(...)`, `range(...)`). An unqualified name
that is no CTE is an error: the build runs the SQL as it is, so the schema has to be in it.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.scope import Scope, traverse_scope

from hubspot_assets.models.errors import ModelError


def parse_select(sql: str, *, file: str) -> exp.Expression:
    """The one query of `sql` (a SELECT, a set operation or DuckDB's UNPIVOT statement). Raises `ModelError` naming
    `file` when sqlglot cannot parse it or it holds anything but one query."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as error:
        raise ModelError(f"{file}: not valid DuckDB SQL: {error}") from None
    if len(statements) != 1:
        raise ModelError(f"{file}: a model is one SELECT statement; this file holds {len(statements)} statements")
    [statement] = statements
    if not isinstance(statement, (exp.Query, exp.Pivot)):
        raise ModelError(f"{file}: a model is one SELECT statement, not {statement.key.upper()}")
    return statement


def table_references(tree: exp.Expression, *, file: str) -> tuple[str, ...]:
    """The schema-qualified tables `tree` reads (`schema.table`, lower case, sorted). Raises `ModelError` naming `file`
    for an unqualified table that is not one of the query's CTEs."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):  # a table function: read_parquet(...), range(...)
            continue
        name = table.name.lower()
        if not table.db:
            if name in ctes:
                continue
            raise ModelError(
                f"{file}: table {table.name!r} has no schema: name it with its schema, e.g. hubspot_raw.{table.name} "
                f"or hubspot_staging.{table.name}"
            )
        found.add(f"{table.db.lower()}.{name}")
    return tuple(sorted(found))


def selected_columns(tree: exp.Expression) -> tuple[str, ...] | None:
    """The output column names of the query, or None when they cannot be told without running it (`*`,
    `COLUMNS(...)`, UNPIVOT)."""
    if not isinstance(tree, exp.Select):
        return None
    names = []
    for projection in tree.expressions:
        # Only an alias or a plain column names itself; DuckDB names any other expression after its text.
        if not isinstance(projection, (exp.Alias, exp.Column)) or projection.is_star:
            return None
        if projection.find(exp.Columns) is not None:
            return None
        names.append(projection.alias_or_name.lower())
    return tuple(names)


def columns_by_table(tree: exp.Expression) -> dict[str, frozenset[str] | None] | None:
    """The columns the query may read of each input table (`schema.table` -> lower-case names; None for a table
    it may read whole: `*`, `t.*`, the row as a value). A column is given to the table its qualifier names, or,
    unqualified, to every table its query reads from (a superset). None when that cannot be told at all
    (`COLUMNS(...)`, UNPIVOT): the caller then takes every column of every input."""
    if tree.find(exp.Columns) is not None or tree.find(exp.Pivot) is not None or isinstance(tree, exp.Pivot):
        return None
    read: dict[str, set[str] | None] = {}

    def add(table: exp.Table, column: str | None) -> None:
        relation = f"{table.db.lower()}.{table.name.lower()}"
        if column is None or read.get(relation, set()) is None:
            read[relation] = None
        else:
            read.setdefault(relation, set()).add(column)  # type: ignore[union-attr]

    for scope in traverse_scope(tree):
        tables = {alias.lower(): source for alias, (_, source) in scope.selected_sources.items()
                  if isinstance(source, exp.Table) and source.db}
        for table in tables.values():
            read.setdefault(f"{table.db.lower()}.{table.name.lower()}", set())
        for column in scope.columns:
            qualifier = column.table.lower()
            if qualifier:
                table = _visible_table(scope, qualifier)
                if table is not None:
                    add(table, None if column.is_star else column.name.lower())
            elif column.name.lower() in tables:  # the row itself as a value: `hash(t)`
                add(tables[column.name.lower()], None)
            else:
                for table in tables.values():
                    add(table, column.name.lower())
        for projection in scope.expression.expressions if isinstance(scope.expression, exp.Select) else []:
            if isinstance(projection, exp.Star):
                for table in tables.values():
                    add(table, None)
            elif isinstance(projection, exp.Column) and projection.is_star:
                table = _visible_table(scope, projection.table.lower())
                if table is not None:
                    add(table, None)
    return {relation: None if names is None else frozenset(names) for relation, names in read.items()}


def _visible_table(scope: Scope, alias: str) -> exp.Table | None:
    """The input table `alias` names in `scope` or an enclosing one (a correlated subquery), None for a CTE or
    subquery alias (its own scope says what it reads)."""
    while scope is not None:
        selected = {a.lower(): source for a, (_, source) in scope.selected_sources.items()}
        if alias in selected:
            source = selected[alias]
            return source if isinstance(source, exp.Table) and source.db else None
        scope = scope.parent
    return None
