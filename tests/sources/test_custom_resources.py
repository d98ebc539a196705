"""Custom objects are one dlt resource each (named after the table); the catch-all `custom_objects` loads the types
the source has no resource for; resources that reuse a type's records wait for the resource that reads it."""

from __future__ import annotations

from hubspot_assets.sources import custom_table_name, hubspot
from hubspot_assets.sources.catalog import ObjectCatalog
from hubspot_assets.sources.extraction import Extraction
from hubspot_assets.sources.pipeline import run_sync
from tests.sources.sandbox_warehouse import query, settings_for


def test_a_source_without_client_has_one_resource_per_known_custom_table_and_the_catch_all():
    names = list(hubspot(custom_tables=["pets", "vehicles", "contacts", "custom_objects"]).resources)
    assert {"pets", "vehicles", "custom_objects"} <= set(names)
    assert names.count("contacts") == 1 and names.count("custom_objects") == 1  # fixed names are not custom tables
    assert "pets" not in hubspot().resources  # nothing known: custom objects all go to the catch-all


def test_each_custom_type_is_read_by_its_own_resource_or_else_by_the_catch_all():
    catalog = ObjectCatalog(standard=("contacts",), custom={"pets": "2-1", "vehicles": "2-2", "owners": "2-3"})
    assert custom_table_name("owners") == "custom_owners"  # would collide with the owners table

    known = Extraction(None, catalog, mode="incremental", lookback_s=0)
    source = hubspot(extraction=known, custom_tables=["pets"])
    assert "pets" in source.resources and "vehicles" not in source.resources
    assert known.readers == {"pets": "pets", "vehicles": "custom_objects", "owners": "custom_objects"}

    discovered = Extraction(None, catalog, mode="incremental", lookback_s=0)
    source = hubspot(extraction=discovered)  # the CLI: every custom type of the catalog gets a resource
    assert {"pets", "vehicles", "custom_owners"} <= set(source.resources)
    assert discovered.readers == {"pets": "pets", "vehicles": "vehicles", "owners": "custom_owners"}


def test_a_custom_object_resource_loads_its_table_and_associations_reuse_its_records(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path, objects="contacts,pets")
    report = run_sync(settings, mode="incremental", resources=["pets", "associations"])
    tables = {r[0] for r in query(settings, "SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'hubspot_raw' AND table_name NOT LIKE '_dlt%'")}
    assert tables == {"pets", "associations"}
    assert report.rows_loaded("pets") == len(server.admin("truth/pets")["results"])
    assert report.api_calls["pets"] >= 2  # property definitions, then the records
    # pets -> contacts links of every pet in one batch read: the ids come from what the pets resource read.
    assert report.api_calls["associations"] == 1
    linked = query(settings, "SELECT count(*) FROM hubspot_raw.associations WHERE from_object_type = 'pets'")[0][0]
    assert linked > 0
