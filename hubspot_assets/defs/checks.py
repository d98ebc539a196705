"""Asset checks on the `hubspot_raw` tables, evaluated on the read-only snapshot right after the load that wrote
them (or alone, from the UI's "Execute checks"):

- `no_duplicate_keys` (every table with a key): no two rows share the table's primary key (from the dlt resource).
- `live_rows_match_hubspot` (record tables): rows not archived equal HubSpot's own total, one search with
  `limit` 1 per type (`POST /crm/v3/objects/{type}/search`; search never counts archived records). A warning,
  not an error: search's index lags writes by seconds to minutes, and records archived or deleted in HubSpot stay
  live here until the next `reconcile` run.
- `no_links_to_missing_records` (associations): every `from_id` / `to_id` of a loaded type names a row of that
  type's table. A warning: a link read just before its record was created is completed by the next run.
- `no_participants_of_missing_messages` (message_participants): every `message_id` names a row of `messages`.

Each result names the table, the number of offending rows and a sample of their keys. A table the run skipped,
or that no run has written yet, gets no result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import dagster as dg

from hubspot_assets.defs.metadata import is_record_table
from hubspot_assets.defs.snapshot import SAMPLE_SIZE, Offenders, Snapshot, open_snapshot
from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.settings import Settings
from hubspot_assets.sources import custom_table_name
from hubspot_assets.sources.settings import (
    CUSTOM_OBJECTS_RESOURCE,
    DATASET_NAME,
    STANDARD_OBJECTS,
    TABLE_ASSOCIATIONS,
    TABLE_MESSAGE_PARTICIPANTS,
    TABLE_MESSAGES,
)

NO_DUPLICATE_KEYS = "no_duplicate_keys"
LIVE_ROWS_MATCH_HUBSPOT = "live_rows_match_hubspot"
NO_LINKS_TO_MISSING_RECORDS = "no_links_to_missing_records"
NO_PARTICIPANTS_OF_MISSING_MESSAGES = "no_participants_of_missing_messages"

SEARCH_LAG_NOTE = (
    "HubSpot's search index lags writes by seconds to minutes, and records archived or deleted in HubSpot since the "
    "last `reconcile` run are still live here: a small difference right after changes in HubSpot clears on the "
    "next runs"
)


def _key(table: str) -> dg.AssetKey:
    return dg.AssetKey([DATASET_NAME, table])


def check_specs(primary_keys: Mapping[str, Sequence[str]]) -> list[dg.AssetCheckSpec]:
    """The checks of each table (`primary_keys`: table -> its key columns, for every asset of the source)."""
    specs = []
    for table, key in primary_keys.items():
        if table == CUSTOM_OBJECTS_RESOURCE:  # writes no table of its own
            continue
        if key:
            specs.append(dg.AssetCheckSpec(
                NO_DUPLICATE_KEYS, asset=_key(table),
                description=f"No two rows share the key ({', '.join(key)}).",
            ))
        if is_record_table(table):
            specs.append(dg.AssetCheckSpec(
                LIVE_ROWS_MATCH_HUBSPOT, asset=_key(table),
                description="Rows not archived = HubSpot's own total of live records (one search per type).",
            ))
    if TABLE_ASSOCIATIONS in primary_keys:
        specs.append(dg.AssetCheckSpec(
            NO_LINKS_TO_MISSING_RECORDS, asset=_key(TABLE_ASSOCIATIONS),
            description="Every from_id / to_id of a loaded object type names a row of that type's table.",
        ))
    if TABLE_MESSAGE_PARTICIPANTS in primary_keys:
        specs.append(dg.AssetCheckSpec(
            NO_PARTICIPANTS_OF_MISSING_MESSAGES, asset=_key(TABLE_MESSAGE_PARTICIPANTS),
            description="Every message_id names a row of messages.",
        ))
    return specs


def _result(
    key: dg.AssetCheckKey, offenders: Offenders, *, severity: dg.AssetCheckSeverity, what: str,
    **metadata: Any,
) -> dg.AssetCheckResult:
    table = key.asset_key.path[-1]
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=offenders.count == 0,
        severity=severity,
        description=f"{offenders.count} {what} in {DATASET_NAME}.{table}" if offenders.count else None,
        metadata={
            "table": f"{DATASET_NAME}.{table}",
            "offending_rows": dg.MetadataValue.int(offenders.count),
            "sample": dg.MetadataValue.json(offenders.sample),
            **metadata,
        },
    )


def _missing_links(snapshot: Snapshot, key: dg.AssetCheckKey) -> dg.AssetCheckResult:
    """Associations whose record is missing, over the object types whose table the warehouse holds."""
    count, sample, by_type, checked = 0, [], {}, set()
    for side in ("from", "to"):
        for object_type in snapshot.link_types(TABLE_ASSOCIATIONS, side):
            table = object_type if object_type in STANDARD_OBJECTS else custom_table_name(object_type)
            if table not in snapshot.tables:
                continue  # a type this warehouse does not load (HUBSPOT_OBJECTS)
            checked.add(object_type)
            found = snapshot.missing_targets(TABLE_ASSOCIATIONS, side, object_type, table)
            if found.count:
                by_type[f"{side} {object_type}"] = found.count
                count += found.count
                sample.extend(found.sample)
    return _result(
        key, Offenders(count, sample[:SAMPLE_SIZE]), severity=dg.AssetCheckSeverity.WARN,
        what="association rows point at records missing from their table",
        missing_by_side_and_type=dg.MetadataValue.json(by_type),
        object_types_checked=dg.MetadataValue.json(sorted(checked)),
    )


def _live_rows(
    snapshot: Snapshot, key: dg.AssetCheckKey, hubspot_total: Callable[[str], int]
) -> dg.AssetCheckResult:
    table = key.asset_key.path[-1]
    live = snapshot.live_row_count(table)
    try:
        total = hubspot_total(table)
    except Exception as error:  # the load succeeded: say what HubSpot answered instead of failing the run
        return dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name, passed=False, severity=dg.AssetCheckSeverity.WARN,
            description=f"could not read HubSpot's total for {table}: {error}",
            metadata={"table": f"{DATASET_NAME}.{table}", "warehouse_live_rows": dg.MetadataValue.int(live)},
        )
    difference = live - total
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=difference == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{DATASET_NAME}.{table} holds {live} live rows, HubSpot counts {total} ({difference:+d}); "
            f"{SEARCH_LAG_NOTE}" if difference else None
        ),
        metadata={
            "table": f"{DATASET_NAME}.{table}",
            "warehouse_live_rows": dg.MetadataValue.int(live),
            "hubspot_total": dg.MetadataValue.int(total),
            "difference": dg.MetadataValue.int(difference),
        },
    )


class HubSpotTotals:
    """HubSpot's total of live records per table, one search each (`limit` 1), asked only when a check needs it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Any = None
        self._type_ids: dict[str, str] | None = None

    def _path_of(self, table: str) -> str:
        if table in STANDARD_OBJECTS:
            return table
        if self._type_ids is None:  # custom objects are searched by their objectTypeId (GET /crm/v3/schemas)
            self._type_ids = {custom_table_name(s["name"]): s["objectTypeId"] for s in self._connect().schemas()}
        if table not in self._type_ids:
            raise LookupError(f"HubSpot has no custom object stored as {table} (GET /crm/v3/schemas)")
        return self._type_ids[table]

    def _connect(self) -> Any:
        if self._client is None:
            self._client = HubSpotClient.from_settings(self._settings)
        return self._client

    def __call__(self, table: str) -> int:
        path = self._path_of(table)
        _, total, _ = self._connect().search_page(path, {"limit": 1})
        if total is None:
            raise ValueError(f"HubSpot's answer to POST /crm/v3/objects/{path}/search carried no total")
        return int(total)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def evaluate_checks(
    selected: Iterable[dg.AssetCheckKey],
    *,
    settings: Settings,
    snapshot_path: Any,
    primary_keys: Mapping[str, Sequence[str]],
    skipped: Iterable[str] = (),
) -> Iterator[dg.AssetCheckResult]:
    """Results of the `selected` checks, on the snapshot at `snapshot_path`; none for the tables in `skipped` (this
    run wrote no table for them) or absent from the snapshot (never written). Before any snapshot exists every
    check fails saying to materialize first."""
    skip = set(skipped)
    wanted = sorted((k for k in selected if k.asset_key.path[-1] not in skip), key=lambda k: k.to_user_string())
    if not wanted:
        return
    try:
        with open_snapshot(snapshot_path, memory_limit=settings.warehouse_memory_limit) as snapshot:
            totals = HubSpotTotals(settings)
            try:
                for key in wanted:
                    if key.asset_key.path[-1] in snapshot.tables:  # no table yet (never written): nothing to check
                        yield _evaluate(key, snapshot, primary_keys, totals)
            finally:
                totals.close()
    except FileNotFoundError as error:
        for key in wanted:
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=False, description=str(error)
            )


def _evaluate(
    key: dg.AssetCheckKey, snapshot: Snapshot, primary_keys: Mapping[str, Sequence[str]], totals: HubSpotTotals
) -> dg.AssetCheckResult:
    table = key.asset_key.path[-1]
    if key.name == NO_DUPLICATE_KEYS:
        found = snapshot.duplicate_keys(table, primary_keys[table])
        return _result(key, found, severity=dg.AssetCheckSeverity.ERROR, what="key values are held by several rows",
                       key_columns=dg.MetadataValue.json(list(primary_keys[table])))
    if key.name == LIVE_ROWS_MATCH_HUBSPOT:
        return _live_rows(snapshot, key, totals)
    if key.name == NO_LINKS_TO_MISSING_RECORDS:
        return _missing_links(snapshot, key)
    if key.name == NO_PARTICIPANTS_OF_MISSING_MESSAGES:
        if TABLE_MESSAGES not in snapshot.tables:
            found = Offenders(snapshot.row_count(table), [])
        else:
            found = snapshot.rows_without_parent(table, "message_id", TABLE_MESSAGES)
        return _result(key, found, severity=dg.AssetCheckSeverity.ERROR, what="participants name a missing message")
    raise ValueError(f"unknown check {key.to_user_string()}")
