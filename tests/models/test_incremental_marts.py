"""The project's incremental models (customers, interactions, ...) after sandbox changes and an incremental sync:
an incremental build rebuilds only the keys whose inputs changed, and equals a full rebuild of the same model, row
for row."""

from __future__ import annotations

from collections import Counter

import duckdb

from hubspot_assets.models.project import load_project
from hubspot_assets.models.runner import run_models
from hubspot_assets.sources.pipeline import run_sync
from tests.sources.sandbox_warehouse import query, settings_for

# What webhooks bring all day: every incremental model rebuilds only the keys they touch.
EVERYDAY_CHANGES = {"updates": 30, "associations": 10, "messages": 6}
# Changes to which records are live: a model may rebuild in full when an input it does not key changes (a merge,
# a company created), and so may the incremental models reading it; all equal a full rebuild.
LIVENESS_CHANGES = {"updates": 10, "creates": 10, "archives": 4, "merges": 2, "associations": 4, "messages": 2}
# the incremental models keying every input, so that even those changes rebuild only the keys they touch
KEYS_EVERY_INPUT = {"hubspot_staging.stg_associations", "hubspot_staging.int_interaction_events"}


def _rows(settings, relation: str) -> Counter:
    with duckdb.connect(str(settings.absolute(settings.warehouse_path)), read_only=True) as connection:
        # repr: rows hold lists (merged ids), which are not hashable
        return Counter(repr(row) for row in connection.execute(f"SELECT * FROM {relation}").fetchall())


def _relink(settings) -> None:
    """Links as a reconcile rewrites them (an incremental sync reads none that HubSpot changed alone, as no
    record's updated_at moves): one contact's company links gone, another's labels changed, a self-link added."""
    with duckdb.connect(str(settings.absolute(settings.warehouse_path))) as connection:
        connection.execute("""
            DELETE FROM hubspot_raw.associations WHERE from_object_type = 'contacts' AND to_object_type = 'companies'
              AND from_id = (SELECT min(from_id) FROM hubspot_raw.associations WHERE from_object_type = 'contacts'
                             AND to_object_type = 'companies')""")
        connection.execute("""
            UPDATE hubspot_raw.associations SET label = 'Billing contact' WHERE from_object_type = 'contacts'
              AND from_id = (SELECT max(from_id) FROM hubspot_raw.associations WHERE from_object_type = 'contacts')""")
        connection.execute("""
            INSERT INTO hubspot_raw.associations BY NAME
            SELECT from_object_type, from_id, from_object_type AS to_object_type, from_id AS to_id, type_id,
                   category, label, _hubspot_deleted
            FROM hubspot_raw.associations WHERE from_object_type = 'deals' LIMIT 1""")


def _assert_incremental_equals_full(settings, incremental: set[str], *, incremental_mode: set[str]) -> None:
    """Build the models after a sync; those of `incremental_mode` must rebuild some of their keys only; then every
    incremental model must equal its full rebuild, row for row."""
    built = {r.model.relation: r for r in run_models(settings)}
    assert all(result.ok for result in built.values()), [(r, b.error) for r, b in built.items() if not b.ok]
    for relation in incremental_mode:
        result = built[relation]
        assert result.mode == "incremental", (relation, result.mode, result.error)
        assert 0 < result.changed_keys < result.rows, (relation, result.changed_keys, result.rows)
    after_incremental = {relation: _rows(settings, relation) for relation in incremental}
    rebuilt = {r.model.relation: r for r in run_models(settings, select=",".join(incremental), full_refresh=True)}
    for relation in incremental:
        assert rebuilt[relation].mode == "full"
        assert _rows(settings, relation) == after_incremental[relation], relation


def test_incremental_models_after_sandbox_changes_equal_a_full_rebuild(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path)
    run_sync(settings, mode="full", snapshot=False)
    assert all(result.ok for result in run_models(settings))
    incremental = {m.relation for m in load_project().models.values() if m.materialized == "incremental"}
    assert KEYS_EVERY_INPUT | {"hubspot.customers", "hubspot.interactions", "hubspot_staging.int_interactions",
                               "hubspot_staging.int_interaction_contacts"} <= incremental

    server.admin("mutate", json={"random": EVERYDAY_CHANGES, "seed": 20})
    run_sync(settings, mode="incremental", snapshot=False)
    _relink(settings)
    _assert_incremental_equals_full(settings, incremental, incremental_mode=incremental)

    server.admin("mutate", json={"random": LIVENESS_CHANGES, "seed": 21})
    gone = query(settings, "SELECT id FROM hubspot_raw.contacts WHERE NOT archived ORDER BY id LIMIT 1")[0][0]
    server.admin("mutate", json={"operations": [{"op": "gdpr_delete", "objectType": "contacts", "id": str(gone)}]})
    run_sync(settings, mode="incremental", snapshot=False)
    _relink(settings)
    _assert_incremental_equals_full(settings, incremental, incremental_mode=KEYS_EVERY_INPUT)
