"""Metadata: properties with types and option labels, object types and schemas, owners, pipelines."""

from __future__ import annotations

from hubspot_assets.hubspot.models import Owner, Pipeline, Property
from tests.client.clients import make_client


def test_properties_carry_types_and_option_labels(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    props = {p.name: p for p in client.properties("contacts")}
    assert all(isinstance(p, Property) for p in props.values())
    assert {"email", "lifecyclestage", "createdate", "lastmodifieddate"} <= set(props)
    stage = props["lifecyclestage"]
    assert stage.type == "enumeration" and stage.labels.get("customer")
    assert stage.option_label("customer") == stage.labels["customer"]
    assert props["createdate"].type == "datetime" and props["createdate"].hubspot_defined
    types = {p.type for p in props.values()}
    assert types >= {"string", "number", "enumeration", "datetime", "bool"}
    multi = [p for p in props.values() if p.is_multi_select and len(p.options) >= 2]
    assert multi, "the wide portal has multi-select properties"
    m = multi[0]
    a, b = m.options[0], m.options[1]
    assert m.option_label(f"{a.value};{b.value}") == f"{a.label};{b.label}"


def test_object_types_include_standard_and_custom_from_schemas(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    types = {t.name: t for t in client.object_types()}
    assert types["contacts"].object_type_id == "0-1" and not types["contacts"].custom
    assert types["calls"].object_type_id == "0-48"
    schemas = {s["name"]: s for s in client.schemas()}
    assert set(schemas) == {t.name for t in types.values() if t.custom}
    pets = types["pets"]
    assert pets.custom and pets.object_type_id == schemas["pets"]["objectTypeId"]
    assert pets.label == schemas["pets"]["labels"]["singular"]
    assert {p.name for p in client.properties(pets.object_type_id)} >= {"pet_name", "species"}


def test_owners_page_and_archived_are_separate(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    active = list(client.owners())
    assert [o["id"] for o in client.owners(page_size=4)] == [o["id"] for o in active]  # paged, same owners
    archived = list(client.owners(archived=True))
    assert active and all(Owner.model_validate(o).archived is False for o in active)
    assert all(o.get("archived") for o in archived)
    assert not {o["id"] for o in active} & {o["id"] for o in archived}
    owner = Owner.model_validate(active[0])
    assert owner.id and owner.email


def test_pipelines_come_with_stages(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    deals = [Pipeline.model_validate(p) for p in client.pipelines("deals")]
    assert deals and all(p.stages for p in deals)
    probabilities = [s.probability for p in deals for s in p.stages]
    assert all(x is None or 0.0 <= x <= 1.0 for x in probabilities) and any(
        x is not None for x in probabilities
    )
    tickets = [Pipeline.model_validate(p) for p in client.pipelines("tickets")]
    assert tickets and any(s.metadata.get("ticketState") for p in tickets for s in p.stages)
