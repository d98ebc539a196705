"""The sandbox's property-creation endpoint (`POST /crm/v3/properties/{objectType}` and the 2026-03 path), which
the schema-evolution tests use to add a property the way HubSpot does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from hubspot_assets.sandbox.config import SandboxConfig
from hubspot_assets.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox of its own: the properties created here must not show up in other tests' portals."""
    server = SandboxServer(SandboxConfig(seed=42, scale="small", tier="unlimited")).start()
    try:
        yield server
    finally:
        server.stop()


def _post(server, path: str, body: dict) -> requests.Response:
    return requests.post(f"{server.url}{path}", json=body, headers=server.headers, timeout=30)


def test_creating_a_property_answers_201_then_409_and_values_stay_null_until_set(sandbox):
    body = {"name": "d3_shoe_size", "label": "Shoe size", "type": "number", "fieldType": "number",
            "groupName": "contactinformation"}
    created = _post(sandbox, "/crm/v3/properties/contacts", body)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("name", "type", "fieldType", "groupName")} == {
        "name": "d3_shoe_size", "type": "number", "fieldType": "number", "groupName": "contactinformation"}
    again = _post(sandbox, "/crm/properties/2026-03/contacts", body)
    assert again.status_code == 409 and again.json()["category"] == "OBJECT_ALREADY_EXISTS"

    listed = requests.get(f"{sandbox.url}/crm/v3/properties/contacts", headers=sandbox.headers, timeout=30).json()
    assert "d3_shoe_size" in {p["name"] for p in listed["results"]}
    page = requests.get(f"{sandbox.url}/crm/v3/objects/contacts", params={"properties": "d3_shoe_size", "limit": 5},
                        headers=sandbox.headers, timeout=30).json()["results"]
    assert [r["properties"]["d3_shoe_size"] for r in page] == [None] * 5
    rid = page[0]["id"]
    patched = requests.patch(f"{sandbox.url}/crm/v3/objects/contacts/{rid}", headers=sandbox.headers, timeout=30,
                             json={"properties": {"d3_shoe_size": "44"}})
    assert patched.status_code == 200, patched.text
    read = requests.get(f"{sandbox.url}/crm/v3/objects/contacts/{rid}", params={"properties": "d3_shoe_size"},
                        headers=sandbox.headers, timeout=30).json()
    assert read["properties"]["d3_shoe_size"] == "44"


def test_creating_a_custom_object_enumeration_on_the_dated_path_keeps_its_options(sandbox):
    body = {"name": "d3_temper", "label": "Temper", "type": "enumeration", "fieldType": "select",
            "groupName": listed_group(sandbox, "pets"),
            "options": [{"label": "Calm", "value": "calm"}, {"label": "Wild", "value": "wild"}]}
    created = _post(sandbox, "/crm/properties/2026-03/pets", body)
    assert created.status_code == 201, created.text
    assert [(o["label"], o["value"]) for o in created.json()["options"]] == [("Calm", "calm"), ("Wild", "wild")]


def listed_group(server, object_type: str) -> str:
    groups = requests.get(f"{server.url}/crm/v3/properties/{object_type}/groups", headers=server.headers,
                          timeout=30).json()["results"]
    return groups[0]["name"]


def test_creating_a_property_with_a_bad_type_or_field_type_answers_400_with_the_reason(sandbox):
    base = {"name": "d3_bad", "label": "Bad", "groupName": "contactinformation"}
    bad_type = _post(sandbox, "/crm/v3/properties/contacts", {**base, "type": "money", "fieldType": "number"})
    assert bad_type.status_code == 400 and "Invalid property type 'money'" in bad_type.json()["message"]
    mismatch = _post(sandbox, "/crm/v3/properties/contacts", {**base, "type": "number", "fieldType": "text"})
    assert mismatch.status_code == 400 and "fieldType 'text' is not valid for type 'number'" in mismatch.json()["message"]
    missing = _post(sandbox, "/crm/v3/properties/contacts", {"name": "d3_bad", "type": "string"})
    assert missing.status_code == 400 and "label" in missing.json()["message"]
    names = {p["name"] for p in requests.get(f"{sandbox.url}/crm/v3/properties/contacts", headers=sandbox.headers,
                                             timeout=30).json()["results"]}
    assert "d3_bad" not in names
