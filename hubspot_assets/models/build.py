"""Building models: each selected model in build order, its tests right after it, and nothing on top of bad data.

A model whose SQL fails, or whose `severity: error` test (or contract) fails, blocks every model downstream of it:
they are not built this time (mode `blocked`) and keep their last build. Models that do not read it are built as
usual, so one broken model never stops the others. `warn` tests are reported and block nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import duckdb
from pydantic import BaseModel

from hubspot_assets.models.contracts_check import contract_class, contract_test, validate_contract
from hubspot_assets.models.data_tests import TestResult, run_test
from hubspot_assets.models.errors import ModelBuildError
from hubspot_assets.models.incremental import build_incremental
from hubspot_assets.models.lineage import Versions
from hubspot_assets.models.materialize import build_table, build_view, relation_columns, relation_type, row_count
from hubspot_assets.models.optional_inputs import with_missing_inputs_empty
from hubspot_assets.models.project import RAW_SCHEMA, Model, ModelProject
from hubspot_assets.models.state import BuildState, built_version, ensure_state, record_version, write_state

__all__ = ["ModelBuildError", "ModelResult", "TestResult", "build_models"]

Mode = Literal["view", "table", "full", "incremental", "up to date", "blocked", "failed"]


@dataclass(frozen=True)
class ModelResult:
    """What happened to one model: `mode` (`full` / `incremental` for an incremental model), rows after the build,
    its columns with DuckDB's types, its checks; `error` says why it failed or was blocked. `changed_keys` is the
    number of keys an incremental build rebuilt."""

    model: Model
    mode: Mode
    rows: int | None = None
    seconds: float = 0.0
    columns: list[tuple[str, str]] = field(default_factory=list)
    checks: list[TestResult] = field(default_factory=list)
    error: str | None = None
    changed_keys: int | None = None

    @property
    def failed_checks(self) -> list[TestResult]:
        return [c for c in self.checks if not c.passed]

    @property
    def blocking_failures(self) -> list[TestResult]:
        """The failed checks of severity error: they block the models downstream."""
        return [c for c in self.failed_checks if c.test.severity == "error"]

    @property
    def ok(self) -> bool:
        """Built, and no error-severity check failed."""
        return self.mode not in ("blocked", "failed") and not self.blocking_failures


def build_models(
    connection: duckdb.DuckDBPyConnection,
    project: ModelProject,
    *,
    select: str | None = None,
    full_refresh: bool = False,
    on_result: Callable[[ModelResult], None] | None = None,
    contracts: Mapping[str, type[BaseModel]] | None = None,
) -> list[ModelResult]:
    """Build the models `select` names (`ModelProject.select`; None: all) in build order and run their tests;
    `on_result` is called with each result as it is known. `contracts` maps contract names to pydantic models
    (default: `hubspot_assets.models.contracts`). Raises only for a bad selection (`ModelError`); a failing model
    is a result saying why."""
    chosen = project.select(select)
    ensure_state(connection)
    present = _raw_tables_present(connection)
    versions = Versions(connection, project, present)
    blocked: dict[str, str] = {}
    results = []
    for model in chosen:
        if model.name in blocked:
            result = ModelResult(model, "blocked", error=blocked[model.name])
        else:
            result = _build_and_test(connection, model, present, versions.of(model.relation),
                                     full_refresh=full_refresh, contracts=contracts)
        if not result.ok:
            why = f"blocked: upstream {model.relation} {_failure(result)}"
            for name in project.downstream(model.name):
                blocked.setdefault(name, why)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _failure(result: ModelResult) -> str:
    if result.mode == "failed":
        return "failed to build"
    if result.mode == "blocked":
        return "was blocked"
    return "failed " + ", ".join(c.test.name for c in result.blocking_failures)


def _raw_tables_present(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [RAW_SCHEMA]
    ).fetchall()
    return {f"{RAW_SCHEMA}.{row[0]}" for row in rows}


def _build_and_test(connection: duckdb.DuckDBPyConnection, model: Model, present: set[str], version: str, *,
                    full_refresh: bool, contracts: Mapping[str, type[BaseModel]] | None) -> ModelResult:
    started = time.perf_counter()
    try:
        if not full_refresh and _up_to_date(connection, model, version):
            mode, changed = "up to date", None
        else:
            mode, changed = _build(connection, model, present, full_refresh=full_refresh)
            record_version(connection, model.relation, version)
    except (duckdb.Error, ModelBuildError) as error:
        message = str(error) if isinstance(error, ModelBuildError) else str(ModelBuildError(f"{model.shown_path}: {error}"))
        return ModelResult(model, "failed", seconds=time.perf_counter() - started, error=message)
    rows = row_count(connection, model.relation)
    columns = relation_columns(connection, model.schema, model.name)
    seconds = time.perf_counter() - started
    checks = [run_test(connection, test) for test in model.all_tests]
    if model.contract:
        checks.append(_contract_result(connection, model, contracts))
    return ModelResult(model, mode, rows=rows, seconds=seconds, columns=columns, checks=checks, changed_keys=changed)


def _up_to_date(connection: duckdb.DuckDBPyConnection, model: Model, version: str) -> bool:
    """A table or incremental model built from the same definition and inputs as now (a view costs nothing to
    create again)."""
    return (model.materialized != "view" and built_version(connection, model.relation) == version
            and relation_type(connection, model.schema, model.name) == "BASE TABLE")


def _build(connection: duckdb.DuckDBPyConnection, model: Model, present: set[str], *,
           full_refresh: bool) -> tuple[Mode, int | None]:
    missing = {r: cols for r, cols in model.optional_inputs.items() if r not in present}
    absent = [r for r in model.inputs if r.startswith(f"{RAW_SCHEMA}.") and r not in present and r not in missing]
    if absent:
        raise ModelBuildError(
            f"{model.shown_path}: {', '.join(absent)} is not in the warehouse: run a sync that loads it (is its "
            "object type in HUBSPOT_OBJECTS?), or list it under config.optional_inputs with its columns to build "
            "the model without it"
        )
    sql = with_missing_inputs_empty(model.sql, missing, file=model.shown_path)
    if model.materialized == "incremental":
        return build_incremental(connection, model, sql, full_refresh=full_refresh, missing=missing)

    def record() -> None:
        write_state(connection, model.relation, BuildState(model.definition_hash))

    if model.materialized == "view":
        build_view(connection, model.schema, model.name, sql, record)
        return "view", None
    build_table(connection, model.schema, model.name, sql, record)
    return "table", None


def _contract_result(connection: duckdb.DuckDBPyConnection, model: Model,
                     contracts: Mapping[str, type[BaseModel]] | None) -> TestResult:
    name = model.contract or ""
    try:
        if contracts is None:
            cls = contract_class(name)
        elif name in contracts:
            cls = contracts[name]
        else:
            raise LookupError(f"contract {name!r}: not among the contracts given ({', '.join(contracts)})")
        return validate_contract(connection, model, cls)
    except (LookupError, duckdb.Error) as error:
        return TestResult(contract_test(model), passed=False, failing_rows=0, error=str(error).strip("'\""))
