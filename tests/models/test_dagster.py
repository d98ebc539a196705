"""The models as Dagster assets: specs from the SQL and YAML, materializations with row counts and column schemas,
checks (blocking for severity error), subsets, and the automation that builds them after hubspot_raw changes."""

from __future__ import annotations

import dagster as dg
import pytest

from hubspot_assets.defs.models import AUTOMATION_SENSOR, MODELS_JOB, models_definitions
from hubspot_assets.defs.resources import WarehouseResource
from hubspot_assets.models.project import load_project
from tests.models.folders import LAYERED, raw_warehouse, write_models

CUSTOMERS = dg.AssetKey(["hubspot", "customers"])
STG_CONTACTS = dg.AssetKey(["hubspot_staging", "stg_contacts"])
COUNTS = dg.AssetKey(["hubspot", "lifecycle_counts"])


@pytest.fixture
def location(tmp_path):
    """The models' definitions for a small project, and the warehouse resource of a small warehouse."""
    warehouse = tmp_path / "warehouse.duckdb"
    raw_warehouse(warehouse).close()
    defs = models_definitions(load_project(write_models(tmp_path, LAYERED)))
    return defs, {"warehouse": WarehouseResource(warehouse_path=str(warehouse))}, warehouse


def _assets(defs) -> dg.AssetsDefinition:
    [assets] = defs.assets
    return assets


def test_each_model_is_an_asset_with_its_deps_group_description_sql_and_checks(location):
    assets = _assets(location[0])
    assert assets.op.name == "hubspot_models" and assets.op.pool == "hubspot_warehouse" and assets.can_subset
    specs = {spec.key: spec for spec in assets.specs}
    assert set(specs) == {STG_CONTACTS, CUSTOMERS, COUNTS}
    customers = specs[CUSTOMERS]
    assert {d.asset_key for d in customers.deps} == {dg.AssetKey(["hubspot_raw", "emails"]), STG_CONTACTS}
    assert {d.asset_key for d in specs[STG_CONTACTS].deps} == {dg.AssetKey(["hubspot_raw", "contacts"])}
    assert (customers.group_name, specs[STG_CONTACTS].group_name) == ("marts", "staging")
    assert customers.description == "One row per live contact." and customers.kinds == {"duckdb"}
    assert customers.metadata["dagster/table_name"] == "hubspot.customers"
    assert customers.metadata["sql"].value.startswith("```sql\nWITH sent AS")
    assert customers.metadata["path"].path == "dbt_like_models/marts/customers.sql"
    assert customers.automation_condition.get_label() == "eager"
    checks = {(c.asset_key, c.name): c for c in assets.check_specs}
    assert checks[(CUSTOMERS, "unique_customer_id")].blocking
    assert set(checks) == {(CUSTOMERS, "unique_customer_id"), (CUSTOMERS, "not_null_customer_id"),
                           (CUSTOMERS, "accepted_values_lifecycle_stage"), (COUNTS, "unique_lifecycle_stage")}


def test_materializing_builds_every_model_with_row_counts_column_schemas_and_check_results(location):
    defs, resources, _ = location
    result = dg.materialize([_assets(defs)], resources=resources)
    assert result.success
    metadata = {m.asset_key: m.materialization.metadata for m in result.get_asset_materialization_events()}
    assert set(metadata) == {STG_CONTACTS, CUSTOMERS, COUNTS}
    assert metadata[CUSTOMERS]["dagster/row_count"].value == 4
    assert metadata[CUSTOMERS]["mode"].value == "full"
    columns = {c.name: c for c in metadata[CUSTOMERS]["dagster/column_schema"].schema.columns}
    assert (columns["emails"].type, columns["emails"].description) == ("BIGINT", "Emails sent to the customer.")
    checks = [e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert len(checks) == 4 and all(c.passed for c in checks)


def test_a_subset_builds_only_the_selected_model(location):
    defs, resources, _ = location
    assert dg.materialize([_assets(defs)], resources=resources).success
    result = dg.materialize([_assets(defs)], resources=resources, selection=[CUSTOMERS])
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [CUSTOMERS]
    assert result.get_asset_materialization_events()[0].materialization.metadata["mode"].value == "up to date"


def test_a_failed_blocking_check_fails_the_run_shows_the_sample_and_skips_downstream(location):
    defs, resources, warehouse = location
    import duckdb

    assert dg.materialize([_assets(defs)], resources=resources).success
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("INSERT INTO hubspot_raw.contacts VALUES (4, 'dup@x.com', 'lead', false)")
    result = dg.materialize([_assets(defs)], resources=resources, raise_on_error=False)
    assert not result.success
    materialized = {m.asset_key: m.materialization.metadata for m in result.get_asset_materialization_events()}
    assert set(materialized) == {STG_CONTACTS, CUSTOMERS}
    assert materialized[CUSTOMERS]["keys_rebuilt"].value == 1
    assert materialized[CUSTOMERS]["input_changes"].value == {"hubspot_staging.stg_contacts": "scan",
                                                               "hubspot_raw.emails": "same"}
    [failed] = [e.asset_check_evaluation_data for e in result.all_events
                if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed]
    assert (failed.check_name, failed.severity) == ("unique_customer_id", dg.AssetCheckSeverity.ERROR)
    assert failed.metadata["failing_rows"].value == 1
    assert failed.metadata["sample"].value == [{"value": 4, "n": 2}]
    assert failed.metadata["rows_of_changed_keys"].value == 1  # the incremental build rebuilt customer 4 only


def test_a_sql_error_fails_the_run_naming_the_file(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    raw_warehouse(warehouse).close()
    defs = models_definitions(load_project(write_models(tmp_path, {
        "staging/stg_bad.sql": "SELECT nothing FROM hubspot_raw.contacts",
        "staging/stg_ok.sql": "SELECT id FROM hubspot_raw.contacts"})))
    result = dg.materialize([_assets(defs)], resources={"warehouse": WarehouseResource(warehouse_path=str(warehouse))},
                            raise_on_error=False)
    assert not result.success
    assert [m.asset_key.path[-1] for m in result.get_asset_materialization_events()] == ["stg_ok"]
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "dbt_like_models/staging/stg_bad.sql: " in failure.step_failure_data.user_failure_data.description


def test_the_automation_sensor_runs_by_default_and_a_job_builds_every_model(location):
    defs = dg.Definitions.merge(location[0], dg.Definitions(resources=location[1]))
    sensor = defs.resolve_sensor_def(AUTOMATION_SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert {k for k in defs.resolve_job_def(MODELS_JOB).asset_layer.selected_asset_keys} == {
        STG_CONTACTS, CUSTOMERS, COUNTS}


def _requested(result, keys) -> set[dg.AssetKey]:
    return {key for key in keys if result.get_requested_partitions(key)}


def test_models_are_requested_after_the_raw_tables_they_read_are_materialized(location):
    defs = location[0]
    raw = [dg.AssetSpec(["hubspot_raw", name]) for name in ("contacts", "emails")]
    combined = dg.Definitions.merge(defs, dg.Definitions(assets=raw, resources={"warehouse": WarehouseResource()}))
    instance = dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=combined, instance=instance)
    assert first.total_requested == 0  # nothing loaded yet: nothing to build from
    instance.report_runless_asset_event(dg.AssetMaterialization(["hubspot_raw", "contacts"]))
    instance.report_runless_asset_event(dg.AssetMaterialization(["hubspot_raw", "emails"]))
    second = dg.evaluate_automation_conditions(defs=combined, instance=instance, cursor=first.cursor)
    assert _requested(second, [STG_CONTACTS, CUSTOMERS, COUNTS]) == {STG_CONTACTS, CUSTOMERS, COUNTS}


def test_a_missing_optional_input_does_not_hold_its_model_back(tmp_path):
    defs = models_definitions(load_project(write_models(tmp_path, {
        "staging/stg_history.sql": "SELECT h.* FROM hubspot_raw.property_history h JOIN hubspot_raw.contacts c "
                                   "ON c.id = h.object_id",
        "staging/schema.yml": "models:\n  - name: stg_history\n    config:\n      optional_inputs:\n"
                              "        hubspot_raw.property_history: 'object_id BIGINT'\n"})))
    raw = [dg.AssetSpec(["hubspot_raw", name]) for name in ("contacts", "property_history")]
    combined = dg.Definitions.merge(defs, dg.Definitions(assets=raw, resources={"warehouse": WarehouseResource()}))
    instance = dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=combined, instance=instance)
    instance.report_runless_asset_event(dg.AssetMaterialization(["hubspot_raw", "contacts"]))
    second = dg.evaluate_automation_conditions(defs=combined, instance=instance, cursor=first.cursor)
    history = dg.AssetKey(["hubspot_staging", "stg_history"])
    assert second.total_requested == 1 and _requested(second, [history]) == {history}


def test_an_empty_models_folder_defines_nothing(tmp_path):
    defs = models_definitions(load_project(write_models(tmp_path, {})))
    assert not list(defs.assets or [])
