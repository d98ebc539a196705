"""Loading dbt_like_models/: dependencies from the SQL, the YAML, the build order, selections, and the load-time
errors, each naming the file to fix."""

from __future__ import annotations

import re

import pytest

from hubspot_assets.models.dependencies import columns_by_table, parse_select, table_references
from hubspot_assets.models.project import DEFAULT_MODELS_DIR, ModelError, load_project
from tests.models.folders import LAYERED, raw_warehouse, write_models


def test_dependencies_are_the_qualified_tables_the_sql_reads_not_its_ctes_nor_table_functions():
    sql = """
        WITH recent AS (SELECT * FROM hubspot_raw.deals), numbers AS (SELECT * FROM range(3))
        SELECT * FROM recent JOIN hubspot_staging.stg_owners o ON true, read_parquet('x.parquet'),
             LATERAL (SELECT * FROM hubspot_raw.associations a WHERE a.from_id = recent.id)
        UNION ALL SELECT * FROM (UNPIVOT hubspot_raw.Tickets ON COLUMNS('hs_.*') INTO NAME k VALUE v)
    """
    assert table_references(parse_select(sql, file="m.sql"), file="m.sql") == (
        "hubspot_raw.associations", "hubspot_raw.deals", "hubspot_raw.tickets", "hubspot_staging.stg_owners")


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT c.id, count(*) AS n FROM hubspot_raw.contacts AS c JOIN hubspot_raw.emails e ON e.contact_id = c.id "
     "WHERE NOT c.archived GROUP BY 1", {"hubspot_raw.contacts": {"id", "archived"}, "hubspot_raw.emails": {"contact_id"}}),
    # unqualified: any table of its query may hold it
    ("SELECT id, subject FROM hubspot_raw.contacts, hubspot_raw.emails",
     {"hubspot_raw.contacts": {"id", "subject"}, "hubspot_raw.emails": {"id", "subject"}}),
    ("WITH a AS (SELECT id FROM hubspot_raw.contacts) SELECT * FROM a", {"hubspot_raw.contacts": {"id"}}),
    # without the tables' columns, an unqualified name in a subquery may be the outer table's too
    ("SELECT id FROM hubspot_raw.contacts WHERE id IN (SELECT contact_id FROM hubspot_raw.emails)",
     {"hubspot_raw.contacts": {"id", "contact_id"}, "hubspot_raw.emails": {"contact_id"}}),
    ("SELECT c.id FROM hubspot_raw.contacts AS c WHERE NOT EXISTS "  # correlated: c.email is the outer table's
     "(SELECT 1 FROM hubspot_raw.emails AS e WHERE e.subject = c.email)",
     {"hubspot_raw.contacts": {"id", "email"}, "hubspot_raw.emails": {"subject"}}),
    ("SELECT * FROM hubspot_raw.contacts", {"hubspot_raw.contacts": None}),
    ("SELECT c.*, e.id FROM hubspot_raw.contacts AS c JOIN hubspot_raw.emails AS e ON true",
     {"hubspot_raw.contacts": None, "hubspot_raw.emails": {"id"}}),
    ("SELECT hash(c) FROM hubspot_raw.contacts AS c", {"hubspot_raw.contacts": None}),  # the whole row as a value
    ("SELECT id, COLUMNS('^hs_') FROM hubspot_raw.deals", None),
])
def test_the_columns_a_model_reads_of_each_input_are_those_it_names_of_it_unless_it_may_read_unnamed_ones(
        sql, expected):
    found = columns_by_table(parse_select(sql, file="m.sql"))
    assert found == (None if expected is None else {
        relation: None if names is None else frozenset(names) for relation, names in expected.items()})


def test_project_loads_models_with_schemas_materializations_tests_and_build_order(tmp_path):
    project = load_project(write_models(tmp_path, LAYERED))
    assert project.order == ("stg_contacts", "customers", "lifecycle_counts")
    stg, customers = project.models["stg_contacts"], project.models["customers"]
    assert (stg.relation, stg.materialized, stg.folder) == ("hubspot_staging.stg_contacts", "view", "staging")
    assert (customers.relation, customers.materialized, customers.unique_key) == (
        "hubspot.customers", "incremental", "customer_id")
    assert project.models["lifecycle_counts"].materialized == "table"  # the default outside staging
    assert customers.inputs == ("hubspot_raw.emails", "hubspot_staging.stg_contacts")
    assert customers.changed_keys["hubspot_raw.emails"].key == "contact_id"
    assert customers.description == "One row per live contact."
    assert [t.name for t in customers.all_tests] == [
        "unique_customer_id", "not_null_customer_id", "accepted_values_lifecycle_stage"]
    assert customers.shown_path == "dbt_like_models/marts/customers.sql"
    assert project.raw_tables == {"contacts", "emails"}
    assert project.downstream("stg_contacts") == ("customers", "lifecycle_counts")


@pytest.mark.parametrize(("spec", "expected"), [
    (None, ["stg_contacts", "customers", "lifecycle_counts"]),
    ("marts", ["customers", "lifecycle_counts"]),
    ("customers", ["customers"]),
    ("hubspot.customers", ["customers"]),
    ("+customers", ["stg_contacts", "customers"]),
    ("customers+", ["customers", "lifecycle_counts"]),
    ("stg_contacts, lifecycle_counts", ["stg_contacts", "lifecycle_counts"]),
])
def test_selection_by_name_folder_upstream_and_downstream(tmp_path, spec, expected):
    project = load_project(write_models(tmp_path, LAYERED))
    assert [m.name for m in project.select(spec)] == expected


def test_an_unknown_selection_says_what_can_be_selected(tmp_path):
    project = load_project(write_models(tmp_path, LAYERED))
    with pytest.raises(ModelError, match=r"'custmers'.*folder \(staging, intermediate, marts\)"):
        project.select("custmers")


def _error(tmp_path, files, connection=None) -> str:
    with pytest.raises(ModelError) as raised:
        load_project(write_models(tmp_path, files), connection)
    return str(raised.value)


def test_unknown_table_names_the_file_and_the_table(tmp_path):
    message = _error(tmp_path, {"marts/deals.sql": "SELECT * FROM hubspot_staging.stg_deals"})
    assert message.startswith("dbt_like_models/marts/deals.sql: unknown table hubspot_staging.stg_deals")


def test_a_model_read_from_the_wrong_schema_says_where_it_is(tmp_path):
    message = _error(tmp_path, {"staging/stg_deals.sql": "SELECT * FROM hubspot_raw.deals",
                                "marts/deals.sql": "SELECT * FROM hubspot.stg_deals"})
    assert "unknown table hubspot.stg_deals; the model 'stg_deals' is hubspot_staging.stg_deals" in message


def test_with_a_warehouse_a_raw_table_must_be_one_the_source_writes_or_the_warehouse_holds(tmp_path):
    connection = raw_warehouse(tmp_path / "w.duckdb")
    connection.execute("CREATE TABLE hubspot_raw.pets AS SELECT 1 AS id")
    files = {"staging/stg_pets.sql": "SELECT * FROM hubspot_raw.pets",
             "staging/stg_tickets.sql": "SELECT * FROM hubspot_raw.tickets"}  # documented, not loaded yet
    assert set(load_project(write_models(tmp_path, files), connection).models) == {"stg_pets", "stg_tickets"}
    message = _error(tmp_path / "typo", {"staging/stg_x.sql": "SELECT * FROM hubspot_raw.contcts"}, connection)
    assert message.startswith("dbt_like_models/staging/stg_x.sql: unknown table hubspot_raw.contcts")


def test_an_unqualified_table_asks_for_its_schema(tmp_path):
    message = _error(tmp_path, {"staging/stg_contacts.sql": "SELECT * FROM contacts"})
    assert "dbt_like_models/staging/stg_contacts.sql: table 'contacts' has no schema" in message
    assert "hubspot_raw.contacts" in message


def test_a_cycle_names_every_file_in_it(tmp_path):
    message = _error(tmp_path, {
        "intermediate/int_a.sql": "SELECT * FROM hubspot_staging.int_b",
        "intermediate/int_b.sql": "SELECT * FROM hubspot_staging.int_c",
        "intermediate/int_c.sql": "SELECT * FROM hubspot_staging.int_a",
        "staging/stg_ok.sql": "SELECT * FROM hubspot_raw.contacts",
    })
    assert "in a cycle" in message
    assert {"int_a.sql", "int_b.sql", "int_c.sql"} <= set(re.findall(r"int_\w\.sql", message))
    assert "stg_ok" not in message


def test_unparseable_sql_quotes_sqlglot(tmp_path):
    message = _error(tmp_path, {"staging/stg_bad.sql": "SELECT id FROM hubspot_raw.contacts WHERE ("})
    assert message.startswith("dbt_like_models/staging/stg_bad.sql: not valid DuckDB SQL:")


def test_a_model_is_one_select(tmp_path):
    message = _error(tmp_path, {"staging/stg_two.sql": "SELECT 1; SELECT 2"})
    assert "stg_two.sql: a model is one SELECT statement; this file holds 2 statements" in message
    message = _error(tmp_path / "b", {"staging/stg_ddl.sql": "DROP TABLE hubspot_raw.contacts"})
    assert "stg_ddl.sql: a model is one SELECT statement, not DROP" in message


def test_a_file_name_that_cannot_name_a_table(tmp_path):
    message = _error(tmp_path, {"staging/stg-contacts.sql": "SELECT * FROM hubspot_raw.contacts"})
    assert message.startswith("dbt_like_models/staging/stg-contacts.sql: 'stg-contacts' cannot name a table")


def test_a_yaml_entry_without_its_sql_file_names_the_yaml_file_and_the_model(tmp_path):
    message = _error(tmp_path, {"marts/schema.yml": "models:\n  - name: customers\n"})
    assert message.startswith("dbt_like_models/marts/schema.yml: model 'customers' has no SQL file")


def test_yaml_mistakes_say_where(tmp_path):
    message = _error(tmp_path, {"staging/stg_c.sql": "SELECT id FROM hubspot_raw.contacts",
                                "staging/schema.yml": "models:\n  - name: stg_c\n    config: {materialised: table}\n"})
    assert message.startswith("dbt_like_models/staging/schema.yml: models[stg_c].config.materialised")


def test_an_unknown_test_kind_is_an_error(tmp_path):
    message = _error(tmp_path, {
        "staging/stg_c.sql": "SELECT id FROM hubspot_raw.contacts",
        "staging/schema.yml": "models:\n  - name: stg_c\n    columns:\n      - name: id\n        tests: [uniq]\n",
    })
    assert "dbt_like_models/staging/schema.yml: stg_c.id: unknown test 'uniq'" in message


def test_a_column_test_on_a_column_the_model_does_not_select(tmp_path):
    message = _error(tmp_path, {
        "staging/stg_c.sql": "SELECT id AS contact_id, email FROM hubspot_raw.contacts",
        "staging/schema.yml": "models:\n  - name: stg_c\n    columns:\n      - name: id\n        tests: [unique]\n",
    })
    assert "stg_c.id has tests but 'stg_c' selects no column 'id' (it selects contact_id, email)" in message


def test_incremental_needs_a_unique_key(tmp_path):
    message = _error(tmp_path, {
        "marts/m.sql": "SELECT id FROM hubspot_raw.contacts",
        "marts/schema.yml": "models:\n  - name: m\n    config: {materialized: incremental}\n",
    })
    assert "dbt_like_models/marts/schema.yml: model 'm' is incremental but has no unique_key" in message


def test_changed_keys_must_name_inputs_the_sql_reads(tmp_path):
    message = _error(tmp_path, {
        "marts/m.sql": "SELECT id FROM hubspot_raw.contacts",
        "marts/schema.yml": "models:\n  - name: m\n    config: {materialized: incremental, unique_key: id, "
                            "changed_keys: {hubspot_raw.deals: id}}\n",
    })
    assert "changed_keys of 'm' names hubspot_raw.deals, which its SQL does not read" in message


def test_custom_tests_by_name_with_severity_and_unnamed_ones_attach_to_the_model_they_read(tmp_path):
    project = load_project(write_models(tmp_path, {
        **LAYERED,
        "marts/schema.yml": LAYERED["marts/schema.yml"].replace(
            "          - name: lifecycle_counts\n",
            "            tests:\n              - few_leads: {config: {severity: warn}}\n"
            "          - name: lifecycle_counts\n"),
        "tests/few_leads.sql": "SELECT * FROM hubspot.customers WHERE lifecycle_stage = 'lead' HAVING count(*) > 100",
        "tests/counts_positive.sql": "SELECT * FROM hubspot.lifecycle_counts WHERE customers <= 0",
    }))
    few_leads = project.models["customers"].tests[0]
    assert (few_leads.name, few_leads.kind, few_leads.severity) == ("few_leads", "sql", "warn")
    assert [t.name for t in project.models["lifecycle_counts"].tests] == ["counts_positive"]
    message = _error(tmp_path / "b", {**LAYERED, "tests/both.sql":
                                      "SELECT * FROM hubspot.customers JOIN hubspot.lifecycle_counts USING (lifecycle_stage)"})
    assert message.startswith("dbt_like_models/tests/both.sql: this test reads 2 models")


def test_the_repository_models_folder_loads():
    project = load_project(DEFAULT_MODELS_DIR)
    assert DEFAULT_MODELS_DIR.name == "dbt_like_models"
    for model in project.models.values():
        assert model.path.is_file() and model.folder in ("staging", "intermediate", "marts")
