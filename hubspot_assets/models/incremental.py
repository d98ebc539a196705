"""Incremental models: rebuild only the keys whose input rows changed since the model's last build.

For each input `changed_keys` lists, the changed keys are found the cheapest way that is exact (`_InputChange`):
none when the input is at the version it had at the last build; from the keys an incremental input's own build
rebuilt and the rows it took out; else from a fingerprint per key of the model, the XOR of the hashes of the input's
rows that map to that key (`SELECT <key expr>, bit_xor(hash(<read or version columns>)) ... GROUP BY key`),
compared with the stored one: an insert, an update, a delete, an archive, a merge or a new association all move
it. The rows of those keys are deleted from the model and selected again from the model's SQL, filtered on the
key, in one transaction that also stores the moved fingerprints and the keys rebuilt (for the models reading this
one).

The whole model is rebuilt instead (like a `table`) on its first build, when asked (`--full-refresh`), when its
definition (SQL, configuration) changed, when an input `changed_keys` does not list changed in the columns the model
reads of it, or when an incremental input's last build was not one this model can follow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb

from hubspot_assets.models.data_tests import literal, quote
from hubspot_assets.models.lineage import table_content
from hubspot_assets.models.materialize import build_table, first_row, relation_type, transaction
from hubspot_assets.models.project import ChangedKey, Model
from hubspot_assets.models.state import (
    STATE_SCHEMA,
    BuildState,
    changes_since,
    input_versions,
    keep_removed_rows,
    key_fingerprints_name,
    key_fingerprints_table,
    read_state,
    record_changes,
    write_state,
)

MISSING = "missing"  # the fingerprint of an optional input the warehouse does not hold
LITERAL_KEYS = 1_000  # up to this many changed keys are written into the SQL as constants
_ROW = "_row"  # alias of the input in fingerprint queries: `hash(_row)` hashes the whole row (DuckDB's row struct)


@dataclass(frozen=True)
class ChangedKeys:
    """The keys an incremental build rebuilt: how many, and `sql`, the right side of an `IN` naming them (their
    model's checks then run on those rows only; valid until `release_changed_keys`). `inputs`: how each listed
    input's changes were found (`same`, `since` or `scan`, see `_InputChange`)."""

    count: int
    sql: str
    inputs: Mapping[str, str] = field(default_factory=dict)
    # row count and XOR of row hashes of the rows the build took out and put in (lineage.replaced_content)
    removed: tuple[int, int] = (0, 0)
    added: tuple[int, int] = (0, 0)


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
    key = _key_expression(connection, relation, changed_key)
    # DISTINCT: a row reaching a key twice (a list naming it twice, two join matches) must count once, as XOR
    # would cancel its two hashes out
    distinct = "DISTINCT " if changed_key.through else ""
    return (f"SELECT key, hash(count(*), bit_xor(row_hash)) AS fingerprint FROM (SELECT {distinct}{key} AS key, "
            f"hash({hashed}) AS row_hash FROM {rows}) GROUP BY key")


def input_fingerprints(connection: duckdb.DuckDBPyConnection, model: Model, missing: Iterable[str],
                       unchanged: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole-input fingerprints that decide a full rebuild: every input not in `changed_keys` (over the
    columns the model reads of it), and `missing` for an optional input the warehouse lacks (so its arrival
    rebuilds the model). `unchanged` gives the fingerprint of an input still at the version it was taken at."""
    missing, unchanged = set(missing), unchanged or {}
    return {
        relation: MISSING if relation in missing else unchanged.get(relation) or whole_fingerprint(
            connection, relation, read_columns(connection, model, relation))
        for relation in model.inputs
        if relation in missing or relation not in model.changed_keys
    }


@dataclass(frozen=True)
class _InputChange:
    """How one listed input's changes are found: `same` (at the version it had at the last build: none), `scan`
    (every key's fingerprint computed again and compared with the stored ones), `since` (an incremental model:
    the keys of the rows its own build took out and put in, in table `since`; no fingerprints are kept of such an
    input), or `unknown` (such an input whose own last build was not an incremental one from the version this
    model read: the model is rebuilt in full)."""

    number: int
    relation: str
    how: str
    since: str | None = None


def build_incremental(connection: duckdb.DuckDBPyConnection, model: Model, sql: str, *, full_refresh: bool,
                      missing: Iterable[str], versions: Mapping[str, str], input_keys: Mapping[str, str],
                      built_from: str | None) -> tuple[str, ChangedKeys | None]:
    """Build `model` (SQL as run: `sql`; `versions`: what its inputs hold now, `lineage.Versions.of`;
    `input_keys`: the unique key of each input that is an incremental model; `built_from`: its own version at
    its last build); returns ("full", None) or ("incremental", the keys rebuilt), which stay named until
    `release_changed_keys`."""
    missing = set(missing)
    keyed = {r: ck for r, ck in model.changed_keys.items() if r not in missing}
    try:
        return _build(connection, model, sql, keyed, full_refresh=full_refresh, missing=missing,
                      versions=versions, input_keys=input_keys, built_from=built_from)
    finally:  # the temporary tables hold a row per key: give their memory back at once
        for number in range(len(keyed)):
            connection.execute(f"DROP TABLE IF EXISTS temp._new_fp_{number}")
            connection.execute(f"DROP TABLE IF EXISTS temp._moved_{number}")
            connection.execute(f"DROP TABLE IF EXISTS temp._affected_{number}")


def _build(connection: duckdb.DuckDBPyConnection, model: Model, sql: str, keyed: Mapping[str, ChangedKey], *,
           full_refresh: bool, missing: set[str], versions: Mapping[str, str], input_keys: Mapping[str, str],
           built_from: str | None) -> tuple[str, ChangedKeys | None]:
    previous, taken_at = read_state(connection, model.relation), input_versions(connection, model.relation)
    unchanged = {r: previous.inputs[r] for r in model.inputs
                 if previous is not None and r in previous.inputs and taken_at.get(r) == versions.get(r)}
    fingerprints = input_fingerprints(connection, model, missing, unchanged)
    changes = [_input_change(connection, model, number, relation, changed_key, taken_at.get(relation), versions,
                             input_keys.get(relation)) for number, (relation, changed_key) in enumerate(keyed.items())]
    for change in changes:
        if change.how == "scan":
            fingerprint_sql = key_fingerprint_sql(connection, change.relation, keyed[change.relation],
                                                  read_columns(connection, model, change.relation))
            connection.execute(f"CREATE OR REPLACE TEMP TABLE _new_fp_{change.number} AS {fingerprint_sql}")
    state = BuildState(model.definition_hash, fingerprints)

    def record(changed_keys: str | None) -> None:
        _store_key_fingerprints(connection, model, changes, incremental=changed_keys is not None)
        write_state(connection, model.relation, state)
        record_changes(connection, model.relation, versions, built_from, changed_keys)

    if full_refresh or any(c.how == "unknown" for c in changes) or _needs_full_build(connection, model, state, [
            c.relation for c in changes if c.how in ("same", "scan") and c.relation not in input_keys]):
        build_table(connection, model.schema, model.name, sql, lambda: record(None))
        return "full", None
    changed = _changed_keys(connection, model, changes)
    key = quote(model.unique_key or "")
    keys = _key_list(connection, changed)
    with transaction(connection):
        removed = table_content(connection, model.relation, f"{key} IN {keys}")
        keep_removed_rows(connection, model.relation, f"{key} IN {keys}")
        connection.execute(f"DELETE FROM {model.relation} WHERE {key} IN {keys}")
        connection.execute(f"INSERT INTO {model.relation} BY NAME SELECT * FROM ({sql}) AS _model "
                           f"WHERE _model.{key} IN {keys}")
        added = table_content(connection, model.relation, f"{key} IN {keys}")
        record("SELECT key FROM _changed")
    return "incremental", ChangedKeys(changed, keys, {c.relation: c.how for c in changes}, removed, added)


def _input_change(connection: duckdb.DuckDBPyConnection, model: Model, number: int, relation: str,
                  changed_key: ChangedKey, taken_at: str | None, versions: Mapping[str, str],
                  unique_key: str | None) -> _InputChange:
    if taken_at not in (None, MISSING) and taken_at == versions.get(relation):
        return _InputChange(number, relation, "same")
    if unique_key is None or changed_key.through is not None:  # fingerprinted
        return _InputChange(number, relation, "scan")
    since = None if taken_at is None else changes_since(connection, relation, taken_at)
    if since is None:
        return _InputChange(number, relation, "unknown")
    changed, removed = since
    if changed_key.key.strip() == unique_key:
        return _InputChange(number, relation, "since", changed)
    # Keyed otherwise: the keys of the rows the input's build took out and of those it put in are the only ones
    # whose rows changed.
    key = _key_expression(connection, relation, changed_key)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE _affected_{number} AS "
                       f"SELECT {key} AS key FROM {removed} AS {_ROW} UNION SELECT {key} AS key FROM {relation} "
                       f"AS {_ROW} WHERE {quote(unique_key)} IN (SELECT key FROM {changed})")
    return _InputChange(number, relation, "since", f"_affected_{number}")


def _key_expression(connection: duckdb.DuckDBPyConnection, relation: str, changed_key: ChangedKey) -> str:
    """The key of each row of `relation` (alias `_row`; a list key gives each row every distinct key of it)."""
    rows = f"{relation} AS {_ROW}" + (f" JOIN {changed_key.through}" if changed_key.through else "")
    key_type = first_row(connection, f"DESCRIBE SELECT ({changed_key.key}) AS key FROM {rows}")[1]
    return f"unnest(list_distinct({changed_key.key}))" if str(key_type).endswith("[]") else f"({changed_key.key})"


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


def _changed_keys(connection: duckdb.DuckDBPyConnection, model: Model, changes: Iterable[_InputChange]) -> int:
    """Fill the temporary table `_changed` with the keys whose fingerprint moved in any scanned input, and those
    an incremental input's build changed. One input at a time: each comparison is a join over every key, and
    several at once would need the memory of all of them."""
    connection.execute(f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT {quote(model.unique_key or '')} AS key "
                       f"FROM {model.relation} WHERE false")
    for change in changes:
        old = key_fingerprints_table(model.relation, change.relation)
        if change.how == "scan":
            moved = (f"SELECT coalesce(new.key, old.key) AS key FROM _new_fp_{change.number} AS new "
                     f"FULL JOIN {old} AS old ON new.key = old.key "
                     "WHERE new.fingerprint IS DISTINCT FROM old.fingerprint")
        elif change.how == "since":
            moved = f"SELECT key FROM {change.since}"
        else:
            continue
        connection.execute(f"CREATE OR REPLACE TEMP TABLE _moved_{change.number} AS {moved}")
        connection.execute(f"INSERT INTO _changed SELECT key FROM _moved_{change.number} WHERE key IS NOT NULL "
                           "EXCEPT SELECT key FROM _changed")
    return int(first_row(connection, "SELECT count(*) FROM _changed")[0])


def _store_key_fingerprints(connection: duckdb.DuckDBPyConnection, model: Model,
                            changes: Iterable[_InputChange], *, incremental: bool) -> None:
    """Keep the new fingerprints of the scanned inputs: after an incremental build only those of the keys that
    moved are written (the others are as stored), after a full one every key's."""
    for change in changes:
        if change.how != "scan":
            continue
        table = key_fingerprints_table(model.relation, change.relation)
        if not incremental:
            connection.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _new_fp_{change.number}")
            continue
        moved = f"SELECT key FROM _moved_{change.number}"
        connection.execute(f"DELETE FROM {table} WHERE key IN ({moved})")
        connection.execute(f"INSERT INTO {table} SELECT * FROM _new_fp_{change.number} WHERE key IN ({moved})")
