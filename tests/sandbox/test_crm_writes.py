"""CRM writes over real HTTP: create, update, archive, batch writes, merge, GDPR delete and their quirks."""

from __future__ import annotations

from tests.sandbox.api_calls import create, delete, get, list_all, patch, post, put, truth_updated


def test_create_answers_201_and_empty_string_clears_a_value(sandbox):
    record = create(sandbox, "contacts", {"email": "clear.me@example.com", "firstname": "Ada", "city": "Lyon"})
    assert record["properties"]["firstname"] == "Ada" and record["archived"] is False
    answer = patch(sandbox, f"/crm/v3/objects/contacts/{record['id']}", {"properties": {"city": ""}})
    assert answer.status_code == 200
    again = get(sandbox, f"/crm/v3/objects/contacts/{record['id']}", properties="city,firstname").json()
    assert again["properties"]["city"] is None and again["properties"]["firstname"] == "Ada"


def test_update_moves_lastmodifieddate_but_archive_does_not(sandbox):
    record = create(sandbox, "companies", {"name": "Timestamps Ltd"})
    rid = record["id"]
    before = get(sandbox, f"/crm/v3/objects/companies/{rid}", properties="hs_lastmodifieddate").json()
    patch(sandbox, f"/crm/v3/objects/companies/{rid}", {"properties": {"name": "Timestamps Plc"}})
    after = get(sandbox, f"/crm/v3/objects/companies/{rid}", properties="hs_lastmodifieddate").json()
    assert after["updatedAt"] > before["updatedAt"]
    assert after["properties"]["hs_lastmodifieddate"] == after["updatedAt"]
    assert delete(sandbox, f"/crm/v3/objects/companies/{rid}").status_code == 204
    archived = get(sandbox, f"/crm/v3/objects/companies/{rid}", archived="true",
                   properties="hs_lastmodifieddate").json()
    assert archived["archived"] is True
    assert archived["updatedAt"] == after["updatedAt"]
    assert archived["properties"]["hs_lastmodifieddate"] == after["properties"]["hs_lastmodifieddate"]
    assert truth_updated(sandbox, "companies", rid) == after["updatedAt"]
    assert get(sandbox, f"/crm/v3/objects/companies/{rid}").status_code == 404
    assert rid not in [r["id"] for r in list_all(sandbox, "/crm/v3/objects/companies")]


def test_association_changes_do_not_move_lastmodifieddate(sandbox):
    contact = create(sandbox, "contacts", {"email": "assoc.time@example.com"})
    company = create(sandbox, "companies", {"name": "Assoc Time"})
    answer = put(sandbox, f"/crm/v4/objects/contacts/{contact['id']}/associations/companies/{company['id']}",
                 [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}])
    assert answer.status_code in (200, 201)
    links = get(sandbox, f"/crm/v4/objects/contacts/{contact['id']}/associations/companies").json()["results"]
    assert [link["toObjectId"] for link in links] == [int(company["id"])]
    for object_type, record in (("contacts", contact), ("companies", company)):
        assert truth_updated(sandbox, object_type, record["id"]) == record["updatedAt"]
    assert delete(sandbox, f"/crm/v4/objects/contacts/{contact['id']}/associations/companies/"
                           f"{company['id']}").status_code == 204
    assert get(sandbox, f"/crm/v4/objects/companies/{company['id']}/associations/contacts").json()["results"] == []
    assert truth_updated(sandbox, "contacts", contact["id"]) == contact["updatedAt"]


def test_unknown_property_on_create_is_a_validation_error_naming_it(sandbox):
    answer = post(sandbox, "/crm/v3/objects/deals", {"properties": {"dealname": "x", "no_such_field": "1"}})
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR" and "no_such_field" in body["message"]
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_batch_create_update_upsert_and_archive(sandbox):
    created = post(sandbox, "/crm/v3/objects/tickets/batch/create",
                   {"inputs": [{"properties": {"subject": f"Batch {i}"}} for i in range(3)]})
    assert created.status_code == 201
    ids = [r["id"] for r in created.json()["results"]]
    assert len(set(ids)) == 3
    updated = post(sandbox, "/crm/v3/objects/tickets/batch/update",
                   {"inputs": [{"id": ids[0], "properties": {"subject": "Renamed"}},
                               {"id": "77", "properties": {"subject": "Ghost"}}]})
    assert updated.status_code == 207
    body = updated.json()
    assert [r["id"] for r in body["results"]] == [ids[0]] and body["results"][0]["properties"]["subject"] == "Renamed"
    assert body["numErrors"] == 1 and body["errors"][0]["context"] == {"ids": ["77"]}

    email = "upsert.batch@example.com"
    first = post(sandbox, "/crm/v3/objects/contacts/batch/upsert",
                 {"inputs": [{"id": email, "idProperty": "email", "properties": {"firstname": "Up"}}]})
    assert first.status_code == 200 and first.json()["results"][0]["new"] is True
    second = post(sandbox, "/crm/v3/objects/contacts/batch/upsert",
                  {"inputs": [{"id": email, "idProperty": "email", "properties": {"firstname": "Sert"}}]})
    result = second.json()["results"][0]
    assert result["new"] is False and result["id"] == first.json()["results"][0]["id"]
    assert result["properties"]["firstname"] == "Sert"

    archived = post(sandbox, "/crm/v3/objects/tickets/batch/archive", {"inputs": [{"id": i} for i in ids[:2]]})
    assert archived.status_code == 204
    read = post(sandbox, "/crm/v3/objects/tickets/batch/read", {"inputs": [{"id": i} for i in ids]})
    assert read.status_code == 207 and [r["id"] for r in read.json()["results"]] == [ids[2]]


def test_batch_writes_reject_more_than_100_inputs(sandbox):
    answer = post(sandbox, "/crm/v3/objects/notes/batch/create",
                  {"inputs": [{"properties": {"hs_note_body": "x"}}] * 101})
    assert answer.status_code == 400 and "100" in answer.json()["message"]


def test_merge_archives_the_merged_record_and_marks_the_primary(sandbox):
    primary = create(sandbox, "contacts", {"email": "primary.merge@example.com"})
    merged = create(sandbox, "contacts", {"email": "merged.away@example.com"})
    company = create(sandbox, "companies", {"name": "Merge Co"})
    put(sandbox, f"/crm/v4/objects/contacts/{merged['id']}/associations/default/companies/{company['id']}", None)
    answer = post(sandbox, "/crm/v3/objects/contacts/merge",
                  {"primaryObjectId": primary["id"], "objectIdToMerge": merged["id"]})
    assert answer.status_code == 200
    assert answer.json()["properties"]["hs_merged_object_ids"] == merged["id"]
    gone = get(sandbox, f"/crm/v3/objects/contacts/{merged['id']}", archived="true").json()
    assert gone["archived"] is True
    assert get(sandbox, f"/crm/v3/objects/contacts/{merged['id']}").status_code == 404
    links = get(sandbox, f"/crm/v4/objects/contacts/{primary['id']}/associations/companies").json()["results"]
    assert int(company["id"]) in [link["toObjectId"] for link in links]


def test_generated_portal_has_merged_contacts(sandbox):
    records = list_all(sandbox, "/crm/v3/objects/contacts", properties="hs_merged_object_ids")
    primaries = [r for r in records if r["properties"]["hs_merged_object_ids"]]
    assert primaries
    archived = {r["id"] for r in list_all(sandbox, "/crm/v3/objects/contacts", archived="true")}
    for record in primaries:
        assert set(record["properties"]["hs_merged_object_ids"].split(";")) <= archived


def test_gdpr_delete_removes_the_contact_everywhere(sandbox):
    contact = create(sandbox, "contacts", {"email": "forget.me@example.com"})
    answer = post(sandbox, "/crm/v3/objects/contacts/gdpr-delete",
                  {"objectId": "forget.me@example.com", "idProperty": "email"})
    assert answer.status_code == 204
    assert get(sandbox, f"/crm/v3/objects/contacts/{contact['id']}", archived="true").status_code == 404
    assert contact["id"] not in [r["id"] for r in sandbox.admin("truth/contacts")["results"]]
    again = post(sandbox, "/crm/v3/objects/contacts/gdpr-delete", {"objectId": contact["id"]})
    assert again.status_code == 404


def test_creating_a_contact_with_an_existing_email_is_a_409_conflict(sandbox):
    first = create(sandbox, "contacts", {"email": "only.once@example.com"})
    answer = post(sandbox, "/crm/v3/objects/contacts", {"properties": {"email": "only.once@example.com"}})
    assert answer.status_code == 409
    assert answer.json()["category"] == "CONFLICT" and first["id"] in answer.json()["message"]


def test_an_update_heads_the_property_history_of_a_generated_record(sandbox):
    record = get(sandbox, "/crm/v3/objects/deals", limit=1, propertiesWithHistory="dealname").json()["results"][0]
    before = record["propertiesWithHistory"]["dealname"]
    patch(sandbox, f"/crm/v3/objects/deals/{record['id']}", {"properties": {"dealname": "Renamed deal"}})
    after = get(sandbox, f"/crm/v3/objects/deals/{record['id']}", propertiesWithHistory="dealname").json()
    history = after["propertiesWithHistory"]["dealname"]
    assert history[0]["value"] == "Renamed deal" and history[0]["timestamp"] == after["updatedAt"]
    assert history[1:] == before
