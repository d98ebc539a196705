"""Associations v4 over real HTTP: numeric ids, NO_ASSOCIATIONS_FOUND, paging, labels, both directions."""

from __future__ import annotations

from tests.sandbox.api_calls import create, get, list_all, post, put


def test_batch_read_gives_numeric_ids_and_no_associations_found_for_empty_inputs(sandbox):
    contacts = [r["id"] for r in get(sandbox, "/crm/v3/objects/contacts", limit=100).json()["results"]]
    answer = post(sandbox, "/crm/v4/associations/contacts/companies/batch/read",
                  {"inputs": [{"id": i} for i in contacts]})
    assert answer.status_code == 207
    body = answer.json()
    linked = {r["from"]["id"] for r in body["results"]}
    unlinked = {e["context"]["fromObjectId"][0] for e in body["errors"]}
    assert linked and unlinked and linked | unlinked == set(contacts) and not linked & unlinked
    assert body["numErrors"] == len(unlinked)
    for error in body["errors"]:
        assert error["category"] == "OBJECT_NOT_FOUND"
        assert error["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    for result in body["results"]:
        for to in result["to"]:
            assert isinstance(to["toObjectId"], int) and to["toObjectId"] > 2**32
            assert {t["category"] for t in to["associationTypes"]} <= {"HUBSPOT_DEFINED", "USER_DEFINED"}
    labels = {t["label"] for r in body["results"] for to in r["to"] for t in to["associationTypes"]}
    assert {"Primary", "Billing contact", None} <= labels


def test_associations_agree_in_both_directions(sandbox):
    companies = [r["id"] for r in get(sandbox, "/crm/v3/objects/companies", limit=20).json()["results"]]
    body = post(sandbox, "/crm/v4/associations/companies/contacts/batch/read",
                {"inputs": [{"id": i} for i in companies]}).json()
    pairs = {(r["from"]["id"], str(to["toObjectId"])) for r in body["results"] for to in r["to"]}
    assert pairs
    contacts = sorted({c for _, c in pairs})
    back = post(sandbox, "/crm/v4/associations/contacts/companies/batch/read",
                {"inputs": [{"id": c} for c in contacts]}).json()
    reverse = {(str(to["toObjectId"]), r["from"]["id"]) for r in back["results"] for to in r["to"]}
    assert pairs <= reverse


def test_per_object_list_pages_through_every_link(sandbox):
    companies = [r["id"] for r in get(sandbox, "/crm/v3/objects/companies", limit=50).json()["results"]]
    body = post(sandbox, "/crm/v4/associations/companies/contacts/batch/read",
                {"inputs": [{"id": i} for i in companies]}).json()
    busiest = max(body["results"], key=lambda r: len(r["to"]))
    assert len(busiest["to"]) >= 3
    company = busiest["from"]["id"]
    paged = list_all(sandbox, f"/crm/v4/objects/companies/{company}/associations/contacts", limit=2)
    assert [p["toObjectId"] for p in paged] == [t["toObjectId"] for t in busiest["to"]]
    dated = get(sandbox, f"/crm/objects/2026-03/companies/{company}/associations/contacts").json()["results"]
    assert dated == busiest["to"]


def test_labelled_association_is_created_read_and_listed_in_labels(sandbox):
    labels = get(sandbox, "/crm/v4/associations/contacts/companies/labels").json()["results"]
    user = [label for label in labels if label["category"] == "USER_DEFINED"]
    assert user and user[0]["label"] == "Billing contact"
    contact = create(sandbox, "contacts", {"email": "labelled@example.com"})
    company = create(sandbox, "companies", {"name": "Labelled"})
    answer = put(sandbox, f"/crm/v4/objects/contacts/{contact['id']}/associations/companies/{company['id']}",
                 [{"associationCategory": "USER_DEFINED", "associationTypeId": user[0]["typeId"]}])
    assert answer.status_code == 201 and answer.json()["labels"] == ["Billing contact"]
    back = post(sandbox, "/crm/v4/associations/companies/contacts/batch/read",
                {"inputs": [{"id": company["id"]}]}).json()
    types = back["results"][0]["to"][0]["associationTypes"]
    assert back["results"][0]["to"][0]["toObjectId"] == int(contact["id"])
    assert {"category": "USER_DEFINED", "typeId": 29, "label": "Billing contact"} in types


def test_batch_create_and_archive_associations(sandbox):
    deal = create(sandbox, "deals", {"dealname": "Assoc batch"})
    contacts = [create(sandbox, "contacts", {"email": f"batch.assoc{i}@example.com"})["id"] for i in range(2)]
    created = post(sandbox, "/crm/v4/associations/deals/contacts/batch/create",
                   {"inputs": [{"from": {"id": deal["id"]}, "to": {"id": c},
                                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}
                               for c in contacts]})
    assert created.status_code == 201
    links = get(sandbox, f"/crm/v4/objects/deals/{deal['id']}/associations/contacts").json()["results"]
    assert sorted(str(link["toObjectId"]) for link in links) == sorted(contacts)
    archived = post(sandbox, "/crm/v4/associations/deals/contacts/batch/archive",
                    {"inputs": [{"from": {"id": deal["id"]}, "to": [{"id": contacts[0]}]}]})
    assert archived.status_code == 204
    links = get(sandbox, f"/crm/v4/objects/deals/{deal['id']}/associations/contacts").json()["results"]
    assert [str(link["toObjectId"]) for link in links] == [contacts[1]]


def test_association_validation_errors(sandbox):
    too_many = post(sandbox, "/crm/v4/associations/contacts/companies/batch/read",
                    {"inputs": [{"id": str(i)} for i in range(1001)]})
    assert too_many.status_code == 400 and "1000" in too_many.json()["message"]
    contact = get(sandbox, "/crm/v3/objects/contacts", limit=1).json()["results"][0]["id"]
    company = get(sandbox, "/crm/v3/objects/companies", limit=1).json()["results"][0]["id"]
    bad_type = put(sandbox, f"/crm/v4/objects/contacts/{contact}/associations/companies/{company}",
                   [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 999999}])
    assert bad_type.status_code == 400 and "999999" in bad_type.json()["message"]


def test_batch_read_pages_each_input_separately(sandbox_factory):
    sandbox = sandbox_factory(association_page_size=2)
    companies = [r["id"] for r in get(sandbox, "/crm/v3/objects/companies", limit=30).json()["results"]]
    full = {c: [link["toObjectId"]
                for link in list_all(sandbox, f"/crm/v4/objects/companies/{c}/associations/contacts")]
            for c in companies}
    inputs = [{"id": c} for c in companies if full[c]]
    collected: dict[str, list[int]] = {}
    rounds = 0
    while inputs:
        rounds += 1
        body = post(sandbox, "/crm/v4/associations/companies/contacts/batch/read", {"inputs": inputs}).json()
        inputs = []
        for result in body["results"]:
            assert len(result["to"]) <= 2
            collected.setdefault(result["from"]["id"], []).extend(t["toObjectId"] for t in result["to"])
            if "paging" in result:
                inputs.append({"id": result["from"]["id"], "after": result["paging"]["next"]["after"]})
    assert rounds >= 2
    assert collected == {c: links for c, links in full.items() if links}
