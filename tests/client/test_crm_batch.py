"""Single and batch reads and writes: 100-input chunks, 207 partial results surfaced per record (not raised),
create/update/archive, merge and GDPR delete."""

from __future__ import annotations

import pytest

from hubspot_assets.hubspot.errors import NotFoundError, ValidationError
from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer
from tests.client.clients import flatten, make_client
from tests.client.sandbox_admin import endpoint_count, live_ids, request_stats, reset_stats, truth


@pytest.fixture(scope="module")
def writable():
    """A sandbox of this module's own: these tests change data."""
    with SandboxServer(SandboxConfig(seed=7, scale="small", tier="unlimited")) as server:
        yield server


def _batch_calls(sandbox, action: str) -> int:
    return endpoint_count(request_stats(sandbox), f"POST /crm/v3/objects/{{objectType}}/batch/{action}")


def test_batch_read_chunks_to_100_and_reports_missing_ids(writable, tmp_path):
    client = make_client(writable, tmp_path)
    ids = live_ids(writable, "contacts")[:250]
    bogus = ["999999991", "999999992"]
    reset_stats(writable)
    result = client.read_records("contacts", [*ids, ids[0], *bogus], ["email", "firstname"])
    assert sorted((r["id"] for r in result.results), key=int) == ids  # repeated id read once
    assert result.missing == bogus
    assert not result.ok
    assert [e.category for e in result.errors] == ["OBJECT_NOT_FOUND"]
    assert result.errors[0].ids == bogus
    assert _batch_calls(writable, "read") == 3  # 252 distinct ids -> 100 + 100 + 52


def test_batch_read_by_unique_property(writable, tmp_path):
    client = make_client(writable, tmp_path)
    records = flatten(client.list_records("contacts", ["email"], page_size=20))[:20]
    emails = [r["properties"]["email"] for r in records if r["properties"].get("email")]
    result = client.read_records(
        "contacts", [*emails, "nobody@nowhere.invalid"], ["email"], id_property="email"
    )
    assert {r["properties"]["email"] for r in result.results} == set(emails)
    assert result.missing == ["nobody@nowhere.invalid"]


def test_create_update_clear_and_archive_one_record(writable, tmp_path):
    client = make_client(writable, tmp_path)
    created = client.create_record(
        "contacts", {"email": "c2.single@example.org", "firstname": "Ada", "jobtitle": "CTO"}
    )
    assert created["id"].isdigit()
    read = client.get_record("contacts", created["id"], ["email", "firstname", "jobtitle"])
    assert read["properties"]["firstname"] == "Ada"
    client.update_record("contacts", created["id"], {"jobtitle": "", "firstname": "Ada L."})
    read = client.get_record("contacts", created["id"], ["firstname", "jobtitle"])
    assert read["properties"]["firstname"] == "Ada L." and read["properties"].get("jobtitle") in (None, "")
    by_email = client.get_record("contacts", "c2.single@example.org", ["firstname"], id_property="email")
    assert by_email["id"] == created["id"]
    client.archive_record("contacts", created["id"])
    with pytest.raises(NotFoundError) as caught:
        client.get_record("contacts", created["id"])
    assert caught.value.category == "OBJECT_NOT_FOUND" and caught.value.status == 404
    assert client.get_record("contacts", created["id"], archived=True)["archived"] is True


def test_batch_writes_chunk_to_100_and_surface_per_record_failures(writable, tmp_path):
    client = make_client(writable, tmp_path)
    reset_stats(writable)
    inputs = [{"email": f"c2.batch.{i}@example.org", "firstname": f"B{i}"} for i in range(150)]
    created = client.batch_create("contacts", inputs)
    assert created.ok and len(created.results) == 150
    assert _batch_calls(writable, "create") == 2
    ids = [r["id"] for r in created.results]

    updates = [{"id": i, "properties": {"lastname": "Batched"}} for i in ids[:120]]
    updates += [{"id": "999999993", "properties": {"lastname": "Ghost"}}]
    updated = client.batch_update("contacts", updates)  # a 207: one record failed, the rest were written
    assert len(updated.results) == 120
    assert [e.ids for e in updated.errors] == [["999999993"]]
    check = client.read_records("contacts", ids[:120], ["lastname"])
    assert {r["properties"]["lastname"] for r in check.results} == {"Batched"}

    upserts = [
        {"id": "c2.batch.0@example.org", "properties": {"firstname": "Again"}},
        {"id": "c2.batch.new@example.org", "properties": {"firstname": "New"}},
    ]
    upserted = client.batch_upsert("contacts", upserts, id_property="email")
    assert sorted(r["new"] for r in upserted.results) == [False, True]
    assert next(r for r in upserted.results if not r["new"])["id"] == ids[0]

    archived = client.batch_archive("contacts", ids)
    assert archived.ok
    gone = client.read_records("contacts", ids, ["email"])
    assert gone.results == [] and sorted(gone.missing) == sorted(ids)
    still = client.read_records("contacts", ids, ["email"], archived=True)
    assert len(still.results) == 150


def test_invalid_batch_input_is_a_validation_error(writable, tmp_path):
    client = make_client(writable, tmp_path)
    with pytest.raises(ValidationError):
        client.batch_create("contacts", [{"email": "x@example.org", "no_such_property_xyz": "1"}])
    with pytest.raises(ValueError, match="needs an 'id'"):
        client.batch_update("contacts", [{"properties": {"firstname": "x"}}])


def test_merge_keeps_the_primary_record(writable, tmp_path):
    client = make_client(writable, tmp_path)
    a = client.create_record("contacts", {"email": "c2.merge.a@example.org"})
    b = client.create_record("contacts", {"email": "c2.merge.b@example.org"})
    survivor = client.merge("contacts", a["id"], b["id"])
    assert survivor["id"] == a["id"]
    assert b["id"] in (survivor["properties"].get("hs_merged_object_ids") or "")
    with pytest.raises(NotFoundError):
        client.get_record("contacts", b["id"])


def test_gdpr_delete_removes_the_contact_for_good(writable, tmp_path):
    client = make_client(writable, tmp_path)
    doomed = client.create_record("contacts", {"email": "c2.gdpr@example.org"})
    client.gdpr_delete("c2.gdpr@example.org", id_property="email")
    assert doomed["id"] not in {r["id"] for r in truth(writable, "contacts")}
    with pytest.raises(NotFoundError):
        client.get_record("contacts", doomed["id"], archived=True)


def test_batch_read_by_email_without_email_in_the_selection(writable, tmp_path):
    client = make_client(writable, tmp_path)
    made = client.create_record("contacts", {"email": "c2.case@example.org", "firstname": "Case"})
    result = client.read_records(
        "contacts", ["c2.case@example.org", "ghost@example.org"], ["firstname"], id_property="email"
    )
    assert [r["id"] for r in result.results] == [made["id"]]
    assert result.missing == ["ghost@example.org"]
