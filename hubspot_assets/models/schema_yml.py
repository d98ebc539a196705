"""The YAML file of a model folder (`schema.yml`), in dbt's shape, read with PyYAML and checked with pydantic:

    version: 2
    models:
      - name: customers
        description: ...
        config: {materialized: incremental, unique_key: customer_id, changed_keys: {...}, contract: Customer}
        columns:
          - name: customer_id
            tests: [unique, not_null, {accepted_values: {values: [a, b], config: {severity: warn}}}]
        tests: [customers_have_one_primary_company]

A test entry is a kind's name, or `{kind: {its arguments..., config: {severity: warn}}}`; dbt's `data_tests:` is
read like `tests:`, and dbt 1.10's `arguments:` block like arguments given inline. Keys this project does not know
are errors (a misspelt `materialised` would otherwise be silently ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from hubspot_assets.models.errors import ModelError

Materialized = Literal["view", "table", "incremental"]


class _Strict(BaseModel):
    # dbt's free-form keys are accepted and ignored; anything else is a mistake worth an error.
    model_config = ConfigDict(extra="forbid", frozen=True)

    meta: dict[str, Any] | None = None
    tags: list[str] | str | None = None
    docs: dict[str, Any] | None = None


class ChangedKeyEntry(_Strict):
    """`changed_keys` value in long form: the key expression, the columns whose hash tells a row changed, and a
    join (`through`) from the input's rows (`_row`) to what names the key."""

    key: str
    version: list[str] | None = Field(default=None, min_length=1)
    through: str | None = None


class ModelConfigEntry(_Strict):
    materialized: Materialized | None = None
    unique_key: str | None = None
    changed_keys: dict[str, str | ChangedKeyEntry] = Field(default_factory=dict)
    contract: str | None = None
    optional_inputs: dict[str, str] = Field(default_factory=dict)


class ColumnEntry(_Strict):
    name: str
    description: str | None = None
    data_type: str | None = None
    tests: list[str | dict[str, Any]] = Field(default_factory=list,
                                              validation_alias=AliasChoices("tests", "data_tests"))


class ModelEntry(_Strict):
    name: str
    description: str | None = None
    config: ModelConfigEntry = Field(default_factory=ModelConfigEntry)
    columns: list[ColumnEntry] = Field(default_factory=list)
    tests: list[str | dict[str, Any]] = Field(default_factory=list,
                                              validation_alias=AliasChoices("tests", "data_tests"))


class SchemaFile(_Strict):
    version: int = 2
    models: list[ModelEntry] = Field(default_factory=list)

    @field_validator("models", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


def read_schema_file(path: Path, *, shown: str) -> SchemaFile:
    """The YAML file at `path`; raises `ModelError` starting with `shown` (its path as the user knows it) for bad
    YAML or an entry of the wrong shape, saying where."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ModelError(f"{shown}: not valid YAML: {error}") from None
    try:
        return SchemaFile.model_validate(data or {})
    except ValidationError as error:
        problems = "; ".join(f"{_location(data, item['loc'])}: {item['msg']}" for item in error.errors())
        raise ModelError(f"{shown}: {problems}") from None


def _location(data: Any, loc: tuple[Any, ...]) -> str:
    """`models[customers].columns[customer_id].tests[0]` rather than pydantic's `models.3.columns.0.tests.0`."""
    parts, node = [], data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(f"[{name}]" if name else f"[{step}]")
        elif isinstance(step, str) and not step.startswith(("str", "dict")):  # pydantic's union branch names
            node = node.get(step) if isinstance(node, dict) else None
            parts.append(f".{step}" if parts else step)
    return "".join(parts) or "the file"
