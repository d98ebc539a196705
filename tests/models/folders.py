"""Small model folders and warehouses for the framework's tests, written under the test's tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb

# A tiny hubspot_raw: five contacts (one archived), their emails, one merge.
RAW = """
CREATE SCHEMA IF NOT EXISTS hubspot_raw;
CREATE TABLE hubspot_raw.contacts AS
    SELECT * FROM (VALUES (1, 'a@x.com', 'lead', false), (2, 'b@x.com', 'customer', false),
                          (3, 'c@x.com', 'lead', false), (4, 'd@x.com', 'customer', false),
                          (5, 'e@x.com', 'lead', true)) AS t(id, email, lifecyclestage, archived);
CREATE TABLE hubspot_raw.emails AS
    SELECT * FROM (VALUES (10, 1, 'hi'), (11, 1, 'again'), (12, 2, 'hello')) AS t(id, contact_id, subject);
CREATE TABLE hubspot_raw.merges AS SELECT 'contacts' AS object_type, 9 AS merged_id, 3 AS survivor_id;
"""


def write_models(root: Path, files: dict[str, str]) -> Path:
    """`root/dbt_like_models/<relative path>` for each entry (text dedented); returns the models folder."""
    folder = root / "dbt_like_models"
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    for name in ("staging", "intermediate", "marts"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return folder


def raw_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path))
    connection.execute(RAW)
    return connection


def rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return connection.execute(sql).fetchall()


# A project of three layers: a staging view, an incremental mart with tests, a table reading the mart.
LAYERED = {
    "staging/stg_contacts.sql": """
        SELECT id AS contact_id, email, lifecyclestage AS lifecycle_stage
        FROM hubspot_raw.contacts WHERE NOT archived
    """,
    "marts/customers.sql": """
        WITH sent AS (SELECT contact_id, count(*) AS emails FROM hubspot_raw.emails GROUP BY contact_id)
        SELECT c.contact_id AS customer_id, c.email, c.lifecycle_stage, coalesce(sent.emails, 0) AS emails
        FROM hubspot_staging.stg_contacts AS c LEFT JOIN sent USING (contact_id)
    """,
    "marts/lifecycle_counts.sql": """
        SELECT lifecycle_stage, count(*) AS customers FROM hubspot.customers GROUP BY ALL
    """,
    "marts/schema.yml": """
        version: 2
        models:
          - name: customers
            description: One row per live contact.
            config:
              materialized: incremental
              unique_key: customer_id
              changed_keys:
                hubspot_staging.stg_contacts: contact_id
                hubspot_raw.emails: contact_id
            columns:
              - name: customer_id
                description: The contact's id.
                tests: [unique, not_null]
              - name: lifecycle_stage
                tests:
                  - accepted_values:
                      values: [lead, customer]
              - name: emails
                description: Emails sent to the customer.
          - name: lifecycle_counts
            columns:
              - name: lifecycle_stage
                tests: [unique]
    """,
}
