"""A mart's contract: the pydantic model (in `hubspot_assets.models.contracts`, named by the YAML's
`config.contract`) every row of the mart must satisfy. `validate_contract` checks the rows; `contract_mismatches`
tells where the YAML's column list and the contract's fields disagree (a test keeps them equal)."""

from __future__ import annotations

import importlib
from typing import Any

import duckdb
from pydantic import BaseModel, TypeAdapter, ValidationError

from hubspot_assets.models.data_tests import SAMPLE_ROWS, ModelTest, TestResult, json_ready
from hubspot_assets.models.materialize import first_row
from hubspot_assets.models.project import Model

CONTRACTS_MODULE = "hubspot_assets.models.contracts"
CONTRACT_CHECK = "contract"
_BATCH = 10_000


def contract_test(model: Model) -> ModelTest:
    """The contract check of `model` as a test (severity error: the rows break what analysts rely on)."""
    return ModelTest(name=CONTRACT_CHECK, model=model.name, column=None, kind="contract", severity="error",
                     args={"contract": model.contract})


def contract_class(name: str, module: str = CONTRACTS_MODULE) -> type[BaseModel]:
    """The pydantic model `name` of `module`; raises LookupError saying what is missing."""
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError as error:
        raise LookupError(f"contract {name!r}: cannot import {module} ({error})") from None
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise LookupError(f"contract {name!r}: {module} has no pydantic model named {name}")
    return found


def validate_contract(connection: duckdb.DuckDBPyConnection, model: Model, contract_cls: type[BaseModel], *,
                      full_below: int = 50_000, sample: int = 10_000, where: str | None = None) -> TestResult:
    """Validate the rows of `model` (those matching `where`, else all) against `contract_cls`: every row when they
    are at most `full_below`, else a random sample of `sample` rows (`failing_rows` then counts the sample's). The
    sample of failures gives each row's key and pydantic's errors."""
    query = f"SELECT * FROM {model.relation}" + (f" WHERE {where}" if where else "")
    total = int(first_row(connection, f"SELECT count(*) FROM ({query})")[0])
    if total > full_below:  # sampled from the rows `where` keeps (DuckDB samples before a WHERE of the same query)
        query = f"SELECT * FROM ({query}) USING SAMPLE reservoir({int(sample)} ROWS) REPEATABLE (42)"
    adapter = TypeAdapter(contract_cls)
    cursor = connection.execute(query)
    names = [d[0] for d in cursor.description]
    failing, examples = 0, []
    while batch := cursor.fetchmany(_BATCH):
        for values in batch:
            row = dict(zip(names, values, strict=True))
            try:
                adapter.validate_python(row)
            except ValidationError as error:
                failing += 1
                if len(examples) < SAMPLE_ROWS:
                    examples.append(_failure(model, row, error))
    return TestResult(contract_test(model), passed=failing == 0, failing_rows=failing, sample=examples)


def _failure(model: Model, row: dict[str, Any], error: ValidationError) -> dict[str, Any]:
    key = model.unique_key or next(iter(row))
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in error.errors())
    return {key: json_ready(row.get(key)), "errors": problems}


def contract_mismatches(model: Model, contract_cls: type[BaseModel]) -> list[str]:
    """How the YAML's columns of `model` differ from the contract's fields (empty when they agree)."""
    columns = [c.name for c in model.columns]
    fields = list(contract_cls.model_fields)
    problems = []
    if missing := [f for f in fields if f not in columns]:
        problems.append(f"{model.name}: fields of {contract_cls.__name__} without a YAML column: {', '.join(missing)}")
    if extra := [c for c in columns if c not in fields]:
        problems.append(f"{model.name}: YAML columns not in {contract_cls.__name__}: {', '.join(extra)}")
    return problems
