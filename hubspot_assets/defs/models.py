"""The models of `dbt_like_models/` as Dagster assets: one subsettable op, `hubspot_models`, with one asset per model
(`hubspot_staging/<name>` for staging and intermediate models, `hubspot/<name>` for marts), an asset check per YAML
test and per contract, and the run body `models.runner.run_models` (the code of `hubspot-elt models build`).

- Each asset depends on the `hubspot_raw/<table>` assets and models its SQL reads; its description is the YAML's,
  its SQL and file are in the metadata, and each materialization carries the row count and the column schema
  (DuckDB's types, the YAML's descriptions).
- Checks of severity error are blocking: a failure stops the models downstream (the build engine skips them in the
  same op, and Dagster fails the step so no later run builds on bad data without it showing).
- Models refresh on their own: each asset has Dagster's eager automation condition, evaluated by the sensor
  `hubspot_models_automation`, which runs by default. After any run that materializes `hubspot_raw` tables (full,
  incremental, reconcile, a partial refresh) the models reading them are launched once the run ends. The sync jobs
  do not select the models themselves: a sync run observes, not materializes, the tables it wrote nothing for
  (property history off, a missing scope), and Dagster skips a step whose upstream asset was not materialized in
  the run -- the models would never build in a sync run.
- An optional input (YAML `config.optional_inputs`) may stay missing without holding its models back: the eager
  condition's "no upstream missing" part ignores it.

Loading the definitions reads the model files only (no warehouse, no API call): an unknown table, a cycle or a bad
YAML entry fails the code location load with the file named.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import dagster as dg
from pydantic import ValidationError

from hubspot_assets.defs.jobs import WAREHOUSE_POOL
from hubspot_assets.defs.metadata import COLUMN_SCHEMA, ROW_COUNT
from hubspot_assets.defs.resources import WarehouseResource, setting_values
from hubspot_assets.defs.translator import TABLE_NAME
from hubspot_assets.models.build import ModelResult
from hubspot_assets.models.cli import result_line
from hubspot_assets.models.contracts_check import CONTRACT_CHECK
from hubspot_assets.models.data_tests import TestResult
from hubspot_assets.models.project import Model, ModelProject, load_project
from hubspot_assets.models.runner import run_models
from hubspot_assets.settings import Settings, settings_error

MODELS_OP_NAME = "hubspot_models"
AUTOMATION_SENSOR = "hubspot_models_automation"
MODELS_JOB = "hubspot_models_build"


def model_key(model: Model) -> dg.AssetKey:
    return dg.AssetKey([model.schema, model.name])


def relation_key(project: ModelProject, relation: str) -> dg.AssetKey:
    """The asset of a relation a model reads: a model's, else `hubspot_raw/<table>`."""
    model = project.by_relation.get(relation)
    return model_key(model) if model is not None else dg.AssetKey(relation.split(".", 1))


def automation_condition(project: ModelProject, model: Model) -> dg.AutomationCondition:
    """Eager: build when an upstream asset was updated (once none is in progress), ignoring optional inputs
    that were never materialized."""
    eager = dg.AutomationCondition.eager()
    if not model.optional_inputs:
        return eager
    optional = dg.AssetSelection.assets(*(relation_key(project, r) for r in model.optional_inputs))
    missing = dg.AutomationCondition.any_deps_missing()
    return eager.replace(missing, missing.ignore(optional))


def declared_schema(model: Model) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(c.name, description=c.description) for c in model.columns])


def model_spec(project: ModelProject, model: Model) -> dg.AssetSpec:
    metadata: dict[str, Any] = {
        TABLE_NAME: model.relation,
        "materialized": model.materialized,
        "sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```"),
        "path": dg.MetadataValue.path(model.shown_path),
    }
    if model.columns:
        metadata[COLUMN_SCHEMA] = declared_schema(model)
    return dg.AssetSpec(
        key=model_key(model),
        deps=[relation_key(project, r) for r in model.inputs],
        description=model.description or f"Model {model.shown_path} (no description in its YAML yet).",
        group_name=model.folder,
        kinds={"duckdb"},
        metadata=metadata,
        automation_condition=automation_condition(project, model),
        skippable=True,
    )


def check_specs(project: ModelProject, model: Model) -> list[dg.AssetCheckSpec]:
    """One check per YAML test (blocking when its severity is error) and one `contract` check."""
    specs = [
        dg.AssetCheckSpec(
            name=test.name,
            asset=model_key(model),
            description=_test_description(test.kind, test.column, test.args),
            blocking=test.severity == "error",
            additional_deps=[relation_key(project, r) for r in test.inputs if r != model.relation],
        )
        for test in model.all_tests
    ]
    if model.contract:
        specs.append(dg.AssetCheckSpec(
            name=CONTRACT_CHECK, asset=model_key(model), blocking=True,
            description=f"Every row is a valid {model.contract} (hubspot_assets/models/contracts.py); all rows up "
                        "to 50,000, a random sample of 10,000 above.",
        ))
    return specs


def _test_description(kind: str, column: str | None, args: dict[str, Any]) -> str:
    if kind == "sql":
        return "Custom SQL test (dbt_like_models/tests/): passes when its query returns no row."
    if kind == "accepted_values":
        return f"{column} is one of {', '.join(map(str, args['values']))} (or null)."
    if kind == "relationships":
        return f"Every non-null {column} is a {args['field']} of {args['to']}."
    return f"{column} is {'unique' if kind == 'unique' else 'never null'}."


def warehouse_settings(warehouse: WarehouseResource) -> Settings:
    """The run's settings from the `warehouse` resource; a bad value fails the run, naming the variable."""
    try:
        return Settings(**setting_values(warehouse))
    except ValidationError as error:
        raise dg.Failure(description=settings_error(error)) from None


def check_result(model: Model, result: TestResult) -> dg.AssetCheckResult:
    metadata: dict[str, Any] = {"failing_rows": dg.MetadataValue.int(result.failing_rows)}
    if result.on_changed_keys is not None:  # ran on the rows of the keys an incremental build rebuilt
        metadata["rows_of_changed_keys"] = dg.MetadataValue.int(result.on_changed_keys)
    if result.reused:
        metadata["reused"] = True
    if result.sample:
        metadata["sample"] = dg.MetadataValue.json(result.sample)
    if result.error:
        metadata["error"] = dg.MetadataValue.text(result.error)
    severity = dg.AssetCheckSeverity.ERROR if result.test.severity == "error" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(asset_key=model_key(model), check_name=result.test.name, passed=result.passed,
                               severity=severity, metadata=metadata)


def materialization(result: ModelResult, selected_checks: Iterable[dg.AssetCheckKey]) -> dg.MaterializeResult:
    """The built model's row count, column schema (DuckDB types, YAML descriptions) and how it was built."""
    model = result.model
    described = {c.name: c.description for c in model.columns}
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind, description=described.get(name))
                                     for name, kind in result.columns])
    metadata: dict[str, Any] = {
        ROW_COUNT: dg.MetadataValue.int(result.rows or 0),
        COLUMN_SCHEMA: dg.MetadataValue.table_schema(schema),
        TABLE_NAME: model.relation,
        "mode": result.mode,
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
    }
    if result.changed_keys is not None:
        metadata["keys_rebuilt"] = dg.MetadataValue.int(result.changed_keys)
        # how each input's changes were found: why a build was quick or slow
        metadata["input_changes"] = dg.MetadataValue.json(result.input_changes)
    wanted = set(selected_checks)
    checks = [check_result(model, c) for c in result.checks
              if dg.AssetCheckKey(model_key(model), c.test.name) in wanted]
    return dg.MaterializeResult(asset_key=model_key(model), metadata=metadata, check_results=checks)


def build_models_assets(project: ModelProject) -> dg.AssetsDefinition:
    """The assets and checks of every model of `project`, in one subsettable op."""
    models = [project.models[name] for name in project.order]
    by_key = {model_key(m): m for m in models}

    @dg.multi_asset(
        name=MODELS_OP_NAME,
        specs=[model_spec(project, m) for m in models],
        check_specs=[spec for m in models for spec in check_specs(project, m)],
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def hubspot_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[Any]:
        """Build the selected models in the warehouse (run_models: writer lock, then the snapshot), with their
        tests."""
        settings = warehouse_settings(warehouse)
        selected = [by_key[key].name for key in context.selected_asset_keys if key in by_key]
        if not selected:
            return
        results = run_models(settings, select=",".join(selected), folder=project.folder,
                             on_result=lambda r: _log(context, r))
        for result in results:
            if result.mode not in ("blocked", "failed"):
                yield materialization(result, context.selected_asset_check_keys)
        failed = [r.error for r in results if r.mode == "failed"]
        if failed:
            raise dg.Failure(description="\n".join(e or "" for e in failed))

    return hubspot_models


def _log(context: dg.AssetExecutionContext, result: ModelResult) -> None:
    line = result_line(result).strip()
    (context.log.info if result.ok else context.log.warning)(line)


def models_definitions(project: ModelProject) -> dg.Definitions:
    """The models' assets, the sensor that runs their automation (on by default) and a job building them all."""
    if not project.models:
        return dg.Definitions()
    assets = build_models_assets(project)
    selection = dg.AssetSelection.assets(assets)
    return dg.Definitions(
        assets=[assets],
        sensors=[dg.AutomationConditionSensorDefinition(
            AUTOMATION_SENSOR, target=selection, default_status=dg.DefaultSensorStatus.RUNNING,
            description="Builds the models after the hubspot_raw tables (or models) they read change.",
        )],
        jobs=[dg.define_asset_job(MODELS_JOB, selection=selection,
                                  description="Build every model of dbt_like_models/ and run its tests.")],
    )


@dg.definitions
def hubspot_models() -> dg.Definitions:
    return models_definitions(load_project())
