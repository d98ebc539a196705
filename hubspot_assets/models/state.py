"""What the framework remembers between builds, in the warehouse's schema `hubspot_models_state` (internal: the
published snapshot leaves it out).

- `builds`: one row per model: when it was last built, the hash of its definition (SQL and configuration), the
  fingerprints of the inputs an incremental model rebuilds in full when they change (the inputs `changed_keys`
  does not list; an optional input that was missing is remembered as such), and the version of its definition and
  inputs it was built from (`lineage.py`: a model whose version has not moved is up to date).
- `checks`: the result of every test and contract at its last run, with the version it ran on (the test's SQL
  and the versions of what it reads): a check whose version has not moved is not run again, its result is.
- one table per incremental model and listed input (`"hubspot.customers:hubspot_staging.stg_contacts"`): the
  fingerprint of every key at the last build, which the next build compares with the input's current rows; and
  in `builds`, the version of each input those fingerprints were taken at (`input_versions`): an input still at
  that version has them still.
- two tables per incremental model (`"hubspot_staging.int_interactions:changed"`, `...:removed`) holding the keys
  its last build rebuilt and the rows it took out, when that build was incremental (`builds.changed_from`: the
  model's version before it): a model reading it finds its own changed keys among those rows and the new rows of
  those keys instead of fingerprinting the whole input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from hubspot_assets.models.materialize import first_row, transaction
from hubspot_assets.sources.warehouse import MODELS_STATE_SCHEMA

STATE_SCHEMA = MODELS_STATE_SCHEMA
BUILDS = f"{STATE_SCHEMA}.builds"
CHECKS = f"{STATE_SCHEMA}.checks"


@dataclass(frozen=True)
class BuildState:
    definition_hash: str
    inputs: dict[str, str] = field(default_factory=dict)


def ensure_state(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {STATE_SCHEMA}")
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {BUILDS} (relation VARCHAR, built_at TIMESTAMPTZ, definition_hash VARCHAR, "
        "input_fingerprints JSON)"
    )
    # The version of the model's definition and inputs at its last build (models/lineage.py).
    connection.execute(f"ALTER TABLE {BUILDS} ADD COLUMN IF NOT EXISTS version VARCHAR")
    connection.execute(f"ALTER TABLE {BUILDS} ADD COLUMN IF NOT EXISTS input_versions JSON")
    connection.execute(f"ALTER TABLE {BUILDS} ADD COLUMN IF NOT EXISTS changed_from VARCHAR")
    # what the table holds (lineage.py): a consumer compares it with the one it last read
    connection.execute(f"ALTER TABLE {BUILDS} ADD COLUMN IF NOT EXISTS content VARCHAR")
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {CHECKS} (relation VARCHAR, name VARCHAR, version VARCHAR, passed BOOLEAN, "
        "failing_rows BIGINT, sample JSON)"
    )


def read_state(connection: duckdb.DuckDBPyConnection, relation: str) -> BuildState | None:
    row = first_row(connection, f"SELECT definition_hash, input_fingerprints FROM {BUILDS} WHERE relation = ?",
                    [relation])
    return None if row is None else BuildState(row[0], json.loads(row[1] or "{}"))


def write_state(connection: duckdb.DuckDBPyConnection, relation: str, state: BuildState) -> None:
    """Record a build (inside the build's own transaction, so state and table change together)."""
    connection.execute(f"DELETE FROM {BUILDS} WHERE relation = ?", [relation])
    connection.execute(
        f"INSERT INTO {BUILDS} (relation, built_at, definition_hash, input_fingerprints) "
        "VALUES (?, current_timestamp, ?, ?)",
        [relation, state.definition_hash, json.dumps(state.inputs, sort_keys=True)],
    )


def built_version(connection: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    row = first_row(connection, f"SELECT version FROM {BUILDS} WHERE relation = ?", [relation])
    return None if row is None else row[0]


def record_version(connection: duckdb.DuckDBPyConnection, relation: str, version: str,
                   content: str | None = None) -> None:
    """After a build of `relation` committed: the version it was built from and what it holds now (`content`,
    for a table). A crash before this only costs the next build a rebuild."""
    connection.execute(f"UPDATE {BUILDS} SET version = ?, content = ? WHERE relation = ?", [version, content, relation])


def built_content(connection: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    row = first_row(connection, f"SELECT content FROM {BUILDS} WHERE relation = ?", [relation])
    return None if row is None else row[0]


def input_versions(connection: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """The version of each input of the incremental model `relation` its stored fingerprints were taken at."""
    row = first_row(connection, f"SELECT input_versions FROM {BUILDS} WHERE relation = ?", [relation])
    return json.loads(row[0]) if row and row[0] else {}


def record_changes(connection: duckdb.DuckDBPyConnection, relation: str, versions: Mapping[str, str],
                   changed_from: str | None, changed_keys: str | None) -> None:
    """After `write_state`, in the build's transaction: the inputs' versions the fingerprints were taken at, and
    the keys this build rebuilt (`changed_keys`, a query of them) from the model's version `changed_from`; None
    for a full build, after which a consumer compares every key."""
    connection.execute(f"UPDATE {BUILDS} SET input_versions = ?, changed_from = ? WHERE relation = ?",
                       [json.dumps(dict(versions), sort_keys=True), changed_from if changed_keys else None, relation])
    if changed_keys is None:
        connection.execute(f"DROP TABLE IF EXISTS {_changes_table(relation, 'changed')}")
        connection.execute(f"DROP TABLE IF EXISTS {_changes_table(relation, 'removed')}")
    else:
        connection.execute(f"CREATE OR REPLACE TABLE {_changes_table(relation, 'changed')} AS {changed_keys}")


def keep_removed_rows(connection: duckdb.DuckDBPyConnection, relation: str, where: str) -> None:
    """Before an incremental build deletes the rows `where` names: keep them, so that a consumer keyed on another
    column finds the keys those rows had."""
    connection.execute(f"CREATE OR REPLACE TABLE {_changes_table(relation, 'removed')} AS "
                       f"SELECT * FROM {relation} WHERE {where}")


def changes_since(connection: duckdb.DuckDBPyConnection, relation: str, version: str) -> tuple[str, str] | None:
    """The tables of the keys the incremental model `relation` rebuilt and of the rows it took out, when its last
    build went from `version` to the one it has now; else None."""
    row = first_row(connection, f"SELECT changed_from FROM {BUILDS} WHERE relation = ?", [relation])
    if not row or row[0] != version:
        return None
    return _changes_table(relation, "changed"), _changes_table(relation, "removed")


def _changes_table(relation: str, what: str) -> str:
    return f'{STATE_SCHEMA}."{relation.replace(chr(34), "")}:{what}"'


def key_fingerprints_name(relation: str, input_relation: str) -> str:
    """The table (in `STATE_SCHEMA`) keeping the key fingerprints of `input_relation` for the model `relation`."""
    return f"{relation}:{input_relation}".replace('"', "")


def key_fingerprints_table(relation: str, input_relation: str) -> str:
    return f'{STATE_SCHEMA}."{key_fingerprints_name(relation, input_relation)}"'


@dataclass(frozen=True)
class StoredCheck:
    """A check's result at its last run, and the version (`build.check_version`) it ran on."""

    version: str
    passed: bool
    failing_rows: int
    sample: list[dict[str, Any]]


def stored_checks(connection: duckdb.DuckDBPyConnection, relation: str) -> dict[str, StoredCheck]:
    """The stored result of each check of the model `relation`, by check name."""
    rows = connection.execute(f"SELECT name, version, passed, failing_rows, sample FROM {CHECKS} WHERE relation = ?",
                              [relation]).fetchall()
    return {name: StoredCheck(version, passed, failing_rows, json.loads(sample or "[]"))
            for name, version, passed, failing_rows, sample in rows}


def store_checks(connection: duckdb.DuckDBPyConnection, relation: str, checks: Mapping[str, StoredCheck]) -> None:
    """Replace the stored checks of `relation` by `checks` (a check left out is run again next time)."""
    with transaction(connection):
        connection.execute(f"DELETE FROM {CHECKS} WHERE relation = ?", [relation])
        if checks:
            connection.executemany(
                f"INSERT INTO {CHECKS} VALUES (?, ?, ?, ?, ?, ?)",
                [[relation, name, c.version, c.passed, c.failing_rows, json.dumps(c.sample)] for name, c in checks.items()],
            )
