"""Associations v4: batch reads chunked to 1,000 with per-input paging, NO_ASSOCIATIONS_FOUND read as none,
numeric `toObjectId` returned as strings, labels, and creating/removing links."""

from __future__ import annotations

from collections import defaultdict

import requests

from hubspot_assets.hubspot.models import Association, AssociationLabel
from tests.client.clients import make_client
from tests.client.sandbox_admin import endpoint_count, live_ids, request_stats, reset_stats

BATCH_READ = "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"


def test_batch_read_equals_per_record_reads_with_string_ids(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    ids = live_ids(sandbox, "contacts")[:60]
    links = list(client.associations("contacts", "companies", ids))
    assert links and all(isinstance(a, Association) for a in links)
    assert all(isinstance(a.to_id, str) and a.to_id.isdigit() for a in links)
    grouped: dict[str, set] = defaultdict(set)
    for a in links:
        grouped[a.from_id].add((a.to_id, a.type_id, a.label))
    for contact_id in ids[:15]:
        single = {
            (a.to_id, a.type_id, a.label)
            for a in client.record_associations("contacts", contact_id, "companies")
        }
        assert grouped.get(contact_id, set()) == single
    rows = list(client.association_links("contacts", "companies", ids))  # the bulk form: plain values
    assert all(isinstance(row.from_id, int) and isinstance(row.to_id, int) for row in rows)
    assert sorted((str(r.from_id), str(r.to_id), r.type_id, r.category, r.label) for r in rows) == sorted(
        (a.from_id, a.to_id, a.type_id, a.category, a.label) for a in links
    )


def test_sandbox_sends_numeric_to_object_ids(sandbox):
    # What makes the string conversion necessary: the raw answer carries JSON numbers, as HubSpot's does.
    ids = live_ids(sandbox, "contacts")[:20]
    raw = requests.post(
        f"{sandbox.url}/crm/v4/associations/contacts/companies/batch/read",
        json={"inputs": [{"id": i} for i in ids]},
        headers=sandbox.headers,
        timeout=30,
    ).json()
    kinds = {type(t["toObjectId"]) for r in raw["results"] for t in r["to"]}
    assert int in kinds


def test_record_without_links_reads_as_none(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    lonely = client.create_record("contacts", {"email": "lonely.c2@example.org", "firstname": "Lonely"})
    linked = live_ids(sandbox, "contacts")[:5]
    errors: list = []
    links = list(client.associations("contacts", "companies", [lonely["id"], *linked], errors=errors))
    assert not [a for a in links if a.from_id == lonely["id"]]
    assert {a.from_id for a in links} <= set(linked)
    assert client.association_errors == [] and errors == []  # NO_ASSOCIATIONS_FOUND is not an error


def test_batch_reads_are_chunked_to_1000_inputs(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    ids = live_ids(sandbox, "contacts")
    extra = [str(10_000_000 + k) for k in range(1_001 - len(ids))] if len(ids) <= 1_000 else []
    reset_stats(sandbox)
    list(client.associations("contacts", "companies", [*ids, *extra]))
    assert endpoint_count(request_stats(sandbox), BATCH_READ) == 2


def test_paged_inputs_are_completed_per_record(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    client = make_client(sandbox, tmp_path)
    company = client.create_record("companies", {"name": "Hub of many", "domain": "many.example.org"})
    contacts = live_ids(sandbox, "contacts")[:700]
    errors = client.batch_associate(
        "contacts", "companies", [(c, company["id"]) for c in contacts], type_id=279
    )
    assert errors == []
    reset_stats(sandbox)
    links = [a for a in client.associations("companies", "contacts", [company["id"]])]
    assert {a.to_id for a in links} == set(contacts)
    assert len(links) == len({(a.to_id, a.type_id) for a in links})
    stats = request_stats(sandbox)
    per_record = sum(n for k, n in stats["by_endpoint"].items() if k.startswith("GET /crm/v4/objects/"))
    assert per_record >= 1  # the batch answer paged this input; the rest came from the per-record GET


def test_associate_with_label_and_unassociate(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    labels = [AssociationLabel.model_validate(x) for x in client.association_labels("contacts", "companies")]
    assert any(x.type_id == 279 for x in labels)
    assert any(x.type_id == 1 and x.label == "Primary" for x in labels)
    contact = client.create_record("contacts", {"email": "linker.c2@example.org"})
    company = client.create_record("companies", {"name": "Linked Co"})
    client.associate("contacts", contact["id"], "companies", company["id"])  # default type
    client.associate("contacts", contact["id"], "companies", company["id"], type_id=1)  # primary
    links = client.record_associations("contacts", contact["id"], "companies")
    assert {a.type_id for a in links if a.to_id == company["id"]} >= {1, 279}
    client.unassociate("contacts", contact["id"], "companies", company["id"])
    assert client.record_associations("contacts", contact["id"], "companies") == []
