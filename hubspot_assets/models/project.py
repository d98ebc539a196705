"""`dbt_like_models/` read into models: one per `.sql` file (the file stem is the model's name), the folder's YAML
for descriptions, configuration and tests, and the order to build them in, from the tables each SQL reads.

    dbt_like_models/staging/*.sql       -> schema hubspot_staging (views unless configured otherwise)
    dbt_like_models/intermediate/*.sql  -> schema hubspot_staging (tables)
    dbt_like_models/marts/*.sql         -> schema hubspot (tables)
    dbt_like_models/tests/*.sql         -> custom data tests (one SELECT of the failing rows)

Every problem is a `ModelError` raised here, before anything is built, naming the file to fix.
"""

from __future__ import annotations

import graphlib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from hubspot_assets.models.data_tests import GENERIC_KINDS, ModelTest, Severity, TestResult, generic_test_sql
from hubspot_assets.models.dependencies import columns_by_table, parse_select, selected_columns, table_references
from hubspot_assets.models.errors import ModelError
from hubspot_assets.models.schema_yml import ChangedKeyEntry, ModelEntry, read_schema_file
from hubspot_assets.sources.settings import DATASET_NAME, FIXED_TABLES

__all__ = ["ChangedKey", "ColumnSpec", "Model", "ModelError", "ModelProject", "ModelTest", "TestResult",
           "load_project", "DEFAULT_MODELS_DIR", "FOLDER_SCHEMAS", "RAW_SCHEMA"]

DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "dbt_like_models"
RAW_SCHEMA = DATASET_NAME
FOLDER_SCHEMAS = {"staging": "hubspot_staging", "intermediate": "hubspot_staging", "marts": "hubspot"}
TESTS_FOLDER = "tests"
DEFAULT_MATERIALIZED = {"staging": "view", "intermediate": "table", "marts": "table"}
# Lower case only: DuckDB folds unquoted names, so `Customers.sql` and `customers.sql` would be one table.
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class ChangedKey:
    """How rows of one input of an incremental model map to the model's key: `key`, a SQL expression over the
    input's columns; `version`, the columns whose hash tells that a row changed (None: every column); `through`,
    a join from the input's rows (alias `_row`) to other inputs of the model when they are what names the key
    (`hubspot_staging.stg_messages AS message ON message.thread_id = _row.thread_id`: a thread's row counts for
    each of its messages)."""

    key: str
    version: tuple[str, ...] | None = None
    through: str | None = None


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    description: str | None
    tests: tuple[ModelTest, ...] = ()


@dataclass(frozen=True)
class Model:
    """One model: `relation` (`schema.name`) is where it is built; `inputs` the relations its SQL reads."""

    name: str
    folder: str
    path: Path
    sql: str
    schema: str
    materialized: str
    unique_key: str | None
    changed_keys: dict[str, ChangedKey]
    contract: str | None
    description: str | None
    columns: tuple[ColumnSpec, ...]
    tests: tuple[ModelTest, ...]
    inputs: tuple[str, ...]
    optional_inputs: dict[str, str] = field(default_factory=dict)
    shown_path: str = ""
    # the columns the SQL may read of each input (`dependencies.columns_by_table`); None for an input: any of its
    # columns, None here: any column of any input
    read_columns: dict[str, frozenset[str] | None] | None = None

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def all_tests(self) -> tuple[ModelTest, ...]:
        """The column tests, then the model's own."""
        return tuple(t for c in self.columns for t in c.tests) + self.tests

    @property
    def definition_hash(self) -> str:
        """Changes whenever the SQL or the configuration that shapes the built table does (an incremental model is
        then rebuilt in full)."""
        config = {"materialized": self.materialized, "unique_key": self.unique_key,
                  "changed_keys": {k: [v.key, v.version, v.through] for k, v in sorted(self.changed_keys.items())},
                  "optional_inputs": self.optional_inputs}
        return hashlib.sha256(f"{self.sql}\n{json.dumps(config, sort_keys=True)}".encode()).hexdigest()


@dataclass(frozen=True)
class ModelProject:
    """Every model by name and `order`, an order to build them in (each after the models it reads, and after the
    models its tests read)."""

    models: dict[str, Model]
    order: tuple[str, ...]
    folder: Path = DEFAULT_MODELS_DIR

    @cached_property
    def by_relation(self) -> dict[str, Model]:
        return {m.relation: m for m in self.models.values()}

    @property
    def raw_tables(self) -> set[str]:
        """The `hubspot_raw` tables the models and their tests read (table names, no schema)."""
        relations = {r for m in self.models.values() for r in (*m.inputs, *(i for t in m.all_tests for i in t.inputs))}
        return {r.split(".", 1)[1] for r in relations if r.startswith(f"{RAW_SCHEMA}.")}

    def parents(self, name: str) -> tuple[str, ...]:
        """The models `name`'s SQL reads."""
        return tuple(self.by_relation[r].name for r in self.models[name].inputs if r in self.by_relation)

    def upstream(self, name: str) -> tuple[str, ...]:
        """Every model `name` reads, directly or not, in build order."""
        found: set[str] = set()
        pending = list(self.parents(name))
        while pending:
            parent = pending.pop()
            if parent not in found:
                found.add(parent)
                pending.extend(self.parents(parent))
        return tuple(n for n in self.order if n in found)

    def downstream(self, name: str) -> tuple[str, ...]:
        """Every model that reads `name`, directly or not, in build order."""
        return tuple(n for n in self.order if name in self.upstream(n))

    def select(self, spec: str | None) -> list[Model]:
        """The models a selection names, in build order: None or "" is every model; otherwise comma-separated
        items, each a model name (or `schema.name`), a folder (`staging`, `intermediate`, `marts`), `+name` (it and
        the models it reads), `name+` (it and the models reading it). Raises `ModelError` for an unknown item."""
        if not spec or not spec.strip():
            return [self.models[n] for n in self.order]
        chosen: set[str] = set()
        for item in (part.strip() for part in spec.split(",")):
            if item:
                chosen |= self._selected(item)
        return [self.models[n] for n in self.order if n in chosen]

    def _selected(self, item: str) -> set[str]:
        with_upstream, with_downstream = item.startswith("+"), item.endswith("+")
        target = item.strip("+")
        if target in FOLDER_SCHEMAS and not (with_upstream or with_downstream):
            return {m.name for m in self.models.values() if m.folder == target}
        model = self.models.get(target) or self.by_relation.get(target)
        if model is None:
            raise ModelError(
                f"--select {item!r}: no model or folder named {target!r}; give a model name ("
                f"{', '.join(self.order[:5]) or 'none yet'}{', ...' if len(self.order) > 5 else ''}), a folder "
                f"({', '.join(FOLDER_SCHEMAS)}), +name (with its upstream models) or name+ (with its downstream)"
            )
        chosen = {model.name}
        if with_upstream:
            chosen |= set(self.upstream(model.name))
        if with_downstream:
            chosen |= set(self.downstream(model.name))
        return chosen


# ---- loading ------------------------------------------------------------------------------------------------


def load_project(folder: Path = DEFAULT_MODELS_DIR, connection: duckdb.DuckDBPyConnection | None = None) -> ModelProject:
    """Read every model of `folder`. With a warehouse `connection`, a `hubspot_raw` table must be one the source
    writes or the warehouse holds (a custom object's); without one, any `hubspot_raw.*` name is accepted.

    Raises `ModelError` naming the file for: a file name that is not a lower-case identifier, a name used twice, SQL
    sqlglot cannot parse or that is not one SELECT, an unqualified or unknown table, a cycle, a YAML entry without
    its `.sql` file, an unknown test kind or custom test, a column test on a column the SQL does not select, an
    incremental model without `unique_key`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such models folder")
    raw_tables = _raw_tables(connection)
    custom_tests = _custom_tests(folder)
    models: dict[str, Model] = {}
    for name in FOLDER_SCHEMAS:
        for model in _folder_models(folder, name, custom_tests):
            if model.name in models:
                raise ModelError(f"{model.shown_path}: model name {model.name!r} is also "
                                 f"{models[model.name].shown_path}; rename one of the files")
            models[model.name] = model
    _reject_strays(folder)
    models = _attach_unnamed_tests(models, custom_tests)
    _check_references(models, raw_tables)
    return ModelProject(models=models, order=_build_order(models), folder=folder)


def _shown(folder: Path, path: Path) -> str:
    """A file's path as the user knows it: `dbt_like_models/marts/customers.sql`."""
    return f"{folder.name}/{path.relative_to(folder).as_posix()}"


def _raw_tables(connection: duckdb.DuckDBPyConnection | None) -> frozenset[str] | None:
    if connection is None:
        return None
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [RAW_SCHEMA]
    ).fetchall()
    return frozenset(FIXED_TABLES) | {row[0] for row in rows}


def _reject_strays(folder: Path) -> None:
    known = {*FOLDER_SCHEMAS, TESTS_FOLDER}
    for path in sorted(folder.rglob("*.sql")):
        if path.relative_to(folder).parts[0] not in known:
            raise ModelError(f"{_shown(folder, path)}: models live in {', '.join(f'{f}/' for f in FOLDER_SCHEMAS)} "
                             f"and tests in {TESTS_FOLDER}/; move the file into one of them")


@dataclass(frozen=True)
class _CustomTest:
    name: str
    shown: str
    sql: str
    inputs: tuple[str, ...]


def _custom_tests(folder: Path) -> dict[str, _CustomTest]:
    tests = {}
    for path in sorted((folder / TESTS_FOLDER).rglob("*.sql")):
        shown = _shown(folder, path)
        name = _file_name(path, shown)
        sql = path.read_text(encoding="utf-8")
        tree = parse_select(sql, file=shown)
        tests[name] = _CustomTest(name, shown, _without_semicolon(sql), table_references(tree, file=shown))
    return tests


def _file_name(path: Path, shown: str) -> str:
    if not _NAME.fullmatch(path.stem):
        raise ModelError(f"{shown}: {path.stem!r} cannot name a table: rename the file to lower-case letters, digits "
                         "and underscores, starting with a letter (e.g. stg_contacts.sql)")
    return path.stem


def _without_semicolon(sql: str) -> str:
    # The SQL is wrapped (CREATE ... AS <sql>, SELECT count(*) FROM (<sql>)): a trailing `;` would end it early.
    return sql.strip().rstrip(";").strip()


def _folder_models(root: Path, folder: str, custom_tests: Mapping[str, _CustomTest]) -> list[Model]:
    directory = root / folder
    if not directory.is_dir():
        return []
    entries = _yaml_entries(root, directory)
    files = {}
    for path in sorted(directory.rglob("*.sql")):
        shown = _shown(root, path)
        name = _file_name(path, shown)
        if name in files:
            raise ModelError(f"{shown}: model name {name!r} is also {_shown(root, files[name])}; rename one")
        files[name] = path
    for name, (entry, yaml_shown) in entries.items():
        if name not in files:
            raise ModelError(f"{yaml_shown}: model {name!r} has no SQL file: add {folder}/{name}.sql or remove "
                             "the entry")
    return [_model(root, folder, path, *entries.get(name, (None, "")), custom_tests) for name, path in files.items()]


def _yaml_entries(root: Path, directory: Path) -> dict[str, tuple[ModelEntry, str]]:
    entries: dict[str, tuple[ModelEntry, str]] = {}
    for path in sorted([*directory.rglob("*.yml"), *directory.rglob("*.yaml")]):
        shown = _shown(root, path)
        for entry in read_schema_file(path, shown=shown).models:
            if entry.name in entries:
                raise ModelError(f"{shown}: model {entry.name!r} is described twice (also in {entries[entry.name][1]})")
            entries[entry.name] = (entry, shown)
    return entries


def _model(root: Path, folder: str, path: Path, entry: ModelEntry | None, yaml_shown: str,
           custom_tests: Mapping[str, _CustomTest]) -> Model:
    shown = _shown(root, path)
    sql = _without_semicolon(path.read_text(encoding="utf-8"))
    tree = parse_select(sql, file=shown)
    inputs = table_references(tree, file=shown)
    entry = entry or ModelEntry(name=path.stem)
    config = entry.config
    schema = FOLDER_SCHEMAS[folder]
    relation = f"{schema}.{path.stem}"
    where = yaml_shown or shown
    materialized = config.materialized or DEFAULT_MATERIALIZED[folder]
    if materialized == "incremental" and not config.unique_key:
        raise ModelError(f"{where}: model {path.stem!r} is incremental but has no unique_key: set config.unique_key "
                         "to the column that identifies a row")
    changed_keys = {_relation_name(k): _changed_key(v) for k, v in config.changed_keys.items()}
    optional_inputs = {_relation_name(k): v for k, v in config.optional_inputs.items()}
    _check_inputs_named(where, path.stem, inputs, changed_keys, "changed_keys")
    for name, changed_key in changed_keys.items():
        _check_through(where, path.stem, name, changed_key, inputs)
    _check_inputs_named(where, path.stem, inputs, optional_inputs, "optional_inputs")
    for name, columns in optional_inputs.items():
        column_definitions(columns, where=f"{where}: optional_inputs {name}")
        if not name.startswith(f"{RAW_SCHEMA}."):
            raise ModelError(f"{where}: optional_inputs {name}: only {RAW_SCHEMA} tables may be missing (a model is "
                             "always built)")
    known = selected_columns(tree)
    columns: tuple[ColumnSpec, ...] = ()
    for c in entry.columns:
        tests = _deduplicated(_column_tests(where, path.stem, relation, c.name, c.tests, known), columns)
        columns = (*columns, ColumnSpec(c.name, c.description, tests))
    if known is not None and config.unique_key and config.unique_key.lower() not in known:
        raise ModelError(f"{where}: unique_key {config.unique_key!r} of {path.stem!r} is not a column its SQL selects "
                         f"({', '.join(known)})")
    tests = tuple(_model_tests(where, path.stem, relation, entry.tests, custom_tests, known))
    return Model(
        name=path.stem, folder=folder, path=path, sql=sql, schema=schema, materialized=materialized,
        unique_key=config.unique_key, changed_keys=changed_keys, contract=config.contract,
        description=entry.description, columns=columns, tests=_deduplicated(tests, columns), inputs=inputs,
        optional_inputs=optional_inputs, shown_path=shown, read_columns=columns_by_table(tree),
    )


def _relation_name(name: str) -> str:
    return name.strip().lower()


def _changed_key(value: str | ChangedKeyEntry) -> ChangedKey:
    if isinstance(value, ChangedKeyEntry):
        return ChangedKey(value.key, None if value.version is None else tuple(value.version), value.through)
    return ChangedKey(value)


def _check_through(where: str, model: str, relation: str, changed_key: ChangedKey, inputs: Iterable[str]) -> None:
    """A `through` join parses and reads only inputs of the model (they are built first, and their own changes
    are keys of their own)."""
    if changed_key.through is None:
        return
    shown = f"{where}: changed_keys of {model!r}, {relation}: through"
    tree = parse_select(f"SELECT 1 FROM {relation} AS _row JOIN {changed_key.through}", file=shown)
    if others := [t for t in table_references(tree, file=shown) if t != relation and t not in inputs]:
        raise ModelError(f"{shown} joins {', '.join(others)}, which the model's SQL does not read (it reads "
                         f"{', '.join(inputs)})")


def _check_inputs_named(where: str, model: str, inputs: Iterable[str], named: Mapping[str, Any], key: str) -> None:
    for relation in named:
        if relation not in inputs:
            raise ModelError(f"{where}: {key} of {model!r} names {relation}, which its SQL does not read (it reads "
                             f"{', '.join(inputs) or 'no table'})")


def column_definitions(columns: str, *, where: str) -> list[tuple[str, str]]:
    """`"object_id BIGINT, value VARCHAR"` as [(name, DuckDB type)]; raises `ModelError` when it is not a column
    list DuckDB would accept in CREATE TABLE."""
    try:
        tree = sqlglot.parse_one(f"CREATE TABLE t ({columns})", read="duckdb")
    except ParseError as error:
        raise ModelError(f"{where}: not a column list such as 'object_id BIGINT, value VARCHAR': {error}") from None
    found = [(c.name, c.args["kind"].sql(dialect="duckdb")) for c in tree.find_all(exp.ColumnDef) if c.args.get("kind")]
    if not found:
        raise ModelError(f"{where}: not a column list such as 'object_id BIGINT, value VARCHAR'")
    return found


# ---- tests --------------------------------------------------------------------------------------------------


def _severity(where: str, config: Any) -> Severity:
    severity = str((config or {}).get("severity", "error")).lower()
    if severity not in ("error", "warn"):
        raise ModelError(f"{where}: severity must be error or warn (got {severity!r})")
    return severity  # type: ignore[return-value]


def _split_entry(entry: str | dict[str, Any], where: str) -> tuple[str, dict[str, Any], Severity]:
    """A YAML test entry as (kind or custom test name, arguments, severity)."""
    if isinstance(entry, str):
        return entry, {}, "error"
    if len(entry) != 1:
        raise ModelError(f"{where}: a test is a name or one `name: {{arguments}}` mapping (got {entry!r})")
    [(name, body)] = entry.items()
    body = dict(body or {})
    config = body.pop("config", None) or {}
    if "severity" in body:
        config = {**config, "severity": body.pop("severity")}
    body = {**(body.pop("arguments", None) or {}), **body}
    return name, body, _severity(f"{where}: {name}", config)


def _column_tests(where: str, model: str, relation: str, column: str, entries: list[str | dict[str, Any]],
                  known: tuple[str, ...] | None) -> tuple[ModelTest, ...]:
    if entries and known is not None and column.lower() not in known:
        raise ModelError(f"{where}: {model}.{column} has tests but {model!r} selects no column {column!r} "
                         f"(it selects {', '.join(known)})")
    return tuple(_generic_test(f"{where}: {model}.{column}", model, relation, column, entry) for entry in entries)


def _generic_test(where: str, model: str, relation: str, column: str, entry: str | dict[str, Any]) -> ModelTest:
    kind, args, severity = _split_entry(entry, where)
    if kind not in GENERIC_KINDS:
        raise ModelError(f"{where}: unknown test {kind!r}: a column test is one of {', '.join(GENERIC_KINDS)} (a "
                         "custom SQL test goes under the model's own `tests:`)")
    args.pop("column_name", None)
    inputs: tuple[str, ...] = ()
    if kind == "accepted_values":
        values = args.get("values")
        if not isinstance(values, list) or not values:
            raise ModelError(f"{where}: accepted_values needs `values:`, a non-empty list")
    elif kind == "relationships":
        if not args.get("to") or not args.get("field"):
            raise ModelError(f"{where}: relationships needs `to:` (a table, e.g. hubspot.owners) and `field:`")
        try:
            args["to"] = _ref(str(args["to"]))
        except ModelError as error:
            raise ModelError(f"{where}: {error}") from None
        inputs = (args["to"],)
    elif args:
        raise ModelError(f"{where}: {kind} takes no arguments (got {', '.join(args)})")
    name = f"{kind}_{column}" if kind != "relationships" else f"relationships_{column}__{args['to'].split('.')[-1]}"
    sql = generic_test_sql(kind, relation, column, args)
    return ModelTest(name=name.lower(), model=model, column=column, kind=kind, severity=severity,  # type: ignore[arg-type]
                     args=args, sql=sql, inputs=inputs)


def _ref(target: str) -> str:
    if "(" in target:  # dbt's ref('owners'): there is no templating here
        raise ModelError(f"relationships `to: {target}`: name the table itself, e.g. `to: hubspot.owners`")
    return target.strip().lower()


def _model_tests(where: str, model: str, relation: str, entries: list[str | dict[str, Any]],
                 custom_tests: Mapping[str, _CustomTest], known: tuple[str, ...] | None) -> list[ModelTest]:
    tests = []
    for entry in entries:
        name, args, severity = _split_entry(entry, f"{where}: {model}")
        if name in GENERIC_KINDS:  # dbt's model-level form of a column test: `- unique: {column_name: id}`
            column = args.get("column_name")
            if not column:
                raise ModelError(f"{where}: {model}: a model-level {name} test needs `column_name:`")
            tests.extend(_column_tests(where, model, relation, column, [entry], known))
        elif name in custom_tests:
            custom = custom_tests[name]
            tests.append(ModelTest(name=name, model=model, column=None, kind="sql", severity=severity, args=args,
                                   sql=custom.sql, inputs=custom.inputs))
        else:
            raise ModelError(f"{where}: {model}: unknown test {name!r}: not one of {', '.join(GENERIC_KINDS)} and no "
                             f"file {TESTS_FOLDER}/{name}.sql")
    return tests


def _deduplicated(tests: Iterable[ModelTest], columns: tuple[ColumnSpec, ...]) -> tuple[ModelTest, ...]:
    """`tests`, renamed `<name>_2`, `<name>_3` where a name is taken by a test of `columns` or an earlier one of
    `tests` (check names are unique per asset)."""
    seen = {t.name for c in columns for t in c.tests}
    renamed = []
    for test in tests:
        name, n = test.name, 1
        while name in seen:
            n += 1
            name = f"{test.name}_{n}"
        seen.add(name)
        renamed.append(test if name == test.name else _renamed(test, name))
    return tuple(renamed)


def _renamed(test: ModelTest, name: str) -> ModelTest:
    return replace(test, name=name)


def _attach_unnamed_tests(models: dict[str, Model], custom_tests: Mapping[str, _CustomTest]) -> dict[str, Model]:
    """A custom test no YAML names belongs to the one model it reads; one reading several models (or none) must be
    named under the model it checks."""
    named = {t.name for m in models.values() for t in m.all_tests if t.kind == "sql"}
    by_relation = {m.relation: m for m in models.values()}
    attached = dict(models)
    for test in custom_tests.values():
        if test.name in named:
            continue
        readers = [by_relation[r] for r in test.inputs if r in by_relation]
        if len(readers) != 1:
            raise ModelError(
                f"{test.shown}: this test reads {len(readers)} models, so it is not clear which one it checks: list "
                f"`{test.name}` under `tests:` of that model in its folder's schema.yml"
            )
        model = attached[readers[0].name]
        extra = ModelTest(name=test.name, model=model.name, column=None, kind="sql", severity="error", sql=test.sql,
                          inputs=test.inputs)
        attached[model.name] = _with_tests(model, _deduplicated((*model.tests, extra), model.columns))
    return attached


def _with_tests(model: Model, tests: tuple[ModelTest, ...]) -> Model:
    return replace(model, tests=tests)


# ---- references and order -----------------------------------------------------------------------------------


def _check_references(models: Mapping[str, Model], raw_tables: frozenset[str] | None) -> None:
    by_relation = {m.relation: m for m in models.values()}
    for model in models.values():
        for relation in model.inputs:
            _check_known(model.shown_path, relation, by_relation, models, raw_tables)
        for test in model.all_tests:
            for relation in test.inputs:
                _check_known(f"{model.shown_path} (test {test.name})", relation, by_relation, models, raw_tables)


def _check_known(where: str, relation: str, by_relation: Mapping[str, Model], models: Mapping[str, Model],
                 raw_tables: frozenset[str] | None) -> None:
    if relation in by_relation:
        return
    schema, _, table = relation.partition(".")
    if schema == RAW_SCHEMA and (raw_tables is None or table in raw_tables):
        return
    hint = ""
    if table in models:
        hint = f"; the model {table!r} is {models[table].relation}"
    elif schema == RAW_SCHEMA:
        hint = f"; {RAW_SCHEMA} holds no such table (see docs/hubspot_raw.md)"
    elif schema in FOLDER_SCHEMAS.values():
        hint = f"; no model file {table}.sql"
    raise ModelError(f"{where}: unknown table {relation}{hint}")


def _build_order(models: Mapping[str, Model]) -> tuple[str, ...]:
    by_relation = {m.relation: m.name for m in models.values()}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in sorted(models, key=lambda n: (list(FOLDER_SCHEMAS).index(models[n].folder), n)):
        model = models[name]
        reads = {*model.inputs, *(i for t in model.all_tests for i in t.inputs)}
        sorter.add(name, *sorted(by_relation[r] for r in reads if r in by_relation and by_relation[r] != name))
    try:
        return tuple(sorter.static_order())
    except graphlib.CycleError as error:
        cycle = error.args[1]
        files = " -> ".join(models[n].shown_path for n in cycle)
        raise ModelError(f"{models[cycle[0]].shown_path}: models read each other in a cycle: {files}") from None
