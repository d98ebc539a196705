"""Whether a model's inputs changed since its last build: the version of every relation a build reads.

A raw table's version is its row count and the XOR of its rows' hashes; for CRM record tables, whose hundreds of
property columns all move `updated_at`, only `(id, updated_at, archived)` is hashed, so a wide table costs a scan of
three columns. dlt's own columns (`_dlt_load_id`, `_dlt_id`) are left out unless a model or test reads them: a sync
that writes a row again as it was (metadata tables are replaced on every run) gives it new ones, and no model would
build anything else from it. A model's version is the hash of its definition and of its inputs' versions, computed from them
without reading the model: a view or table whose definition and inputs are as they were holds what it held. A table
or incremental model whose version equals the one stored at its last build is up to date and is not rebuilt.
"""

from __future__ import annotations

import hashlib

import duckdb

from hubspot_assets.models.data_tests import quote
from hubspot_assets.models.materialize import first_row
from hubspot_assets.models.project import ModelProject
from hubspot_assets.models.state import built_version

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
        if relation not in self._known:
            model = self.project.by_relation.get(relation)
            if model is None:
                self._known[relation] = self._raw(relation)
            else:
                parts = [model.definition_hash, *(f"{r}={self.of(r)}" for r in sorted(model.inputs))]
                self._known[relation] = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
        return self._known[relation]

    def content(self, relation: str) -> str:
        """The version of what `relation` holds now, which `of` is only once it is built: a table or incremental
        model's is the version it was last built from (not rebuilt yet in this build, or failed, it holds an older
        one); a view's follows its inputs'."""
        model = self.project.by_relation.get(relation)
        if model is None:
            return self.of(relation)
        if model.materialized != "view":
            return built_version(self.connection, relation) or MISSING
        parts = [model.definition_hash, *(f"{r}={self.content(r)}" for r in sorted(model.inputs))]
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
