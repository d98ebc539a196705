"""The repository's own dbt_like_models/: it loads, every contract named exists, and each mart's YAML columns are
its contract's fields."""

from __future__ import annotations

import dagster as dg

from hubspot_assets.models.contracts_check import contract_class, contract_mismatches
from hubspot_assets.models.project import DEFAULT_MODELS_DIR, load_project


def test_every_contract_exists_and_agrees_with_its_yaml_columns():
    project = load_project(DEFAULT_MODELS_DIR)
    problems = []
    for model in project.models.values():
        if model.contract:
            problems.extend(contract_mismatches(model, contract_class(model.contract)))
    assert problems == []


def test_every_mart_has_a_contract():
    project = load_project(DEFAULT_MODELS_DIR)
    assert [m.name for m in project.models.values() if m.folder == "marts" and not m.contract] == []


def test_the_code_location_has_an_asset_per_model_reading_only_assets_it_defines():
    from hubspot_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    project = load_project(DEFAULT_MODELS_DIR)
    keys = graph.get_all_asset_keys()
    assert {key.path[-1] for key in keys if key.path[0] in ("hubspot_staging", "hubspot")} == set(
        project.models)
    for name, model in project.models.items():
        node = graph.get(dg.AssetKey([model.schema, model.name]))
        assert node.parent_keys <= keys, f"{name} reads a table no asset writes: {node.parent_keys - keys}"
        assert node.automation_condition is not None

