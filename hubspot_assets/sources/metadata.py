"""Metadata: property definitions and their options, owners, pipelines and their stages.

Small complete snapshots. Property definitions, options and pipelines are kept per object type (merged with the
object type as merge key: a run narrowed to some types replaces their rows and leaves the others' alone); owners are
replaced whole.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlt.sources import DltResource

from hubspot_assets.sources.extraction import Extraction, metered_resource
from hubspot_assets.sources.rows import owner_row, pipeline_rows, property_rows
from hubspot_assets.sources.settings import (
    MERGE,
    TABLE_OWNERS,
    TABLE_PIPELINE_STAGES,
    TABLE_PIPELINES,
    TABLE_PROPERTIES,
    TABLE_PROPERTY_OPTIONS,
    WHOLE_LIST,
)

NOT_NARROWED = "not in HUBSPOT_OBJECTS (or --objects){hint}"
PARTIAL_REFRESH = "not read by a partial refresh, which reads only the records it names"
PER_OBJECT_TYPE = {"write_disposition": MERGE, "merge_key": "object_type"}


def metadata_resources(run: Extraction | None) -> list[DltResource]:
    return [
        metered_resource(
            run, _property_rows, name=TABLE_PROPERTIES, primary_key=("object_type", "name"), **PER_OBJECT_TYPE,
            columns={
                **{c: {"data_type": "text"} for c in ("label", "type", "field_type", "group_name", "description")},
                **{c: {"data_type": "bool"} for c in ("calculated", "hubspot_defined", "has_unique_value", "hidden")},
            },
        ),
        metered_resource(run, _option_rows, name=TABLE_PROPERTY_OPTIONS,
                         primary_key=("object_type", "property_name", "value"), **PER_OBJECT_TYPE),
        metered_resource(run, _owner_rows, name=TABLE_OWNERS, **WHOLE_LIST),
        metered_resource(run, _pipeline_rows, name=TABLE_PIPELINES, primary_key=("object_type", "id"),
                         **PER_OBJECT_TYPE),
        metered_resource(run, _stage_rows, name=TABLE_PIPELINE_STAGES,
                         primary_key=("object_type", "pipeline_id", "id"), **PER_OBJECT_TYPE),
    ]


def _property_rows(run: Extraction) -> Iterator[list[dict]]:
    # A partial refresh needs the definitions of the types it reads anyway (their column layout), and only those.
    for object_type in run.types_read:
        yield [property_rows(object_type, p)[0] for p in run.properties(object_type)]


def _option_rows(run: Extraction) -> Iterator[list[dict]]:
    for object_type in run.types_read:
        rows = [option for p in run.properties(object_type) for option in property_rows(object_type, p)[1]]
        if rows:
            yield rows


def _owner_rows(run: Extraction) -> Iterator[list[dict]]:
    if run.refresh is not None:
        run.skip(TABLE_OWNERS, PARTIAL_REFRESH)
        return
    if not run.reads_area(run.catalog.owners):
        run.skip(TABLE_OWNERS, NOT_NARROWED.format(hint=": add `owners` to load them"))
        return
    rows = [owner_row(o) | {"archived": archived} for archived in (False, True)
            for o in run.client.owners(archived=archived)]
    yield run.whole_list(TABLE_OWNERS, rows)


def _pipeline_rows(run: Extraction) -> Iterator[list[dict]]:
    for object_type, pipelines in _pipelines(run, TABLE_PIPELINES):
        yield [pipeline_rows(object_type, p)[0] for p in pipelines]


def _stage_rows(run: Extraction) -> Iterator[list[dict]]:
    for object_type, pipelines in _pipelines(run, TABLE_PIPELINE_STAGES):
        yield [stage for p in pipelines for stage in pipeline_rows(object_type, p)[1]]


def _pipelines(run: Extraction, table: str) -> Iterator[tuple[str, list[dict]]]:
    """(object type, its pipelines) of the loaded types that have pipelines, read once for both tables."""
    if run.refresh is not None:
        run.skip(table, PARTIAL_REFRESH)
        return
    if not run.catalog.pipeline_objects:
        run.skip(table, "deals and tickets are " + NOT_NARROWED.format(hint=""))
    for object_type in run.catalog.pipeline_objects:
        yield object_type, run.pipelines(object_type)
