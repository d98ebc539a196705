"""Metadata: property definitions and their options, owners, pipelines and their stages.

Small complete snapshots. Property definitions, options and pipelines are kept per object type (merged with the
object type as merge key: a run narrowed to some types replaces their rows and leaves the others' alone); owners are
replaced whole.
"""

from __future__ import annotations

from collections.abc import Iterator

import dlt
from dlt.sources import DltResource

from hubspot_assets.sources.extraction import Extraction
from hubspot_assets.sources.rows import owner_row, pipeline_rows, property_rows
from hubspot_assets.sources.settings import (
    MERGE,
    TABLE_OWNERS,
    TABLE_PIPELINE_STAGES,
    TABLE_PIPELINES,
    TABLE_PROPERTIES,
    TABLE_PROPERTY_OPTIONS,
)

NOT_NARROWED = "not in HUBSPOT_OBJECTS (or --objects){hint}"
PARTIAL_REFRESH = "not read by a partial refresh, which reads only the records it names"


def metadata_resources(run: Extraction | None) -> list[DltResource]:
    return [properties(run), property_options(run), owners(run), pipelines(run), pipeline_stages(run)]


def properties(run: Extraction | None) -> DltResource:
    @dlt.resource(
        name=TABLE_PROPERTIES,
        write_disposition=MERGE,
        primary_key=("object_type", "name"),
        merge_key="object_type",
        columns={
            **{c: {"data_type": "text"} for c in ("label", "type", "field_type", "group_name", "description")},
            **{c: {"data_type": "bool"} for c in ("calculated", "hubspot_defined", "has_unique_value", "hidden")},
        },
    )
    def properties() -> Iterator[list[dict]]:
        if run is not None:
            yield from run.metered(TABLE_PROPERTIES, _property_rows(run))

    return properties


def _property_rows(run: Extraction) -> Iterator[list[dict]]:
    # A partial refresh needs the definitions of the types it reads anyway (their column layout), and only those.
    for object_type in run.types_read:
        yield [property_rows(object_type, p)[0] for p in run.properties(object_type)]


def property_options(run: Extraction | None) -> DltResource:
    @dlt.resource(
        name=TABLE_PROPERTY_OPTIONS,
        write_disposition=MERGE,
        primary_key=("object_type", "property_name", "value"),
        merge_key="object_type",
    )
    def property_options() -> Iterator[list[dict]]:
        if run is not None:
            yield from run.metered(TABLE_PROPERTY_OPTIONS, _option_rows(run))

    return property_options


def _option_rows(run: Extraction) -> Iterator[list[dict]]:
    for object_type in run.types_read:
        rows = [option for p in run.properties(object_type) for option in property_rows(object_type, p)[1]]
        if rows:
            yield rows


def owners(run: Extraction | None) -> DltResource:
    @dlt.resource(name=TABLE_OWNERS, write_disposition="replace", primary_key="id")
    def owners() -> Iterator[list[dict]]:
        if run is not None:
            yield from run.metered(TABLE_OWNERS, _owner_rows(run))

    return owners


def _owner_rows(run: Extraction) -> Iterator[list[dict]]:
    if run.refresh is not None:
        run.skip(TABLE_OWNERS, PARTIAL_REFRESH)
        return
    if not run.reads_area(run.catalog.owners):
        run.skip(TABLE_OWNERS, NOT_NARROWED.format(hint=": add `owners` to load them"))
        return
    for archived in (False, True):
        rows = [owner_row(o) | {"archived": archived} for o in run.client.owners(archived=archived)]
        if rows:
            yield rows


def pipelines(run: Extraction | None) -> DltResource:
    @dlt.resource(name=TABLE_PIPELINES, write_disposition=MERGE, primary_key=("object_type", "id"),
                  merge_key="object_type")
    def pipelines() -> Iterator[list[dict]]:
        if run is not None:
            yield from run.metered(TABLE_PIPELINES, _pipeline_rows(run, stages=False))

    return pipelines


def pipeline_stages(run: Extraction | None) -> DltResource:
    @dlt.resource(name=TABLE_PIPELINE_STAGES, write_disposition=MERGE,
                  primary_key=("object_type", "pipeline_id", "id"), merge_key="object_type")
    def pipeline_stages() -> Iterator[list[dict]]:
        if run is not None:
            yield from run.metered(TABLE_PIPELINE_STAGES, _pipeline_rows(run, stages=True))

    return pipeline_stages


def _pipeline_rows(run: Extraction, *, stages: bool) -> Iterator[list[dict]]:
    table = TABLE_PIPELINE_STAGES if stages else TABLE_PIPELINES
    if run.refresh is not None:
        run.skip(table, PARTIAL_REFRESH)
        return
    if not run.catalog.pipeline_objects:
        run.skip(table, "deals and tickets are " + NOT_NARROWED.format(hint=""))
    for object_type in run.catalog.pipeline_objects:
        pairs = [pipeline_rows(object_type, p) for p in run.pipelines(object_type)]
        yield [stage for _, rows in pairs for stage in rows] if stages else [row for row, _ in pairs]
