"""`ClientSettings.api_version` switches every call between the legacy (v3/v4) and dated (2026-03, conversations
2026-09) path families, with identical results."""

from __future__ import annotations

import pytest

from hubspot_assets.hubspot.errors import MissingScopesError
from hubspot_assets.hubspot.paths import ApiPaths
from tests.client.clients import flatten, make_client
from tests.client.sandbox_admin import live_ids, request_stats, reset_stats


def _snapshot(client, sandbox) -> dict:
    ids = live_ids(sandbox, "contacts")
    thread = flatten(client.threads(page_size=5))[0]
    out = {
        "list": flatten(
            client.list_records("contacts", ["email", "lifecyclestage"], associations=["companies"])
        ),
        "read": client.read_records("contacts", [*ids[:30], "999999999"], ["email"]).model_dump(),
        "one": client.get_record("contacts", ids[1], ["email", "firstname"]),
        "search": flatten(
            client.search_records(
                "contacts",
                filter_groups=[[{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]],
                properties=["email"],
            )
        ),
        "assoc": sorted(
            client.associations("contacts", "companies", ids[:50]),
            key=lambda a: (a.from_id, a.to_id, a.type_id),
        ),
        "one_assoc": client.record_associations("contacts", ids[0], "companies"),
        "labels": client.association_labels("contacts", "companies"),
        "props": client.properties("deals"),
        "types": client.object_types(),
        "owners": list(client.owners()),
        "pipelines": client.pipelines("deals"),
        "inboxes": list(client.inboxes()),
        "threads": flatten(client.threads(page_size=100)),
        "messages": flatten(client.messages(thread["id"])),
        "usage_names": [u["name"] for u in client.api_usage()],
    }
    with pytest.raises(MissingScopesError):
        client.transcript("1")
    return out


def test_version_families_give_identical_results(sandbox, tmp_path):
    legacy = make_client(sandbox, tmp_path)
    dated = make_client(sandbox, tmp_path, api_version="2026-03")
    assert dated.paths.family == "2026-03"
    reset_stats(sandbox)
    old = _snapshot(legacy, sandbox)
    new = _snapshot(dated, sandbox)
    for key in old:
        assert old[key] == new[key], key
    assert old["list"] and old["search"] and old["assoc"] and old["threads"]
    used = set(request_stats(sandbox)["by_endpoint"])
    assert any("/crm/objects/2026-03/" in e for e in used)
    assert any("/crm/associations/2026-03/" in e for e in used)
    assert any("/conversations/conversations/2026-09/" in e for e in used)
    assert any("/crm/v3/objects/" in e for e in used)


def test_unknown_version_family_is_a_clear_error():
    with pytest.raises(ValueError, match="HUBSPOT_API_VERSION"):
        ApiPaths("v5")
