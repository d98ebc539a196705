"""Configuration through Dagster: the resources mirror the settings models (one place for defaults), the
definitions set each field with `dg.EnvVar` from its HUBSPOT_* variable, read by the run; a bad value fails the
run naming the variable; the location's own settings (crons, warehouse path) and the freshness policy."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from hubspot_assets.defs.freshness import longest_cron_gap
from hubspot_assets.defs.location import LocationSettings
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource, from_environment, run_settings
from hubspot_assets.hubspot.settings import ClientSettings
from hubspot_assets.settings import Settings
from tests.defs.dagster_runs import load_definitions


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """No HUBSPOT_* variable but a warehouse, state and token store under tmp_path."""
    import os

    for name in [n for n in os.environ if n.startswith("HUBSPOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUBSPOT_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HUBSPOT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HUBSPOT_TOKEN_STORE_PATH", str(tmp_path / "tokens.enc"))
    return monkeypatch


def test_the_resources_have_every_client_setting_and_their_defaults_are_the_models():
    assert set(ClientSettings.model_fields) <= set(HubSpotResource.model_fields)
    assert {"objects", "property_history", "lookback_s"} <= set(HubSpotResource.model_fields)
    # Resources left at their defaults build exactly the default Settings: no second copy of a default.
    assert run_settings(HubSpotResource(), WarehouseResource()) == Settings()
    described = {**HubSpotResource.model_fields, **WarehouseResource.model_fields}
    assert described["memory_limit"].description.endswith("(HUBSPOT_WAREHOUSE_MEMORY_LIMIT)")
    assert described["tier"].description == f"{ClientSettings.model_fields['tier'].description} (HUBSPOT_TIER)"
    # Numbers given in code are accepted for the settings that are text for Dagster (no float EnvVar exists).
    assert run_settings(HubSpotResource(read_timeout_s=5, rate_limit_margin=0.1), WarehouseResource()).read_timeout_s \
        == 5.0


def test_set_variables_become_env_vars_read_by_the_run_and_unset_or_empty_ones_keep_the_default(environment,
                                                                                                 tmp_path):
    environment.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-secret")
    environment.setenv("HUBSPOT_RETRY_MAX_ATTEMPTS", "3")
    environment.setenv("HUBSPOT_READ_TIMEOUT_S", "7.5")
    environment.setenv("HUBSPOT_WAREHOUSE_MEMORY_LIMIT", "1GB")
    environment.setenv("HUBSPOT_CLIENT_ID", "")  # an empty line of .env means "the default"

    fields = from_environment(HubSpotResource)
    assert isinstance(fields["access_token"], dg.EnvVar) and fields["access_token"].env_var_name == \
        "HUBSPOT_ACCESS_TOKEN"
    assert fields["retry_max_attempts"].env_var_name == "HUBSPOT_RETRY_MAX_ATTEMPTS"
    assert not isinstance(fields["retry_max_attempts"], str)  # EnvVar.int: Dagster reads it as an int
    assert "client_id" not in fields and "base_url" not in fields
    assert from_environment(WarehouseResource)["memory_limit"].env_var_name == "HUBSPOT_WAREHOUSE_MEMORY_LIMIT"

    definitions = load_definitions()
    seen: list[Settings] = []

    @dg.asset
    def probe(hubspot: HubSpotResource, warehouse: WarehouseResource) -> None:
        seen.append(run_settings(hubspot, warehouse))

    resources = {k: definitions.resources[k] for k in ("hubspot", "warehouse")}
    environment.setenv("HUBSPOT_RETRY_MAX_ATTEMPTS", "4")  # changed after the load: the run reads it, not the load
    assert dg.materialize([probe], resources=resources).success
    [settings] = seen
    assert settings.retry_max_attempts == 4 and settings.read_timeout_s == 7.5
    assert settings.access_token.get_secret_value() == "pat-na1-secret"
    assert settings.warehouse_memory_limit == "1GB" and settings.client_id is None
    assert settings.warehouse_path == tmp_path / "warehouse.duckdb"
    assert settings.base_url == ClientSettings.model_fields["base_url"].default  # unset: the default


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HUBSPOT_TIER", "enterprize", "HUBSPOT_TIER must be one of"),
        ("HUBSPOT_BASE_URL", "api.hubapi.com", "HUBSPOT_BASE_URL must start with http:// or https://"),
        ("HUBSPOT_READ_TIMEOUT_S", "soon", "HUBSPOT_READ_TIMEOUT_S: Input should be a valid number"),
    ],
)
def test_a_bad_value_fails_the_run_naming_its_variable_and_the_location_still_loads(environment, name, value,
                                                                                      message):
    environment.setenv(name, value)
    definitions = load_definitions()  # loads: the value is the run's business
    result = definitions.resolve_job_def("hubspot_incremental_sync").execute_in_process(raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.is_failure]
    assert any(message in str(e.event_specific_data.error) for e in failures if e.event_specific_data.error)
    assert not (Path(str(LocationSettings.from_environment().warehouse_path))).exists()


def test_an_int_variable_that_is_no_number_stops_the_run_at_launch_naming_it(environment):
    environment.setenv("HUBSPOT_LOOKBACK_S", "five")
    job = load_definitions().resolve_job_def("hubspot_incremental_sync")  # loads
    # Dagster checks an EnvVar.int when it resolves the run's config, before the run starts.
    with pytest.raises(dg.DagsterInvalidConfigError, match='env variable "HUBSPOT_LOOKBACK_S" cannot be coerced'):
        job.execute_in_process()


def test_a_secret_is_never_repeated_in_a_settings_error(environment):
    environment.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-secret")
    environment.setenv("HUBSPOT_CLIENT_SECRET", "")
    environment.setenv("HUBSPOT_TIER", "gold")
    result = load_definitions().resolve_job_def("hubspot_incremental_sync").execute_in_process(raise_on_error=False)
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = str(failure.step_failure_data.error)
    assert "HUBSPOT_TIER must be one of" in error
    assert not [e for e in result.all_events if "pat-na1-secret" in str(e)]


def test_location_settings_read_the_crons_and_warehouse_path_with_the_defaults_for_unset_or_empty(environment):
    environment.setenv("HUBSPOT_INCREMENTAL_CRON", "")
    environment.setenv("HUBSPOT_RECONCILE_CRON", "30 2 * * *")
    location = LocationSettings.from_environment()
    assert location.incremental_cron == Settings.model_fields["incremental_cron"].default
    assert location.reconcile_cron == "30 2 * * *"
    environment.setenv("HUBSPOT_RECONCILE_CRON", "every night")
    with pytest.raises(ValueError, match="HUBSPOT_RECONCILE_CRON must be a cron string"):
        LocationSettings.from_environment()


def test_the_freshness_policy_of_every_asset_follows_the_incremental_cron(environment):
    assert longest_cron_gap("*/15 * * * *") == timedelta(minutes=15)
    assert longest_cron_gap("0 3 * * *") == timedelta(days=1)
    assert longest_cron_gap("0 9 * * 1-5") == timedelta(days=3)  # Friday to Monday
    environment.setenv("HUBSPOT_INCREMENTAL_CRON", "*/30 * * * *")
    [assets] = [a for a in load_definitions().assets if getattr(a, "op", None) and a.op.name == "hubspot_raw_sync"]
    policies = {spec.freshness_policy for spec in assets.specs}
    [policy] = policies
    assert isinstance(policy, dg.FreshnessPolicy)
    assert policy.deadline_cron == "*/30 * * * *" and policy.lower_bound_delta == timedelta(minutes=30)
