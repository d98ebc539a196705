"""Building models: each selected model in build order, its tests right after it, and nothing on top of bad data.

A model whose SQL fails, or whose `severity: error` test (or contract) fails, blocks every model downstream of it:
they are not built this time (mode `blocked`) and keep their last build. Models that do not read it are built as
usual, so one broken model never stops the others. `warn` tests are reported and block nothing.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import duckdb
from pydantic import BaseModel

from hubspot_assets.models.contracts_check import contract_class, contract_test, validate_contract
from hubspot_assets.models.data_tests import ModelTest, TestResult, changed_rows_sql, quote, run_test
from hubspot_assets.models.errors import ModelBuildError
from hubspot_assets.models.incremental import ChangedKeys, build_incremental, release_changed_keys, whole_fingerprint
from hubspot_assets.models.lineage import Versions, content_version, replaced_content, table_content
from hubspot_assets.models.materialize import build_table, build_view, relation_columns, relation_type, row_count
from hubspot_assets.models.optional_inputs import with_missing_inputs_empty
from hubspot_assets.models.project import RAW_SCHEMA, Model, ModelProject
from hubspot_assets.models.state import (
    BuildState,
    StoredCheck,
    built_content,
    built_version,
    ensure_state,
    record_version,
    store_checks,
    stored_checks,
    write_state,
)

__all__ = ["ModelBuildError", "ModelResult", "TestResult", "build_models"]

Mode = Literal["view", "table", "full", "incremental", "up to date", "blocked", "failed"]


@dataclass(frozen=True)
class ModelResult:
    """What happened to one model: `mode` (`full` / `incremental` for an incremental model), rows after the build,
    its columns with DuckDB's types, its checks; `error` says why it failed or was blocked. `changed_keys` is the
    number of keys an incremental build rebuilt, `input_changes` how it found each listed input's changes (`same`:
    the input was as at the last build; `since`: from the keys the input's own incremental build rebuilt; `scan`:
    every key's fingerprint compared). `phases`: seconds spent deciding whether it is up to date (`versions`),
    building it (`build`), running its tests (`tests`) and its contract (`contract`); `seconds` is all of them."""

    model: Model
    mode: Mode
    rows: int | None = None
    seconds: float = 0.0
    columns: list[tuple[str, str]] = field(default_factory=list)
    checks: list[TestResult] = field(default_factory=list)
    error: str | None = None
    changed_keys: int | None = None
    input_changes: dict[str, str] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)

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
            result = _build_and_test(connection, model, present, versions, full_refresh=full_refresh,
                                     contracts=contracts)
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


def _build_and_test(connection: duckdb.DuckDBPyConnection, model: Model, present: set[str], versions: Versions, *,
                    full_refresh: bool, contracts: Mapping[str, type[BaseModel]] | None) -> ModelResult:
    started = time.perf_counter()
    version = versions.wanted(model.relation)
    built_from = built_content(connection, model.relation)
    phases = {"versions": time.perf_counter() - started}
    started = time.perf_counter()
    try:
        if not full_refresh and _up_to_date(connection, model, version):
            mode, changed = "up to date", None
            if built_from is None:  # a build that stopped before recording what it holds
                record_version(connection, model.relation, version, _content(connection, model, None, None))
        else:
            mode, changed = _build(connection, model, present, versions, built_from, full_refresh=full_refresh)
            record_version(connection, model.relation, version, _content(connection, model, built_from, changed))
    except (duckdb.Error, ModelBuildError) as error:
        release_changed_keys(connection)
        message = str(error) if isinstance(error, ModelBuildError) else str(ModelBuildError(f"{model.shown_path}: {error}"))
        phases["build"] = time.perf_counter() - started
        return ModelResult(model, "failed", seconds=sum(phases.values()), error=message, phases=phases)
    try:
        rows = row_count(connection, model.relation)
        columns = relation_columns(connection, model.schema, model.name)
        phases["build"] = time.perf_counter() - started
        since = _Since(built_from, changed) if changed is not None and built_from is not None else None
        checks = _checks(connection, model, versions, contracts, phases, since)
    finally:
        release_changed_keys(connection)
    return ModelResult(model, mode, rows=rows, seconds=sum(phases.values()), columns=columns, checks=checks,
                       changed_keys=None if changed is None else changed.count,
                       input_changes={} if changed is None else dict(changed.inputs), phases=phases)


def _content(connection: duckdb.DuckDBPyConnection, model: Model, built_from: str | None,
             changed: ChangedKeys | None) -> str | None:
    """What a table or incremental model holds after its build (lineage.py); None for a view."""
    if model.materialized == "view":
        return None
    if changed is not None and built_from is not None:
        return replaced_content(built_from, changed.removed, changed.added)
    return content_version(*table_content(connection, model.relation))


@dataclass(frozen=True)
class _Since:
    """An incremental build changed only `keys` of the model as it was at `version` (its last build): a check that
    passed on that version, and reads nothing else that changed, needs to look at those keys' rows only."""

    version: str
    keys: ChangedKeys


def check_version(versions: Versions, what: str, reads: Iterable[str], *, model: str | None = None,
                  model_version: str | None = None) -> str:
    """The version a check runs on: `what` it runs (its SQL; a contract's source) and the versions of the
    relations it reads (the relation `model` taken at `model_version` when given). The same version gives the
    same result."""
    def version_of(relation: str) -> str:
        return model_version if relation == model and model_version is not None else versions.of(relation)

    parts = [what, *(f"{r}={version_of(r)}" for r in sorted(set(reads)))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _checks(connection: duckdb.DuckDBPyConnection, model: Model, versions: Versions,
            contracts: Mapping[str, type[BaseModel]] | None, phases: dict[str, float],
            since: _Since | None) -> list[TestResult]:
    """The model's tests, then its contract: each run, unless what it reads is as it was at its last run, whose
    result is then reused (a check that could not run is always run again); after an incremental build, a check
    that passed on the model before it and reads nothing else that changed runs on the rebuilt keys' rows only."""
    stored = stored_checks(connection, model.relation)
    kept: dict[str, StoredCheck] = {}
    checks = []

    def check(name: str, what: str, reads: list[str], run: Callable[[_Since | None], TestResult],
              test: ModelTest) -> TestResult:
        version = check_version(versions, what, reads)
        previous = stored.get(name)
        if previous is not None and previous.version == version:
            result = TestResult(test, previous.passed, previous.failing_rows, previous.sample, reused=True)
        elif previous is not None and previous.passed and since is not None and previous.version == check_version(
                versions, what, reads, model=model.relation, model_version=since.version):
            result = run(since)
        else:
            result = run(None)
        if result.error is None:
            kept[name] = StoredCheck(version, result.passed, result.failing_rows, result.sample)
        return result

    started = time.perf_counter()
    for test in model.all_tests:
        what, reads = _what_test_reads(connection, model, test)
        checks.append(check(test.name, what, reads,
                            lambda since, test=test: _test_result(connection, model, test, since), test))
    phases["tests"] = time.perf_counter() - started
    if model.contract:
        started = time.perf_counter()
        test = contract_test(model)
        cls = _contract_class(model, contracts)
        if isinstance(cls, TestResult):
            checks.append(cls)
        else:
            what = f"contract {cls.__module__}.{cls.__qualname__}\n{_source(cls)}"
            checks.append(check(test.name, what, [model.relation],
                                lambda since: _contract_result(connection, model, cls, since), test))
        phases["contract"] = time.perf_counter() - started
    store_checks(connection, model.relation, kept)
    return checks


def _what_test_reads(connection: duckdb.DuckDBPyConnection, model: Model, test: ModelTest) -> tuple[str, list[str]]:
    """What a test's result depends on: its SQL and the relations it reads; of a `relationships` test's target,
    only the values of its field (a target rebuilt or updated with the same ids leaves the test as it was)."""
    if test.kind != "relationships":
        return test.sql, [model.relation, *test.inputs]
    target, field = test.args["to"], test.args["field"]
    return f"{test.sql}\n{target}.{field}={whole_fingerprint(connection, target, (field,))}", [model.relation]


def _test_result(connection: duckdb.DuckDBPyConnection, model: Model, test: ModelTest,
                 since: _Since | None) -> TestResult:
    """`test` on every row, or with `since` on the rows of the rebuilt keys when its kind allows."""
    sql = None if since is None else changed_rows_sql(test, model.relation, model.unique_key or "", since.keys.sql)
    if sql is None:
        return run_test(connection, test)
    return replace(run_test(connection, test, sql), on_changed_keys=since.keys.count)


def _source(cls: type) -> str:
    """The source of the module defining `cls` (its validators may call anything there), or its schema."""
    try:
        return inspect.getsource(sys.modules[cls.__module__])
    except (KeyError, OSError, TypeError):
        return json.dumps(cls.model_json_schema(), sort_keys=True, default=str)  # type: ignore[attr-defined]


def _up_to_date(connection: duckdb.DuckDBPyConnection, model: Model, version: str) -> bool:
    """A table or incremental model built from the same definition and inputs as now (a view costs nothing to
    create again)."""
    return (model.materialized != "view" and built_version(connection, model.relation) == version
            and relation_type(connection, model.schema, model.name) == "BASE TABLE")


def _build(connection: duckdb.DuckDBPyConnection, model: Model, present: set[str], versions: Versions,
           built_from: str | None, *, full_refresh: bool) -> tuple[Mode, ChangedKeys | None]:
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
        keys = {r: m.unique_key for r in model.inputs
                if (m := versions.project.by_relation.get(r)) is not None and m.materialized == "incremental"}
        return build_incremental(connection, model, sql, full_refresh=full_refresh, missing=missing,
                                 versions={r: versions.of(r) for r in model.inputs},
                                 input_keys={r: k for r, k in keys.items() if k}, built_from=built_from)

    def record() -> None:
        write_state(connection, model.relation, BuildState(model.definition_hash))

    if model.materialized == "view":
        build_view(connection, model.schema, model.name, sql, record)
        return "view", None
    build_table(connection, model.schema, model.name, sql, record)
    return "table", None


def _contract_class(model: Model, contracts: Mapping[str, type[BaseModel]] | None) -> type[BaseModel] | TestResult:
    """The pydantic model of `model`'s contract, or a failed check saying why there is none."""
    name = model.contract or ""
    try:
        if contracts is None:
            return contract_class(name)
        if name in contracts:
            return contracts[name]
        raise LookupError(f"contract {name!r}: not among the contracts given ({', '.join(contracts)})")
    except LookupError as error:
        return TestResult(contract_test(model), passed=False, failing_rows=0, error=str(error).strip("'\""))


def _contract_result(connection: duckdb.DuckDBPyConnection, model: Model, cls: type[BaseModel],
                     since: _Since | None) -> TestResult:
    where = None if since is None else f"{quote(model.unique_key or '')} IN {since.keys.sql}"
    try:
        result = validate_contract(connection, model, cls, where=where)
    except duckdb.Error as error:
        return TestResult(contract_test(model), passed=False, failing_rows=0, error=str(error).strip("'\""))
    return result if since is None else replace(result, on_changed_keys=since.keys.count)
