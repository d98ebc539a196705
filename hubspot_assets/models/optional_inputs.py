"""Optional inputs: a `hubspot_raw` table a model reads that a warehouse may not hold (`property_history` exists only
when HUBSPOT_PROPERTY_HISTORY is set). Listed in the model's YAML with its columns,

    config:
      optional_inputs:
        hubspot_raw.property_history: "object_type VARCHAR, object_id BIGINT, value VARCHAR"

a missing one is read as an empty relation of those columns: the SQL the build runs has each reference to it
replaced (with sqlglot) by an empty typed subquery, so the model builds empty instead of failing. Nothing is ever
written into `hubspot_raw`, which belongs to the loader.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from hubspot_assets.models.dependencies import parse_select
from hubspot_assets.models.project import column_definitions


def empty_relation(columns: str) -> exp.Subquery:
    """`(SELECT CAST(NULL AS type) AS name, ... WHERE false)`."""
    select = exp.select(
        *(exp.cast(exp.null(), kind).as_(name, quoted=True) for name, kind in column_definitions(columns, where=""))
    ).where(exp.false())
    return select.subquery()


def with_missing_inputs_empty(sql: str, missing: Mapping[str, str], *, file: str) -> str:
    """`sql` with every reference to a relation of `missing` (relation -> its column list) read as an empty one;
    `sql` itself when none is missing."""
    if not missing:
        return sql
    tree = parse_select(sql, file=file)
    for table in list(tree.find_all(exp.Table)):
        relation = f"{table.db}.{table.name}".lower()
        if table.db and relation in missing:
            alias = table.alias or table.name
            table.replace(empty_relation(missing[relation]).as_(alias))
    return tree.sql(dialect="duckdb")
