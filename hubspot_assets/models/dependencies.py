"""The tables a model's SQL reads, found by parsing it with sqlglot (DuckDB dialect), never by a hand-kept list.

A reference is a schema-qualified table (`hubspot_raw.contacts`, `hubspot_staging.stg_contacts`); the names of the
query's own CTEs are not tables, nor are table functions (`read_parquet(...)`, `range(...)`). An unqualified name
that is no CTE is an error: the build runs the SQL as it is, so the schema has to be in it.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

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


def column_names(tree: exp.Expression) -> frozenset[str] | None:
    """Every column name the query mentions (lower case), whatever table it is of: the columns it may read of its
    inputs (a superset). None when it may read columns it does not name: a `*` or `t.*` over an input table (over
    its own CTEs it only reads what they name), `COLUMNS(...)`, UNPIVOT, or a table used as a value (`hash(t)`)."""
    tables = {t.alias_or_name.lower() for t in tree.find_all(exp.Table) if t.db}
    if tree.find(exp.Columns) is not None or tree.find(exp.Pivot) is not None or isinstance(tree, exp.Pivot):
        return None
    names = set()
    for column in tree.find_all(exp.Column):
        if column.is_star:
            if column.table.lower() in tables or not column.table:
                return None
            continue
        if not column.table and column.name.lower() in tables:
            return None
        names.add(column.name.lower())
    for star in tree.find_all(exp.Star):
        if isinstance(star.parent, exp.Count) or isinstance(star.parent, exp.Column):
            continue
        select = star.find_ancestor(exp.Select)
        if select is None or _reads_a_table(select):
            return None
    return frozenset(names)


def _reads_a_table(select: exp.Select) -> bool:
    """`select` has a schema-qualified table among its FROM and JOIN sources."""
    sources = [select.args.get("from_") or select.args.get("from"), *(select.args.get("joins") or [])]
    return any(isinstance(s.this, exp.Table) and s.this.db for s in sources if s is not None)
