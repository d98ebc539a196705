"""Whether a model's inputs changed since its last build: the version of every relation a build reads.

The version of a relation is what it holds: a raw table's is its row count and the XOR of its rows' hashes; for
CRM record tables, whose hundreds of property columns all move `updated_at`, only `(id, updated_at, archived)` is
hashed, so a wide table costs a scan of three columns. dlt's own columns (`_dlt_load_id`, `_dlt_id`) are left out
unless a model or test reads them: a sync that writes a row again as it was (metadata tables are replaced on every
run) gives it new ones, and no model would build anything else from it. A table or incremental model's version is
the count and XOR of its rows' hashes as its last build left them (`content`: scanned after a table's build,
carried forward by an incremental build from the rows it replaced), so a model rebuilt into the same rows leaves
everything downstream as it was. A view's is the hash of its definition and its inputs' versions.

A table or incremental model is up to date, and not rebuilt, when the hash of its definition and of its inputs'
versions (`wanted`) equals the one stored at its last build.
"""

from __future__ import annotations

import hashlib
import uuid

import duckdb

from hubspot_assets.models.data_tests import quote
from hubspot_assets.models.materialize import first_row
from hubspot_assets.models.project import ModelProject
from hubspot_assets.models.state import built_content

RECORD_VERSION_COLUMNS = ("id", "updated_at", "archived")
DLT_COLUMNS_PREFIX = "_dlt_"
MISSING = "missing"


class Versions:
    """The versions of the relations of one build, each computed once."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, project: ModelProject, present: set[str]) -> None:
        self.connection = connection
        self.project = project
        self.present = present
        self._known: dict[str, str] = {}
        self.dlt_columns_read = any(DLT_COLUMNS_PREFIX in text for m in project.models.values()
                                    for text in (m.sql, *(t.sql for t in m.all_tests)))

    def of(self, relation: str) -> str:
        """The version of what `relation` holds now (a model's: once built in this build, if it is)."""
        model = self.project.by_relation.get(relation)
        if model is not None and model.materialized != "view":
            # read each time: the model may be built after the first ask; unknown (never built, or a build that
            # stopped before recording it) is a version no stored one equals
            return built_content(self.connection, relation) or f"{MISSING}:{uuid.uuid4().hex}"
        if relation not in self._known:
            self._known[relation] = self._raw(relation) if model is None else self.wanted(relation)
        return self._known[relation]

    def wanted(self, relation: str) -> str:
        """The hash of the definition of the model `relation` and of its inputs' versions."""
        model = self.project.by_relation[relation]
        parts = [model.definition_hash, *(f"{r}={self.of(r)}" for r in sorted(model.inputs))]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]

    def _raw(self, relation: str) -> str:
        if relation not in self.present:
            return MISSING
        schema, table = relation.split(".", 1)
        columns = [row[0] for row in self.connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position", [schema, table]).fetchall()]
        if set(RECORD_VERSION_COLUMNS) <= set(columns):
            hashed = RECORD_VERSION_COLUMNS
        else:
            hashed = tuple(c for c in columns if self.dlt_columns_read or not c.startswith(DLT_COLUMNS_PREFIX)) or columns
        listed = ", ".join(f"_row.{quote(c)}" for c in hashed)
        count, xor = first_row(self.connection, f'SELECT count(*), bit_xor(hash({listed})) FROM {schema}."{table}" AS _row')
        return f"{count}:{xor or 0}"


def table_content(connection: duckdb.DuckDBPyConnection, relation: str, where: str | None = None) -> tuple[int, int]:
    """Row count and XOR of the rows' hashes of `relation` (of its rows matching `where`)."""
    count, xor = first_row(connection, f"SELECT count(*), bit_xor(hash(_row)) FROM {relation} AS _row"
                                       + (f" WHERE {where}" if where else ""))
    return int(count), int(xor or 0)


def content_version(count: int, xor: int) -> str:
    return f"{count}:{xor}"


def replaced_content(previous: str, removed: tuple[int, int], added: tuple[int, int]) -> str:
    """The content version of a table at `previous` once the rows `removed` gave way to the rows `added` (a
    hash XORed in twice is out again)."""
    count, xor = (int(part) for part in previous.split(":"))
    return content_version(count - removed[0] + added[0], xor ^ removed[1] ^ added[1])
