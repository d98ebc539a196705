"""Building models for real in a small DuckDB file: materializations, incremental builds equal to full ones, tests,
blocking, optional inputs, contracts, and the messages of a failing build."""

from __future__ import annotations

from typing import Literal

import duckdb
import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hubspot_assets.models.build import build_models
from hubspot_assets.models.contracts_check import contract_mismatches, validate_contract
from hubspot_assets.models.errors import ModelError
from hubspot_assets.models.lineage import content_version, table_content
from hubspot_assets.models.project import load_project
from hubspot_assets.models.state import STATE_SCHEMA, built_content
from tests.models.folders import LAYERED, raw_warehouse, rows, write_models


@pytest.fixture
def warehouse(tmp_path) -> duckdb.DuckDBPyConnection:
    connection = raw_warehouse(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


def _build(connection, folder, **options):
    return {r.model.name: r for r in build_models(connection, load_project(folder, connection), **options)}


def _relation_kinds(connection) -> dict[str, str]:
    return {f"{s}.{n}": t for s, n, t in rows(connection, "SELECT table_schema, table_name, table_type "
                                                          "FROM information_schema.tables")}


def test_views_tables_and_incremental_models_are_built_in_their_schemas(tmp_path, warehouse):
    results = _build(warehouse, write_models(tmp_path, LAYERED))
    assert {n: r.mode for n, r in results.items()} == {
        "stg_contacts": "view", "customers": "full", "lifecycle_counts": "table"}
    kinds = _relation_kinds(warehouse)
    assert kinds["hubspot_staging.stg_contacts"] == "VIEW"
    assert kinds["hubspot.customers"] == kinds["hubspot.lifecycle_counts"] == "BASE TABLE"
    assert not [name for name in kinds if name.endswith("__building")]
    assert rows(warehouse, "SELECT customer_id, emails FROM hubspot.customers ORDER BY 1") == [
        (1, 2), (2, 1), (3, 0), (4, 0)]  # contact 5 is archived
    assert results["customers"].rows == 4
    assert ("emails", "BIGINT") in results["customers"].columns
    assert all(c.passed for r in results.values() for c in r.checks)


def _mutate(connection) -> None:
    connection.execute("UPDATE hubspot_raw.contacts SET email = 'new@x.com', lifecyclestage = 'customer' WHERE id = 1")
    connection.execute("UPDATE hubspot_raw.contacts SET archived = true WHERE id = 2")  # archived: leaves the mart
    connection.execute("INSERT INTO hubspot_raw.contacts VALUES (6, 'f@x.com', 'lead', false)")
    connection.execute("INSERT INTO hubspot_raw.emails VALUES (13, 3, 'first'), (14, 6, 'welcome')")
    connection.execute("DELETE FROM hubspot_raw.emails WHERE id = 11")


def test_an_incremental_build_rebuilds_only_changed_keys_and_equals_a_full_rebuild(tmp_path, warehouse):
    folder = write_models(tmp_path, LAYERED)
    _build(warehouse, folder)
    _mutate(warehouse)
    results = _build(warehouse, folder)
    assert results["customers"].mode == "incremental"
    assert results["customers"].changed_keys == 4  # 1 (update, email deleted), 2 (archived), 3 (email), 6 (new)
    incremental = rows(warehouse, "SELECT * FROM hubspot.customers ORDER BY customer_id")
    assert _build(warehouse, folder, full_refresh=True)["customers"].mode == "full"
    assert rows(warehouse, "SELECT * FROM hubspot.customers ORDER BY customer_id") == incremental
    assert [r[0] for r in incremental] == [1, 3, 4, 6]
    assert incremental[0] == (1, "new@x.com", "customer", 1)


def test_models_whose_definition_and_inputs_did_not_change_are_up_to_date_and_not_rebuilt(tmp_path, warehouse):
    folder = write_models(tmp_path, LAYERED)
    _build(warehouse, folder)
    before = rows(warehouse, "SELECT * FROM hubspot.customers ORDER BY 1")
    results = _build(warehouse, folder)
    assert {n: (r.mode, r.changed_keys) for n, r in results.items()} == {
        "stg_contacts": ("view", None), "customers": ("up to date", None), "lifecycle_counts": ("up to date", None)}
    assert all(c.passed and c.reused for r in results.values() for c in r.checks)  # what they read is unchanged
    assert rows(warehouse, "SELECT * FROM hubspot.customers ORDER BY 1") == before

    warehouse.execute("UPDATE hubspot_raw.contacts SET lifecyclestage = 'customer' WHERE id = 3")
    results = _build(warehouse, folder)
    assert {n: r.mode for n, r in results.items()} == {
        "stg_contacts": "view", "customers": "incremental", "lifecycle_counts": "table"}
    assert results["customers"].changed_keys == 1


def test_a_raw_table_written_again_as_it_was_with_new_dlt_ids_leaves_its_models_up_to_date(tmp_path, warehouse):
    warehouse.execute("CREATE TABLE hubspot_raw.owners AS SELECT 7 AS id, 'Ann' AS name, '1.1' AS _dlt_load_id, "
                      "'a' AS _dlt_id")
    folder = write_models(tmp_path, {"marts/owners.sql": "SELECT id AS owner_id, name FROM hubspot_raw.owners"})
    assert _build(warehouse, folder)["owners"].mode == "table"
    warehouse.execute("UPDATE hubspot_raw.owners SET _dlt_load_id = '2.1', _dlt_id = 'b'")  # a metadata refresh
    assert _build(warehouse, folder)["owners"].mode == "up to date"
    warehouse.execute("UPDATE hubspot_raw.owners SET name = 'Anna'")
    assert _build(warehouse, folder)["owners"].mode == "table"


def test_checks_run_again_when_what_they_read_changed_and_are_reused_otherwise(tmp_path, warehouse):
    folder = write_models(tmp_path, LAYERED)
    assert not any(c.reused for r in _build(warehouse, folder).values() for c in r.checks)
    warehouse.execute("INSERT INTO hubspot_raw.contacts VALUES (7, 'g@x.com', 'subscriber', false), "
                      "(7, 'h@x.com', 'lead', false)")
    results = _build(warehouse, folder)
    failed = {c.test.name: c for c in results["customers"].failed_checks}
    assert set(failed) == {"unique_customer_id", "accepted_values_lifecycle_stage"}
    assert not any(c.reused for c in results["customers"].checks)

    results = _build(warehouse, folder)  # nothing changed: the failures are the stored ones, blocking as before
    assert {c.test.name: (c.reused, c.failing_rows, c.sample) for c in results["customers"].failed_checks} == {
        name: (True, c.failing_rows, c.sample) for name, c in failed.items()}
    assert results["lifecycle_counts"].mode == "blocked"
    warehouse.execute("DELETE FROM hubspot_raw.contacts WHERE id = 7")
    results = _build(warehouse, folder)
    assert results["customers"].ok and not any(c.reused for c in results["customers"].checks)


def test_a_changed_sql_or_a_change_in_an_unlisted_input_rebuilds_in_full(tmp_path, warehouse):
    files = {**LAYERED, "marts/schema.yml": LAYERED["marts/schema.yml"].replace(
        "                hubspot_raw.emails: contact_id\n", "")}
    folder = write_models(tmp_path, files)
    _build(warehouse, folder)
    assert _build(warehouse, folder)["customers"].mode == "up to date"
    warehouse.execute("UPDATE hubspot_raw.emails SET subject = 'edited'")  # a column customers does not read
    assert _build(warehouse, folder)["customers"].mode == "incremental"
    warehouse.execute("INSERT INTO hubspot_raw.emails VALUES (15, 4, 'x')")  # emails is not in changed_keys
    result = _build(warehouse, folder)["customers"]
    assert result.mode == "full"
    assert rows(warehouse, "SELECT emails FROM hubspot.customers WHERE customer_id = 4") == [(1,)]
    (folder / "marts/customers.sql").write_text(files["marts/customers.sql"] + " WHERE c.contact_id < 4")
    assert _build(warehouse, folder)["customers"].mode == "full"
    assert rows(warehouse, "SELECT max(customer_id) FROM hubspot.customers") == [(3,)]


def test_version_columns_limit_what_counts_as_a_change(tmp_path, warehouse):
    files = {**LAYERED, "marts/schema.yml": LAYERED["marts/schema.yml"].replace(
        "hubspot_raw.emails: contact_id", "hubspot_raw.emails: {key: contact_id, version: [id]}")}
    folder = write_models(tmp_path, files)
    _build(warehouse, folder)
    warehouse.execute("UPDATE hubspot_raw.emails SET subject = 'edited'")  # no hashed column changed
    assert _build(warehouse, folder)["customers"].changed_keys == 0
    warehouse.execute("INSERT INTO hubspot_raw.emails VALUES (16, 4, 'x')")
    assert _build(warehouse, folder)["customers"].changed_keys == 1


def test_build_state_is_kept_in_its_own_schema(tmp_path, warehouse):
    _build(warehouse, write_models(tmp_path, LAYERED))
    tables = {n for s, n in rows(warehouse, "SELECT table_schema, table_name FROM information_schema.tables")
              if s == STATE_SCHEMA}
    assert tables == {"builds", "checks", "hubspot.customers:hubspot_staging.stg_contacts",
                      "hubspot.customers:hubspot_raw.emails"}
    assert {r[0] for r in rows(warehouse, f"SELECT relation FROM {STATE_SCHEMA}.builds")} == {
        "hubspot_staging.stg_contacts", "hubspot.customers", "hubspot.lifecycle_counts"}


def test_a_sql_error_names_the_file_quotes_duckdb_and_keeps_the_last_build(tmp_path, warehouse):
    folder = write_models(tmp_path, LAYERED)
    _build(warehouse, folder)
    before = rows(warehouse, "SELECT * FROM hubspot.lifecycle_counts ORDER BY 1")
    # Fails while rows are being written, after the new table was started.
    (folder / "marts/lifecycle_counts.sql").write_text(
        "SELECT lifecycle_stage, CASE WHEN count(*) > 0 THEN error('boom') END AS customers "
        "FROM hubspot.customers GROUP BY ALL")
    result = _build(warehouse, folder)["lifecycle_counts"]
    assert result.mode == "failed"
    assert result.error.startswith("dbt_like_models/marts/lifecycle_counts.sql: ")
    assert "boom" in result.error
    assert rows(warehouse, "SELECT * FROM hubspot.lifecycle_counts ORDER BY 1") == before
    assert not [n for n in _relation_kinds(warehouse) if n.endswith("__building")]


def test_a_failed_model_blocks_its_downstream_models_only(tmp_path, warehouse):
    folder = write_models(tmp_path, {**LAYERED, "staging/stg_emails.sql": "SELECT * FROM hubspot_raw.emails",
                                     "staging/stg_contacts.sql": "SELECT no_such_column FROM hubspot_raw.contacts"})
    results = _build(warehouse, folder)
    assert results["stg_contacts"].mode == "failed" and "no_such_column" in results["stg_contacts"].error
    assert results["customers"].mode == results["lifecycle_counts"].mode == "blocked"
    assert results["customers"].error == "blocked: upstream hubspot_staging.stg_contacts failed to build"
    assert results["lifecycle_counts"].error.startswith("blocked: upstream")
    assert results["stg_emails"].mode == "view"  # unrelated: built


def test_a_failed_error_test_blocks_downstream_and_a_warn_test_does_not(tmp_path, warehouse):
    warehouse.execute("INSERT INTO hubspot_raw.contacts VALUES (7, 'g@x.com', 'subscriber', false), "
                      "(7, 'h@x.com', 'lead', false)")
    folder = write_models(tmp_path, LAYERED)
    results = _build(warehouse, folder)
    customers = results["customers"]
    failed = {c.test.name: c for c in customers.failed_checks}
    assert set(failed) == {"unique_customer_id", "accepted_values_lifecycle_stage"}
    assert failed["unique_customer_id"].failing_rows == 1
    assert failed["unique_customer_id"].sample == [{"value": 7, "n": 2}]
    assert failed["accepted_values_lifecycle_stage"].sample == [{"value": "subscriber", "n": 1}]
    assert results["lifecycle_counts"].mode == "blocked"
    assert "failed unique_customer_id, accepted_values_lifecycle_stage" in results["lifecycle_counts"].error

    warn = LAYERED["marts/schema.yml"].replace("                tests: [unique, not_null]",
                                               "                tests: [{unique: {config: {severity: warn}}}]")
    warn = warn.replace("values: [lead, customer]", "values: [lead, customer, subscriber]")
    (folder / "marts/schema.yml").write_text(warn.replace("\n        ", "\n").lstrip())
    results = _build(warehouse, folder)
    assert [c.test.name for c in results["customers"].failed_checks] == ["unique_customer_id"]
    assert results["customers"].ok and results["lifecycle_counts"].mode == "table"


def test_relationships_not_null_and_custom_sql_tests_return_failing_rows(tmp_path, warehouse):
    folder = write_models(tmp_path, {
        # stg_people sorts after stg_emails: the test's target is built first all the same.
        "staging/stg_people.sql": "SELECT id AS contact_id, email FROM hubspot_raw.contacts",
        "staging/stg_emails.sql": "SELECT id AS email_id, contact_id, nullif(subject, 'hi') AS subject "
                                  "FROM hubspot_raw.emails",
        "staging/schema.yml": """
            models:
              - name: stg_emails
                columns:
                  - name: contact_id
                    tests: [{relationships: {to: hubspot_staging.stg_people, field: contact_id}}]
                  - name: subject
                    tests: [not_null]
                tests: [emails_have_subjects]
        """,
        "tests/emails_have_subjects.sql": "SELECT * FROM hubspot_staging.stg_emails WHERE length(subject) < 3",
    })
    warehouse.execute("INSERT INTO hubspot_raw.emails VALUES (20, 99, 'to nobody'), (21, NULL, 'ok')")
    checks = {c.test.name: c for c in _build(warehouse, folder)["stg_emails"].checks}
    assert checks["relationships_contact_id__stg_people"].failing_rows == 1  # a null contact_id is no broken link
    assert checks["relationships_contact_id__stg_people"].sample[0]["email_id"] == 20
    assert (checks["not_null_subject"].failing_rows, checks["not_null_subject"].sample[0]["email_id"]) == (1, 10)
    assert checks["emails_have_subjects"].sample == [{"email_id": 21, "contact_id": None, "subject": "ok"}]


def test_a_missing_optional_input_builds_empty_and_its_arrival_rebuilds_in_full(tmp_path, warehouse):
    folder = write_models(tmp_path, {
        "marts/contact_history.sql": """
            SELECT h.object_id AS contact_id, h.value, c.email
            FROM hubspot_raw.property_history AS h JOIN hubspot_raw.contacts AS c ON c.id = h.object_id
        """,
        "marts/schema.yml": """
            models:
              - name: contact_history
                config:
                  materialized: incremental
                  unique_key: contact_id
                  changed_keys: {hubspot_raw.contacts: id}
                  optional_inputs:
                    hubspot_raw.property_history: "object_id BIGINT, value VARCHAR, timestamp TIMESTAMPTZ"
        """,
    })
    result = _build(warehouse, folder)["contact_history"]
    assert (result.mode, result.rows) == ("full", 0)
    assert ("value", "VARCHAR") in result.columns
    assert "hubspot_raw.property_history" not in _relation_kinds(warehouse)  # never written into hubspot_raw
    warehouse.execute("CREATE TABLE hubspot_raw.property_history AS SELECT 1::BIGINT AS object_id, 'lead' AS value, "
                      "now() AS timestamp")
    result = _build(warehouse, folder)["contact_history"]
    assert (result.mode, result.rows) == ("full", 1)


def test_a_missing_required_raw_table_says_to_sync_it(tmp_path, warehouse):
    folder = write_models(tmp_path, {"staging/stg_tickets.sql": "SELECT * FROM hubspot_raw.tickets"})
    result = _build(warehouse, folder)["stg_tickets"]
    assert result.mode == "failed"
    assert result.error.startswith("dbt_like_models/staging/stg_tickets.sql: hubspot_raw.tickets is not in the "
                                   "warehouse: run a sync that loads it")


def test_changing_a_view_into_a_table_and_back(tmp_path, warehouse):
    folder = write_models(tmp_path, {"staging/stg_contacts.sql": "SELECT id FROM hubspot_raw.contacts"})
    _build(warehouse, folder)
    (folder / "staging/schema.yml").write_text("models:\n  - name: stg_contacts\n    config: {materialized: table}\n")
    assert _build(warehouse, folder)["stg_contacts"].mode == "table"
    assert _relation_kinds(warehouse)["hubspot_staging.stg_contacts"] == "BASE TABLE"
    (folder / "staging/schema.yml").write_text("models:\n  - name: stg_contacts\n")
    assert _build(warehouse, folder)["stg_contacts"].mode == "view"
    assert _relation_kinds(warehouse)["hubspot_staging.stg_contacts"] == "VIEW"


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: int
    email: str
    lifecycle_stage: Literal["lead", "customer"]
    emails: int = Field(ge=0)
    seen_at: AwareDatetime


CONTRACT_FILES = {
    **LAYERED,
    "marts/customers.sql": "SELECT contact_id AS customer_id, email, lifecycle_stage, 0 AS emails, "
                           "TIMESTAMPTZ '2024-01-01 00:00:00+00' AS seen_at FROM hubspot_staging.stg_contacts",
    "marts/schema.yml": """
        models:
          - name: customers
            config: {unique_key: customer_id, contract: Customer}
            columns: [{name: customer_id}, {name: email}, {name: lifecycle_stage}, {name: emails}, {name: seen_at}]
    """,
}


def test_a_contract_checks_every_row_and_blocks_downstream_when_broken(tmp_path, warehouse):
    folder = write_models(tmp_path, CONTRACT_FILES)
    results = _build(warehouse, folder, contracts={"Customer": Customer})
    [contract] = results["customers"].checks
    assert (contract.test.name, contract.passed, contract.failing_rows) == ("contract", True, 0)
    warehouse.execute("UPDATE hubspot_raw.contacts SET lifecyclestage = 'subscriber' WHERE id IN (1, 2)")
    results = _build(warehouse, folder, contracts={"Customer": Customer})
    [contract] = results["customers"].checks
    assert (contract.passed, contract.failing_rows) == (False, 2)
    assert contract.sample[0]["customer_id"] == 1 and "lifecycle_stage: Input should be 'lead' or 'customer'" in \
        contract.sample[0]["errors"]
    assert results["lifecycle_counts"].mode == "blocked"


def test_a_large_mart_is_validated_on_a_sample(tmp_path, warehouse):
    project = load_project(write_models(tmp_path, CONTRACT_FILES), warehouse)
    build_models(warehouse, project, select="+customers", contracts={"Customer": Customer})
    warehouse.execute("INSERT INTO hubspot.customers SELECT 100 + range, 'x', 'nope', 0, now() FROM range(996)")
    model = project.models["customers"]
    full = validate_contract(warehouse, model, Customer, full_below=10_000)
    sampled = validate_contract(warehouse, model, Customer, full_below=100, sample=50)
    assert full.failing_rows == 996
    assert 40 <= sampled.failing_rows <= 50  # 50 of 1,000 rows, 99.6% of them bad


def test_an_unknown_contract_fails_its_check_saying_so(tmp_path, warehouse):
    results = _build(warehouse, write_models(tmp_path, CONTRACT_FILES), contracts={})
    [contract] = results["customers"].checks
    assert not contract.passed and "contract 'Customer': not among the contracts given" in contract.error


def test_contract_mismatches_list_fields_and_columns_that_disagree(tmp_path):
    model = load_project(write_models(tmp_path, CONTRACT_FILES)).models["customers"]
    assert contract_mismatches(model, Customer) == []

    class Fewer(BaseModel):
        customer_id: int
        owner_name: str

    assert contract_mismatches(model, Fewer) == [
        "customers: fields of Fewer without a YAML column: owner_name",
        "customers: YAML columns not in Fewer: email, lifecycle_stage, emails, seen_at"]


def test_results_are_reported_as_they_come(tmp_path, warehouse):
    seen = []
    results = build_models(warehouse, load_project(write_models(tmp_path, LAYERED)), on_result=seen.append)
    assert seen == results and [r.model.name for r in seen] == ["stg_contacts", "customers", "lifecycle_counts"]


CHANGED_ROWS_FILES = {
    **LAYERED,
    "marts/schema.yml": """
        models:
          - name: customers
            config:
              materialized: incremental
              unique_key: customer_id
              contract: Customer
              changed_keys: {hubspot_staging.stg_contacts: contact_id}
            columns:
              - {name: customer_id, tests: [not_null]}
              - {name: email, tests: [unique]}
              - name: lifecycle_stage
                tests: [{relationships: {to: hubspot_raw.stages, field: stage}}]
              - {name: emails}
              - {name: seen_at}
          - name: lifecycle_counts
    """,
    "marts/customers.sql": "SELECT c.contact_id AS customer_id, c.email, c.lifecycle_stage, 0 AS emails, "
                           "TIMESTAMPTZ '2024-01-01 00:00:00+00' AS seen_at FROM hubspot_staging.stg_contacts AS c",
}


def _scopes(result) -> dict[str, tuple[bool, int | None]]:
    """Each check's (passed, number of changed keys it was limited to)."""
    return {c.test.name: (c.passed, c.on_changed_keys) for c in result.checks}


def test_after_an_incremental_build_checks_that_passed_look_at_the_rebuilt_keys_rows_only(tmp_path, warehouse):
    warehouse.execute("CREATE TABLE hubspot_raw.stages AS SELECT * FROM (VALUES ('lead'), ('customer')) AS t(stage)")
    folder = write_models(tmp_path, CHANGED_ROWS_FILES)

    def build():
        return _build(warehouse, folder, contracts={"Customer": Customer})["customers"]

    assert _scopes(build()) == {name: (True, None) for name in (
        "not_null_customer_id", "unique_email", "relationships_lifecycle_stage__stages", "contract")}

    warehouse.execute("UPDATE hubspot_raw.contacts SET email = 'b@x.com' WHERE id = 1")  # contact 2's email
    result = build()
    assert (result.mode, result.changed_keys) == ("incremental", 1)
    assert _scopes(result) == {"not_null_customer_id": (True, 1), "unique_email": (False, 1),
                               "relationships_lifecycle_stage__stages": (True, 1), "contract": (True, 1)}
    [duplicate] = result.failed_checks
    assert duplicate.sample == [{"value": "b@x.com", "n": 2}]  # found through contact 2's row, which did not change

    # A check that failed last time looks at every row again: the failure may have been anywhere.
    warehouse.execute("UPDATE hubspot_raw.contacts SET email = 'z@x.com' WHERE id = 1")
    assert _scopes(build())["unique_email"] == (True, None)

    # A relationships test whose target changed looks at every row: unchanged rows may now point nowhere.
    warehouse.execute("DELETE FROM hubspot_raw.stages WHERE stage = 'customer'")
    warehouse.execute("UPDATE hubspot_raw.contacts SET email = 'y@x.com' WHERE id = 1")
    result = build()
    assert result.mode == "incremental"
    assert _scopes(result)["relationships_lifecycle_stage__stages"] == (False, None)
    assert result.checks[2].failing_rows == 2  # contacts 2 and 4, neither rebuilt
    assert _scopes(result)["unique_email"] == (True, 1)

    # A changed row breaking the contract is found among the rebuilt keys' rows.
    warehouse.execute("INSERT INTO hubspot_raw.stages VALUES ('customer')")
    warehouse.execute("UPDATE hubspot_raw.contacts SET lifecyclestage = 'subscriber' WHERE id = 3")
    warehouse.execute("INSERT INTO hubspot_raw.stages VALUES ('subscriber')")
    result = build()
    assert _scopes(result)["contract"] == (False, 1)
    assert [c.failing_rows for c in result.checks if c.test.name == "contract"] == [1]


THROUGH_FILES = {
    "marts/customer_teams.sql": """
        SELECT member.contact_id AS customer_id, team.name AS team_name
        FROM hubspot_raw.members AS member JOIN hubspot_raw.teams AS team USING (team_id)
    """,
    "marts/schema.yml": """
        models:
          - name: customer_teams
            config:
              materialized: incremental
              unique_key: customer_id
              changed_keys:
                hubspot_raw.members: contact_id
                hubspot_raw.teams:
                  key: member.contact_id
                  through: hubspot_raw.members AS member ON member.team_id = _row.team_id
    """,
}


def test_changed_keys_through_a_join_rebuild_the_keys_a_changed_row_reaches(tmp_path, warehouse):
    warehouse.execute("CREATE TABLE hubspot_raw.teams AS SELECT * FROM (VALUES (1, 'red'), (2, 'blue')) t(team_id, name)")
    # contact 1 is in team 1 twice: its key is reached twice by one team row, which must still count
    warehouse.execute("CREATE TABLE hubspot_raw.members AS SELECT * FROM (VALUES (1, 1), (1, 1), (2, 1), (3, 2)) "
                      "t(contact_id, team_id)")
    folder = write_models(tmp_path, THROUGH_FILES)
    assert _build(warehouse, folder)["customer_teams"].mode == "full"
    warehouse.execute("UPDATE hubspot_raw.teams SET name = 'crimson' WHERE team_id = 1")
    result = _build(warehouse, folder)["customer_teams"]
    assert (result.mode, result.changed_keys) == ("incremental", 2)  # contacts 1 and 2, not 3
    assert rows(warehouse, "SELECT * FROM hubspot.customer_teams ORDER BY ALL") == [
        (1, "crimson"), (1, "crimson"), (2, "crimson"), (3, "blue")]


def test_a_through_join_reading_a_table_the_model_does_not_read_is_an_error(tmp_path, warehouse):
    files = {**THROUGH_FILES, "marts/schema.yml": THROUGH_FILES["marts/schema.yml"].replace(
        "hubspot_raw.members AS member ON", "hubspot_raw.emails AS member ON")}
    with pytest.raises(ModelError, match=r"marts/schema.yml: changed_keys of 'customer_teams', hubspot_raw.teams: "
                                         r"through joins hubspot_raw.emails, which the model's SQL does not read"):
        load_project(write_models(tmp_path, files), warehouse)


CHAIN_FILES = {
    **LAYERED,
    "marts/customer_emails.sql": """
        SELECT customer_id, email, emails * 10 AS points FROM hubspot.customers
    """,
    "marts/stage_members.sql": """
        SELECT lifecycle_stage, count(*) AS members, list(customer_id ORDER BY customer_id) AS customer_ids
        FROM hubspot.customers GROUP BY ALL
    """,
    "marts/schema.yml": LAYERED["marts/schema.yml"] + """
          - name: customer_emails
            config:
              materialized: incremental
              unique_key: customer_id
              changed_keys:
                hubspot.customers: customer_id
          - name: stage_members
            config:
              materialized: incremental
              unique_key: lifecycle_stage
              changed_keys:
                hubspot.customers: lifecycle_stage
    """,
}


def test_a_model_keyed_like_its_incremental_input_takes_the_keys_that_input_rebuilt(tmp_path, warehouse):
    folder = write_models(tmp_path, CHAIN_FILES)
    _build(warehouse, folder)
    _mutate(warehouse)
    results = _build(warehouse, folder)
    assert (results["customers"].mode, results["customers"].changed_keys) == ("incremental", 4)
    chained = results["customer_emails"]
    assert (chained.mode, chained.changed_keys, chained.input_changes) == ("incremental", 4, {"hubspot.customers": "since"})
    # keyed on another column: the keys of the rows customers' build took out (1 as a lead, 2) and put in (1 as
    # a customer, 3, 6)
    staged = results["stage_members"]
    assert (staged.mode, staged.changed_keys, staged.input_changes) == ("incremental", 2, {"hubspot.customers": "since"})
    incremental = {m: rows(warehouse, f"SELECT * FROM hubspot.{m} ORDER BY ALL") for m in ("customer_emails",
                                                                                           "stage_members")}
    _build(warehouse, folder, full_refresh=True)
    assert {m: rows(warehouse, f"SELECT * FROM hubspot.{m} ORDER BY ALL") for m in incremental} == incremental
    assert incremental["stage_members"] == [("customer", 2, [1, 4]), ("lead", 2, [3, 6])]

    # An input at the version it had at the last build is not read; a build of an incremental input this model
    # did not follow (the chain of rebuilt keys broken) rebuilds it in full.
    warehouse.execute("UPDATE hubspot_raw.emails SET subject = 'edited' WHERE id = 10")  # customers does not read it
    results = _build(warehouse, folder)
    assert results["customers"].input_changes == {"hubspot_staging.stg_contacts": "same", "hubspot_raw.emails": "scan"}
    warehouse.execute("UPDATE hubspot_raw.contacts SET email = 'one@x.com' WHERE id = 1")
    _build(warehouse, folder, select="customers")
    warehouse.execute("UPDATE hubspot_raw.contacts SET email = 'three@x.com' WHERE id = 3")
    results = _build(warehouse, folder)
    assert (results["customer_emails"].mode, results["stage_members"].mode) == ("full", "full")
    assert rows(warehouse, "SELECT email FROM hubspot.customer_emails WHERE customer_id IN (1, 3) ORDER BY 1") == [
        ("one@x.com",), ("three@x.com",)]


def test_a_model_rebuilt_into_the_same_rows_leaves_its_downstream_up_to_date_and_its_checks_reused(
        tmp_path, warehouse):
    folder = write_models(tmp_path, {**LAYERED, "marts/stage_share.sql": """
        SELECT lifecycle_stage, customers / sum(customers) OVER () AS share FROM hubspot.lifecycle_counts
    """})
    _build(warehouse, folder)
    warehouse.execute("UPDATE hubspot_raw.contacts SET email = 'new@x.com' WHERE id = 1")  # no stage count moves
    results = _build(warehouse, folder)
    assert {n: r.mode for n, r in results.items()} == {
        "stg_contacts": "view", "customers": "incremental", "lifecycle_counts": "table", "stage_share": "up to date"}
    assert all(c.reused for c in results["lifecycle_counts"].checks)
    # the content an incremental build carries forward is the one a scan of the table gives
    assert built_content(warehouse, "hubspot.customers") == content_version(*table_content(warehouse, "hubspot.customers"))

    warehouse.execute("UPDATE hubspot_raw.contacts SET lifecyclestage = 'customer' WHERE id = 1")
    results = _build(warehouse, folder)
    assert (results["lifecycle_counts"].mode, results["stage_share"].mode) == ("table", "table")
    assert not any(c.reused for c in results["lifecycle_counts"].checks)


def test_a_relationships_check_is_reused_while_its_targets_values_stay_the_same(tmp_path, warehouse):
    warehouse.execute("CREATE TABLE hubspot_raw.stages AS SELECT * FROM (VALUES ('lead', 'Lead'), ('customer', "
                      "'Customer')) AS t(stage, label)")
    folder = write_models(tmp_path, CHANGED_ROWS_FILES)

    def relationships():
        [check] = [c for c in _build(warehouse, folder, contracts={"Customer": Customer})["customers"].checks
                   if c.test.kind == "relationships"]
        return check.passed, check.reused

    assert relationships() == (True, False)
    warehouse.execute("UPDATE hubspot_raw.stages SET label = upper(label)")  # the field's values stay
    assert relationships() == (True, True)
    warehouse.execute("UPDATE hubspot_raw.stages SET stage = 'client' WHERE stage = 'customer'")
    assert relationships() == (False, False)
