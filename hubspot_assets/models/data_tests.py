"""Data tests, as dbt has them: each test is a query returning the rows that break it, so a passing test returns none.

The YAML kinds (`unique`, `not_null`, `accepted_values`, `relationships`) get their query generated here; a custom
test is a file `dbt_like_models/tests/<name>.sql` holding one such SELECT. `run_test` counts the failing rows and
keeps a few as a sample, which the CLI prints and Dagster's asset checks show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

import duckdb
from sqlglot import exp

from hubspot_assets.models.materialize import first_row

TestKind = Literal["unique", "not_null", "accepted_values", "relationships", "sql", "contract"]
Severity = Literal["error", "warn"]
GENERIC_KINDS: tuple[str, ...] = ("unique", "not_null", "accepted_values", "relationships")
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class ModelTest:
    """One test of a model: `name` (unique per model, the Dagster check's name), the `column` it tests (None for a
    custom SQL test), its `kind`, `severity` (an `error` blocks the models downstream), the YAML `args` and `sql`,
    the query returning the failing rows. `inputs` are the relations it reads besides the model (the target of a
    `relationships` test, the tables of a custom test): they are built before the test runs."""

    name: str
    model: str
    column: str | None
    kind: TestKind
    severity: Severity
    args: dict[str, Any] = field(default_factory=dict)
    sql: str = ""
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestResult:
    """How a test (or a contract validation) went: `failing_rows` counted, at most 5 of them in `sample` (JSON-ready
    values); `error` says why the test itself could not run (it then did not pass). `reused`: nothing the test
    reads changed since its last run, whose result this is. `on_changed_keys`: the test ran on the rows of that
    many keys an incremental build rebuilt, the only rows that can break it (see `changed_rows_sql`)."""

    test: ModelTest
    passed: bool
    failing_rows: int
    sample: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    reused: bool = False
    on_changed_keys: int | None = None


def quote(name: str) -> str:
    """A column name as DuckDB reads it whatever its spelling."""
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def literal(value: Any) -> str:
    return exp.convert(value).sql(dialect="duckdb")


def generic_test_sql(kind: str, relation: str, column: str, args: dict[str, Any]) -> str:
    """The failing-rows query of a YAML test of `relation.column`: duplicated values with their count (`unique`),
    rows with a null (`not_null`), values outside `args["values"]` with their count (`accepted_values`), rows whose
    non-null value is missing from `args["to"]`'s `args["field"]` (`relationships`)."""
    col = quote(column)
    if kind == "unique":
        return (f"SELECT {col} AS value, count(*) AS n FROM {relation} WHERE {col} IS NOT NULL "
                f"GROUP BY {col} HAVING count(*) > 1")
    if kind == "not_null":
        return f"SELECT * FROM {relation} WHERE {col} IS NULL"
    if kind == "accepted_values":
        values = ", ".join(literal(v) for v in args["values"])
        return (f"SELECT {col} AS value, count(*) AS n FROM {relation} WHERE {col} IS NOT NULL "
                f"AND {col} NOT IN ({values}) GROUP BY {col}")
    if kind == "relationships":
        target = quote(args["field"])
        return (f"SELECT child.* FROM {relation} AS child WHERE child.{col} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {args['to']} AS parent WHERE parent.{target} = child.{col})")
    raise ValueError(f"no generated SQL for a test of kind {kind!r}")


def changed_rows_sql(test: ModelTest, relation: str, key: str, keys: str) -> str | None:
    """The failing-rows query of `test` over only the rows of `relation` whose `key` is `IN keys`, for a test that
    passed on the relation as it was before an incremental build replaced those rows: the other rows then still
    pass. A row-wise test (`not_null`, `accepted_values`, `relationships` to a target that did not change) looks
    at the changed rows; `unique` at the rows sharing a value with them. None for a test that needs every row (a
    custom SQL test)."""
    changed = f"(SELECT * FROM {relation} WHERE {quote(key)} IN {keys})"
    if test.column is None or test.kind not in GENERIC_KINDS:
        return None
    if test.kind == "unique":
        col = quote(test.column)
        return (f"SELECT {col} AS value, count(*) AS n FROM {relation} WHERE {col} IN (SELECT {col} FROM {changed}) "
                f"GROUP BY {col} HAVING count(*) > 1")
    return generic_test_sql(test.kind, changed, test.column, test.args)


def run_test(connection: duckdb.DuckDBPyConnection, test: ModelTest, sql: str | None = None) -> TestResult:
    """Run `test` (its query, or `sql` instead) against the warehouse: passed when the query returns no row. A query
    DuckDB refuses gives a result that did not pass, with DuckDB's message as `error` (it never raises)."""
    sql = sql or test.sql
    try:
        failing = first_row(connection, f"SELECT count(*) FROM ({sql})")[0]
        sample = fetch_dicts(connection, f"SELECT * FROM ({sql}) LIMIT {SAMPLE_ROWS}") if failing else []
    except duckdb.Error as error:
        return TestResult(test, passed=False, failing_rows=0, error=str(error))
    return TestResult(test, passed=failing == 0, failing_rows=int(failing), sample=sample)


def fetch_dicts(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """The rows of `sql` as dicts of JSON-ready values (for metadata and printing)."""
    cursor = connection.execute(sql)
    names = [d[0] for d in cursor.description]
    return [{name: json_ready(value) for name, value in zip(names, row, strict=True)} for row in cursor.fetchall()]


def json_ready(value: Any) -> Any:
    """`value` as JSON holds it: timestamps and dates in ISO form, decimals and other scalars as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, timedelta)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return str(value)
