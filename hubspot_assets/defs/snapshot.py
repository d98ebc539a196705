"""Read-only queries on the published snapshot (the copy of the warehouse analysts query, `HUBSPOT_SNAPSHOT_PATH`),
for the materializations' metadata and the asset checks. Reading the snapshot takes no lock and never waits for a
writer; it holds what the last successful run committed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from hubspot_assets.sources.settings import DATASET_NAME, TABLE_PROPERTIES

SAMPLE_SIZE = 10


@dataclass(frozen=True)
class PropertyText:
    label: str | None
    description: str | None


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class Offenders:
    """Rows that break a rule: how many, and the keys of a few of them."""

    count: int
    sample: list[dict[str, Any]]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table(name: str) -> str:
    return f"{DATASET_NAME}.{_quoted(name)}"


class Snapshot:
    """One read-only connection to the snapshot; use `open_snapshot(path)`."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [DATASET_NAME]
        ).fetchall()
        self.tables: frozenset[str] = frozenset(r[0] for r in rows)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._connection.execute(sql, list(params)).fetchall()

    def columns(self, table: str) -> list[Column]:
        """The table's columns as the warehouse types them, in table order."""
        rows = self._rows(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [DATASET_NAME, table],
        )
        return [Column(name, data_type, nullable == "YES") for name, data_type, nullable in rows]

    def row_count(self, table: str) -> int:
        return int(self._rows(f"SELECT count(*) FROM {_table(table)}")[0][0])

    def live_row_count(self, table: str) -> int:
        """Rows of a record table that are not archived (what HubSpot's search counts)."""
        return int(self._rows(f"SELECT count(*) FROM {_table(table)} WHERE archived IS NOT TRUE")[0][0])

    def property_texts(self) -> dict[str, dict[str, PropertyText]]:
        """object type -> property name -> label and description, from `hubspot_raw.properties` ({} before it is
        loaded)."""
        if TABLE_PROPERTIES not in self.tables:
            return {}
        texts: dict[str, dict[str, PropertyText]] = {}
        for object_type, name, label, description in self._rows(
            f"SELECT object_type, name, label, description FROM {_table(TABLE_PROPERTIES)}"
        ):
            texts.setdefault(object_type, {})[name] = PropertyText(label or None, description or None)
        return texts

    def duplicate_keys(self, table: str, key: Sequence[str]) -> Offenders:
        """Key values held by more than one row of `table`."""
        columns = ", ".join(_quoted(c) for c in key)
        grouped = (
            f"SELECT {columns}, count(*) AS rows_with_key FROM {_table(table)} GROUP BY {columns} HAVING count(*) > 1"
        )
        count = int(self._rows(f"SELECT count(*) FROM ({grouped})")[0][0])
        sample = self._sample(f"{grouped} ORDER BY {columns} LIMIT {SAMPLE_SIZE}") if count else []
        return Offenders(count, sample)

    def missing_targets(self, links: str, side: str, object_type: str, table: str) -> Offenders:
        """Rows of the associations table `links` whose `<side>_id` (side: from/to) of type `object_type` has no
        row in `table`."""
        where = (
            f"a.{side}_object_type = ? AND NOT EXISTS "
            f"(SELECT 1 FROM {_table(table)} r WHERE r.id = a.{side}_id)"
        )
        source = f"FROM {_table(links)} a WHERE {where}"
        count = int(self._rows(f"SELECT count(*) {source}", [object_type])[0][0])
        sample = []
        if count:
            sample = self._sample(
                f"SELECT from_object_type, from_id, to_object_type, to_id, type_id {source} "
                f"ORDER BY from_id, to_id LIMIT {SAMPLE_SIZE}",
                [object_type],
            )
        return Offenders(count, sample)

    def link_types(self, links: str, side: str) -> list[str]:
        return [r[0] for r in self._rows(f"SELECT DISTINCT {side}_object_type FROM {_table(links)} ORDER BY 1")]

    def rows_without_parent(self, table: str, column: str, parent: str) -> Offenders:
        """Rows of `table` whose `column` names no `id` of `parent`."""
        source = (
            f"FROM {_table(table)} c WHERE NOT EXISTS "
            f"(SELECT 1 FROM {_table(parent)} p WHERE p.id = c.{_quoted(column)})"
        )
        count = int(self._rows(f"SELECT count(*) {source}")[0][0])
        sample = []
        if count:
            sample = self._sample(
                f"SELECT DISTINCT c.{_quoted(column)} {source} ORDER BY 1 LIMIT {SAMPLE_SIZE}"
            )
        return Offenders(count, sample)

    def _sample(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._connection.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    """A value JSON metadata can hold (ids as they are, anything else as text)."""
    return value if value is None or isinstance(value, (int, float, str, bool)) else str(value)


@contextmanager
def open_snapshot(path: Path, *, memory_limit: str | None = None) -> Iterator[Snapshot]:
    """The snapshot at `path`, read-only, within `memory_limit` (HUBSPOT_WAREHOUSE_MEMORY_LIMIT: DuckDB would
    otherwise take up to 80% of the machine for a large grouping, and spills to disk past the limit). Raises
    FileNotFoundError before the first successful run."""
    if not path.exists():
        raise FileNotFoundError(f"no snapshot at {path} yet: materialize the hubspot_raw assets first")
    config = {"memory_limit": memory_limit} if memory_limit else {}
    with duckdb.connect(str(path), read_only=True, config=config) as connection:
        yield Snapshot(connection)
