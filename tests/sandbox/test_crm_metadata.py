"""Properties, schemas, owners and pipelines over real HTTP, and their consistency with records."""

from __future__ import annotations

from tests.sandbox.api_calls import get, list_all


def test_every_object_type_has_properties_with_groups(sandbox):
    for object_type in ("contacts", "companies", "deals", "tickets", "products", "line_items", "calls", "emails",
                        "notes", "meetings", "tasks", "communications", "pets", "2-3508483"):
        results = get(sandbox, f"/crm/v3/properties/{object_type}").json()["results"]
        names = {p["name"] for p in results}
        assert "hs_object_id" in names, object_type
        groups = {g["name"] for g in get(sandbox, f"/crm/v3/properties/{object_type}/groups").json()["results"]}
        assert {p["groupName"] for p in results} <= groups
    missing = get(sandbox, "/crm/v3/properties/contacts/not_a_property")
    assert missing.status_code == 404


def test_schemas_list_custom_objects_whose_records_are_served(sandbox):
    schemas = get(sandbox, "/crm/v3/schemas").json()["results"]
    assert len(schemas) >= 2
    for schema in schemas:
        assert schema["objectTypeId"].startswith("2-") and schema["properties"]
        by_id = get(sandbox, f"/crm/v3/objects/{schema['objectTypeId']}", limit=5).json()
        by_name = get(sandbox, f"/crm/v3/objects/{schema['fullyQualifiedName']}", limit=5).json()
        assert by_id["results"] and by_id["results"] == by_name["results"]
        assert get(sandbox, f"/crm/v3/schemas/{schema['objectTypeId']}").json()["name"] == schema["name"]


def test_owners_page_and_match_record_owner_ids(sandbox):
    active = list_all(sandbox, "/crm/v3/owners", limit=5)
    archived = get(sandbox, "/crm/v3/owners", archived="true").json()["results"]
    assert 15 <= len(active) + len(archived) <= 25 and archived
    assert all(o["teams"] and o["type"] in ("PERSON", "QUEUE") for o in active)
    owner_ids = {o["id"] for o in active}
    options = get(sandbox, "/crm/v3/properties/contacts/hubspot_owner_id").json()["options"]
    assert {o["value"] for o in options} == owner_ids
    records = get(sandbox, "/crm/v3/objects/contacts", limit=100, properties="hubspot_owner_id").json()["results"]
    used = {r["properties"]["hubspot_owner_id"] for r in records} - {None}
    assert used and used <= owner_ids


def test_deal_stages_and_stage_dates_agree_with_pipelines(sandbox):
    pipelines = get(sandbox, "/crm/v3/pipelines/deals").json()["results"]
    stages = {p["id"]: [s["id"] for s in p["stages"]] for p in pipelines}
    assert len(pipelines) >= 2 and all(s["metadata"]["probability"] for p in pipelines for s in p["stages"])
    props = ["pipeline", "dealstage"] + [f"hs_v2_date_entered_{s}" for ids in stages.values() for s in ids]
    deals = get(sandbox, "/crm/v3/objects/deals", limit=100, properties=",".join(props)).json()["results"]
    for deal in deals:
        p = deal["properties"]
        assert p["dealstage"] in stages[p["pipeline"]]
        assert p[f"hs_v2_date_entered_{p['dealstage']}"] is not None
    stage_options = {o["value"] for o in get(sandbox, "/crm/v3/properties/deals/dealstage").json()["options"]}
    assert stage_options == {s for ids in stages.values() for s in ids}
    tickets = get(sandbox, "/crm/v3/pipelines/tickets").json()["results"]
    assert {s["metadata"]["ticketState"] for p in tickets for s in p["stages"]} == {"OPEN", "CLOSED"}
    assert get(sandbox, "/crm/v3/pipelines/contacts").status_code == 400


def test_calls_carry_transcript_ids_and_engagements_html_bodies(sandbox):
    calls = get(sandbox, "/crm/v3/objects/calls", limit=100,
                properties="hs_call_has_transcript,hs_call_transcription_id,hs_call_body").json()["results"]
    with_transcript = [c for c in calls if c["properties"]["hs_call_has_transcript"] == "true"]
    assert with_transcript and all(c["properties"]["hs_call_transcription_id"] for c in with_transcript)
    assert all(c["properties"]["hs_call_transcription_id"] is None for c in calls
               if c["properties"]["hs_call_has_transcript"] == "false")
    notes = get(sandbox, "/crm/v3/objects/notes", limit=20, properties="hs_note_body").json()["results"]
    assert any("<p>" in (n["properties"]["hs_note_body"] or "") for n in notes)
