"""Batch writes never half-apply: every input is checked first, and what was written is always in the answer."""

from __future__ import annotations

import requests

from tests.sandbox.api_calls import create, get, patch, post


def _by_email(sandbox, email: str) -> int:
    return get(sandbox, f"/crm/v3/objects/contacts/{email}", idProperty="email").status_code


def test_batch_create_with_a_duplicate_email_answers_207_with_the_written_records_and_the_failing_input(sandbox):
    taken = create(sandbox, "contacts", {"email": "bp.taken@example.com"})
    inputs = [{"properties": {"email": "bp.fresh@example.com"}},
              {"properties": {"email": "bp.twice@example.com", "firstname": "First"}},
              {"properties": {"email": "bp.twice@example.com", "firstname": "Second"}},
              {"properties": {"email": "bp.taken@example.com"}}]
    answer = post(sandbox, "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
    assert answer.status_code == 207, answer.text
    body = answer.json()
    assert sorted(r["properties"]["email"] for r in body["results"]) == ["bp.fresh@example.com",
                                                                         "bp.twice@example.com"]
    assert body["numErrors"] == 2
    assert [(e["category"], e["context"]["inputs"]) for e in body["errors"]] == [("CONFLICT", ["2"]),
                                                                                 ("CONFLICT", ["3"])]
    assert body["errors"][1]["context"]["id"] == [taken["id"]]
    for record in body["results"]:  # every id the answer names exists; nothing else was written
        assert get(sandbox, f"/crm/v3/objects/contacts/{record['id']}").status_code == 200
    twice = get(sandbox, "/crm/v3/objects/contacts/bp.twice@example.com", idProperty="email",
                properties="firstname").json()
    assert twice["properties"]["firstname"] == "First"


def test_batch_create_where_no_input_can_be_written_answers_409_and_writes_nothing(sandbox):
    create(sandbox, "contacts", {"email": "bp.only@example.com"})
    answer = post(sandbox, "/crm/v3/objects/contacts/batch/create",
                  {"inputs": [{"properties": {"email": "bp.only@example.com"}}]})
    assert answer.status_code == 409 and answer.json()["category"] == "CONFLICT"
    bad_association = post(sandbox, "/crm/v3/objects/contacts/batch/create", {"inputs": [
        {"properties": {"email": "bp.never1@example.com"}},
        {"properties": {"email": "bp.never2@example.com"},
         "associations": [{"to": {"id": "1"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                         "associationTypeId": 279}]}]}]})
    assert bad_association.status_code == 400 and "inputs[1]" in bad_association.json()["message"]
    assert _by_email(sandbox, "bp.never1@example.com") == 404


def test_batch_update_refuses_duplicate_ids_and_email_conflicts_without_writing_them(sandbox):
    a = create(sandbox, "contacts", {"email": "bp.upd.a@example.com", "firstname": "A"})
    b = create(sandbox, "contacts", {"email": "bp.upd.b@example.com", "firstname": "B"})
    dupes = post(sandbox, "/crm/v3/objects/contacts/batch/update", {"inputs": [
        {"id": a["id"], "properties": {"firstname": "A2"}}, {"id": a["id"], "properties": {"firstname": "A3"}}]})
    assert dupes.status_code == 400 and a["id"] in dupes.json()["message"]
    assert get(sandbox, f"/crm/v3/objects/contacts/{a['id']}").json()["properties"]["firstname"] == "A"
    answer = post(sandbox, "/crm/v3/objects/contacts/batch/update", {"inputs": [
        {"id": a["id"], "properties": {"firstname": "A4"}},
        {"id": b["id"], "properties": {"email": "bp.upd.a@example.com"}}]})
    assert answer.status_code == 207
    body = answer.json()
    assert [r["id"] for r in body["results"]] == [a["id"]]
    assert body["errors"][0]["category"] == "CONFLICT" and body["errors"][0]["context"]["inputs"] == ["1"]
    assert get(sandbox, f"/crm/v3/objects/contacts/{b['id']}").json()["properties"]["email"] == \
        "bp.upd.b@example.com"
    single = patch(sandbox, f"/crm/v3/objects/contacts/{b['id']}", {"properties": {"email": "bp.upd.a@example.com"}})
    assert single.status_code == 409


def test_batch_upsert_reports_a_missing_hs_object_id_next_to_the_records_it_wrote(sandbox):
    answer = post(sandbox, "/crm/v3/objects/contacts/batch/upsert", {"inputs": [
        {"id": "bp.upsert@example.com", "idProperty": "email", "properties": {"firstname": "Up"}},
        {"id": "999999999", "idProperty": "hs_object_id", "properties": {"firstname": "Ghost"}}]})
    assert answer.status_code == 207, answer.text
    body = answer.json()
    assert [r["properties"]["email"] for r in body["results"]] == ["bp.upsert@example.com"]
    assert body["results"][0]["new"] is True
    assert body["errors"][0]["context"]["inputs"] == ["1"]
    assert _by_email(sandbox, "bp.upsert@example.com") == 200


def test_batch_archive_with_a_malformed_input_archives_nothing(sandbox):
    record = create(sandbox, "tickets", {"subject": "bp keep me"})
    answer = post(sandbox, "/crm/v3/objects/tickets/batch/archive", {"inputs": [{"id": record["id"]}, {"x": 1}]})
    assert answer.status_code == 400 and "inputs[1]" in answer.json()["message"]
    assert get(sandbox, f"/crm/v3/objects/tickets/{record['id']}").status_code == 200


def test_association_batch_archive_with_a_malformed_input_removes_nothing(sandbox):
    contact = create(sandbox, "contacts", {"email": "bp.assoc@example.com"})
    company = create(sandbox, "companies", {"name": "BP Assoc"})
    path = f"/crm/v4/objects/contacts/{contact['id']}/associations/default/companies/{company['id']}"
    assert requests.put(sandbox.url + path, headers=sandbox.headers, timeout=30).status_code == 200
    answer = post(sandbox, "/crm/v4/associations/contacts/companies/batch/archive", {"inputs": [
        {"from": {"id": contact["id"]}, "to": [{"id": company["id"]}]}, {"from": {"id": "x"}, "to": []}]})
    assert answer.status_code == 400 and "inputs[1]" in answer.json()["message"]
    links = get(sandbox, f"/crm/v4/objects/contacts/{contact['id']}/associations/companies").json()["results"]
    assert [link["toObjectId"] for link in links] == [int(company["id"])]
