"""Incremental models: rebuild only the keys whose input rows changed since the model's last build.

For each input `changed_keys` lists, a fingerprint per key of the model: the XOR of the hashes of the input's rows
that map to that key (`SELECT <key expr>, bit_xor(hash(<row or version columns>)) ... GROUP BY 1`). A key whose
fingerprint differs from the stored one, or that appeared or disappeared, changed: an insert, an update, a delete,
an archive, a merge or a new association all move it. The rows of those keys are deleted from the model and
selected again from the model's SQL, filtered on the key, in one transaction that also stores the new
fingerprints.

The whole model is rebuilt instead (like a `table`) on its first build, when asked (`--full-refresh`), when its
definition (SQL, configuration) changed, or when an input `changed_keys` does not list changed at all (its count
and XOR of row hashes differ from the last build's): such an input can affect any key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb

from hubspot_assets.models.data_tests import literal, quote
from hubspot_assets.models.materialize import build_table, first_row, relation_type, transaction
from hubspot_assets.models.project import ChangedKey, Model
from hubspot_assets.models.state import (
    STATE_SCHEMA,
    BuildState,
    key_fingerprints_name,
    key_fingerprints_table,
    read_state,
    write_state,
)

MISSING = "missing"  # the fingerprint of an optional input the warehouse does not hold
LITERAL_KEYS = 1_000  # up to this many changed keys are written into the SQL as constants
_ROW = "_row"  # alias of the input in fingerprint queries: `hash(_row)` hashes the whole row (DuckDB's row struct)


@dataclass(frozen=True)
class ChangedKeys:
    """The keys an incremental build rebuilt: how many, and `sql`, the right side of an `IN` naming them (their
    model's checks then run on those rows only). Valid until `release_changed_keys`."""

    count: int
    sql: str


def release_changed_keys(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("DROP TABLE IF EXISTS temp._changed")


def read_columns(connection: duckdb.DuckDBPyConnection, model: Model, relation: str) -> tuple[str, ...] | None:
    """The columns of `relation` the SQL of `model` may read (None: any, so every column counts)."""
    names = None if model.read_columns is None else model.read_columns.get(relation)
    if names is None:
        return None
    schema, name = relation.split(".", 1)
    columns = connection.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
                                 "table_name = ? ORDER BY ordinal_position", [schema, name.strip('"')]).fetchall()
    return tuple(c for (c,) in columns if c.lower() in names)


def whole_fingerprint(connection: duckdb.DuckDBPyConnection, relation: str,
                      columns: tuple[str, ...] | None = None) -> str:
    """Row count and XOR of the hashes of every row's `columns` (None: the whole row): changes whenever any row
    does in those columns."""
    if columns == ():
        return str(first_row(connection, f"SELECT count(*) FROM {relation}")[0])
    hashed = ", ".join(f"{_ROW}.{quote(c)}" for c in columns) if columns else _ROW
    count, xor = first_row(connection, f"SELECT count(*), bit_xor(hash({hashed})) FROM {relation} AS {_ROW}")
    return f"{count}:{xor or 0}"


def key_fingerprint_sql(connection: duckdb.DuckDBPyConnection, relation: str, changed_key: ChangedKey,
                        columns: tuple[str, ...] | None = None) -> str:
    """The fingerprint per key of `relation`: its row count and the XOR of the hashes of its rows' `version`
    columns (else `columns`, the ones the model reads; else whole rows). A key expression giving a list
    (`[from_id, to_id]`: a link concerns both its records) gives each row to every distinct key of its list; a
    `through` join gives it to every key the join reaches, once each."""
    hashed_columns = changed_key.version or columns
    hashed = ", ".join(f"{_ROW}.{quote(c)}" for c in hashed_columns) if hashed_columns else _ROW
    if hashed_columns == ():
        hashed = "NULL"
    rows = f"{relation} AS {_ROW}" + (f" JOIN {changed_key.through}" if changed_key.through else "")
    key_type = first_row(connection, f"DESCRIBE SELECT ({changed_key.key}) AS key FROM {rows}")[1]
    key = f"unnest(list_distinct({changed_key.key}))" if str(key_type).endswith("[]") else f"({changed_key.key})"
    # DISTINCT: a row reaching a key twice (a list naming it twice, two join matches) must count once, as XOR
    # would cancel its two hashes out
    distinct = "DISTINCT " if changed_key.through else ""
    return (f"SELECT key, hash(count(*), bit_xor(row_hash)) AS fingerprint FROM (SELECT {distinct}{key} AS key, "
            f"hash({hashed}) AS row_hash FROM {rows}) GROUP BY key")


def input_fingerprints(connection: duckdb.DuckDBPyConnection, model: Model, missing: Iterable[str]) -> dict[str, str]:
    """The whole-input fingerprints that decide a full rebuild: every input not in `changed_keys` (over the
    columns the model reads of it), and `missing` for an optional input the warehouse lacks (so its arrival
    rebuilds the model)."""
    missing = set(missing)
    return {
        relation: MISSING if relation in missing else whole_fingerprint(
            connection, relation, read_columns(connection, model, relation))
        for relation in model.inputs
        if relation in missing or relation not in model.changed_keys
    }


def build_incremental(connection: duckdb.DuckDBPyConnection, model: Model, sql: str, *, full_refresh: bool,
                      missing: Iterable[str]) -> tuple[str, ChangedKeys | None]:
    """Build `model` (SQL as run: `sql`); returns ("full", None) or ("incremental", the keys rebuilt), which
    stay named until `release_changed_keys`."""
    missing = set(missing)
    keyed = {r: ck for r, ck in model.changed_keys.items() if r not in missing}
    try:
        return _build(connection, model, sql, keyed, full_refresh=full_refresh, missing=missing)
    finally:  # the temporary tables hold a row per key: give their memory back at once
        for number in range(len(keyed)):
            connection.execute(f"DROP TABLE IF EXISTS temp._new_fp_{number}")


def _build(connection: duckdb.DuckDBPyConnection, model: Model, sql: str, keyed: Mapping[str, ChangedKey], *,
           full_refresh: bool, missing: set[str]) -> tuple[str, ChangedKeys | None]:
    fingerprints = input_fingerprints(connection, model, missing)
    for number, (relation, changed_key) in enumerate(keyed.items()):
        connection.execute(f"CREATE OR REPLACE TEMP TABLE _new_fp_{number} AS "
                           f"{key_fingerprint_sql(connection, relation, changed_key, read_columns(connection, model, relation))}")
    state = BuildState(model.definition_hash, fingerprints)

    def record() -> None:
        _store_key_fingerprints(connection, model, keyed)
        write_state(connection, model.relation, state)

    if full_refresh or _needs_full_build(connection, model, state, keyed):
        build_table(connection, model.schema, model.name, sql, record)
        return "full", None
    changed = _changed_keys(connection, model, keyed)
    key = quote(model.unique_key or "")
    keys = _key_list(connection, changed)
    with transaction(connection):
        connection.execute(f"DELETE FROM {model.relation} WHERE {key} IN {keys}")
        connection.execute(f"INSERT INTO {model.relation} BY NAME SELECT * FROM ({sql}) AS _model "
                           f"WHERE _model.{key} IN {keys}")
        record()
    return "incremental", ChangedKeys(changed, keys)


def _key_list(connection: duckdb.DuckDBPyConnection, changed: int) -> str:
    """The changed keys as the right side of `IN`: a few as constants, which DuckDB pushes down through the
    model's joins and aggregates to the scans (a subquery is a join it does after them), many as the subquery."""
    if changed > LITERAL_KEYS:
        return "(SELECT key FROM _changed)"
    keys = [row[0] for row in connection.execute("SELECT key FROM _changed ORDER BY key").fetchall()]
    if not keys or not all(isinstance(k, (int, str)) for k in keys):
        return "(SELECT key FROM _changed)"
    return f"({', '.join(literal(k) for k in keys)})"


def _needs_full_build(connection: duckdb.DuckDBPyConnection, model: Model, state: BuildState,
                      keyed: Iterable[str]) -> bool:
    """No build to start from, or one of another definition or of other unlisted inputs."""
    if read_state(connection, model.relation) != state:
        return True
    if relation_type(connection, model.schema, model.name) != "BASE TABLE":
        return True
    return any(relation_type(connection, STATE_SCHEMA, key_fingerprints_name(model.relation, r)) is None
               for r in keyed)


def _changed_keys(connection: duckdb.DuckDBPyConnection, model: Model, keyed: Mapping[str, ChangedKey]) -> int:
    """Fill the temporary table `_changed` with the keys whose fingerprint moved in any listed input."""
    parts = [
        f"SELECT coalesce(new.key, old.key) AS key FROM _new_fp_{number} AS new "
        f"FULL JOIN {key_fingerprints_table(model.relation, relation)} AS old ON new.key = old.key "
        "WHERE new.fingerprint IS DISTINCT FROM old.fingerprint"
        for number, relation in enumerate(keyed)
    ]
    union = " UNION ".join(parts) if parts else "SELECT NULL AS key WHERE false"
    connection.execute(f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT DISTINCT key FROM ({union}) "
                       "WHERE key IS NOT NULL")
    return int(first_row(connection, "SELECT count(*) FROM _changed")[0])


def _store_key_fingerprints(connection: duckdb.DuckDBPyConnection, model: Model,
                            keyed: Mapping[str, ChangedKey]) -> None:
    for number, relation in enumerate(keyed):
        connection.execute(f"CREATE OR REPLACE TABLE {key_fingerprints_table(model.relation, relation)} AS "
                           f"SELECT * FROM _new_fp_{number}")
