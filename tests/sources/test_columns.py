"""HubSpot property types become typed warehouse columns; odd values never fail a load."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pyarrow as pa

from hubspot_assets.sources.catalog import ObjectCatalog, parse_property_history
from hubspot_assets.sources.columns import RecordLayout, column_name
from hubspot_assets.sources.rows import association_table, history_rows, merge_rows

PROPS = [
    {"name": "email", "type": "string"},
    {"name": "amount", "type": "number"},
    {"name": "hs_object_id", "type": "number"},
    {"name": "closedate", "type": "datetime"},
    {"name": "birthday", "type": "date"},
    {"name": "is_vip", "type": "bool"},
    {"name": "colors", "type": "enumeration"},
    {"name": "archived", "type": "string"},
    {"name": "old", "type": "string", "archived": True},
]


def _record(i, **props):
    return {"id": str(i), "createdAt": "2025-01-02T03:04:05.678Z", "updatedAt": "2025-01-03T00:00:00Z",
            "archived": False, "properties": props}


def test_property_types_map_to_numbers_dates_timestamps_booleans_and_text():
    layout = RecordLayout.from_properties("contacts", PROPS)
    types = {f.name: f.type for f in layout.schema}
    assert types["email"] == pa.string() and types["colors"] == pa.string()
    assert types["amount"] == pa.float64() and types["hs_object_id"] == pa.int64()
    assert pa.types.is_timestamp(types["closedate"]) and types["closedate"].tz == "UTC"
    assert types["birthday"] == pa.date32() and types["is_vip"] == pa.bool_()
    assert "old" not in types, "archived property definitions are not columns"


def test_a_property_named_like_a_record_column_gets_a_prefix():
    assert column_name("archived") == "property_archived"
    assert column_name("email") == "email"
    layout = RecordLayout.from_properties("contacts", PROPS)
    assert "property_archived" in layout.schema.names and layout.schema.names.count("archived") == 1


def test_values_are_converted_and_empty_or_unreadable_values_become_null():
    layout = RecordLayout.from_properties("contacts", PROPS)
    table = layout.table([
        _record(1, email="a@b.c", amount="12.5", hs_object_id="1", closedate="2025-05-06T07:08:09.010Z",
                birthday="1990-12-31", is_vip="TRUE", colors="red;blue", archived="x"),
        _record(2, email="", amount="", closedate="1700000000000", birthday="2025-05-06T00:00:00Z", is_vip="false"),
        _record(3, amount="twelve", closedate="not a date"),
    ]).to_pylist()
    first, second, third = table
    assert first["id"] == 1 and first["email"] == "a@b.c" and first["amount"] == 12.5 and first["hs_object_id"] == 1
    assert first["closedate"] == datetime(2025, 5, 6, 7, 8, 9, 10000, tzinfo=timezone.utc)
    assert first["birthday"] == date(1990, 12, 31) and first["is_vip"] is True and first["colors"] == "red;blue"
    assert first["property_archived"] == "x"
    assert first["created_at"] == datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    assert second["email"] == "" and second["amount"] is None and second["is_vip"] is False
    assert second["closedate"] == datetime.fromtimestamp(1700000000, tz=timezone.utc)  # epoch milliseconds
    assert second["birthday"] == date(2025, 5, 6)
    assert third["amount"] is None and third["closedate"] is None and third["email"] is None


def test_non_string_values_take_the_forgiving_path():
    layout = RecordLayout.from_properties("contacts", PROPS)
    row = layout.table([_record(1, amount=3, is_vip=True, email=5)]).to_pylist()[0]
    assert row["amount"] == 3.0 and row["is_vip"] is True and row["email"] == "5"


def test_association_table_adds_delete_markers_for_ids_without_links():
    links = [(1, 10, 1, "HUBSPOT_DEFINED", "Primary"), (1, 10, 1, "HUBSPOT_DEFINED", "Primary"),
             (1, 10, 28, "USER_DEFINED", "Billing")]
    rows = association_table("contacts", "companies", links, [1, 2]).to_pylist()
    live = [r for r in rows if not r["_hubspot_deleted"]]
    assert len(live) == 2, "one row per link and type, duplicates dropped"
    assert [(r["from_id"], r["_hubspot_deleted"]) for r in rows if r["_hubspot_deleted"]] == [(2, True)]


def test_history_rows_have_a_stable_id_so_reloads_do_not_duplicate():
    record = {"id": "7", "propertiesWithHistory": {"email": [
        {"value": "a@b", "timestamp": "2025-01-01T00:00:00Z", "sourceType": "CRM_UI"},
        {"value": "c@d", "timestamp": "2025-02-01T00:00:00Z", "sourceType": "API"}]}}
    first = list(history_rows("contacts", record))
    again = list(history_rows("contacts", record))
    assert len({r["history_id"] for r in first}) == 2
    assert [r["history_id"] for r in first] == [r["history_id"] for r in again]


def test_merge_rows_list_every_merged_id_with_its_survivor():
    assert merge_rows("contacts", "5", "12;34") == [
        {"object_type": "contacts", "merged_id": 12, "survivor_id": 5},
        {"object_type": "contacts", "merged_id": 34, "survivor_id": 5},
    ]
    assert merge_rows("contacts", "5", None) == []


def test_association_plan_reads_each_pair_once():
    plan = ObjectCatalog(standard=("contacts", "companies", "deals", "calls", "line_items"),
                         custom={"pets": "2-1"}).association_plan()
    pairs = {(a, b) for a, targets in plan.items() for b in targets}
    assert ("contacts", "companies") in pairs and ("companies", "contacts") not in pairs
    assert ("calls", "contacts") in pairs and ("pets", "contacts") in pairs and ("line_items", "deals") in pairs


def test_property_history_setting_is_parsed():
    assert parse_property_history("contacts:email, lifecyclestage; deals:dealstage") == {
        "contacts": ("email", "lifecyclestage"), "deals": ("dealstage",)}
    assert parse_property_history("") == {}
