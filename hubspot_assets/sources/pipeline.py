"""One extraction run, as the Dagster assets, `hubspot-elt sync`, the demo and the benchmarks all run it.

`prepare()` checks the settings against HubSpot before anything is written (a missing or revoked token, a wrong
base URL, an unknown object type in HUBSPOT_OBJECTS or HUBSPOT_PROPERTY_HISTORY each fail here with a message
that says what to set); `sync_session()` holds the writer lock, hands out the prepared dlt pipeline and source for
the caller to run, and publishes the read-only snapshot after. `run_sync()` is the whole run in one call (the CLI,
the demo, the benchmarks); the Dagster assets run the session's source through dagster-dlt instead.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.hubspot.errors import (
    ConnectionFailedError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
)
from hubspot_assets.hubspot.logging import HTTP_LOGGER
from hubspot_assets.settings import Settings
from hubspot_assets.sources import hubspot
from hubspot_assets.sources.catalog import (
    ALL_LINKS,
    ObjectCatalog,
    discover_catalog,
    parse_property_history,
    recent_catalog,
    remember_catalog,
)
from hubspot_assets.sources.columns import field_value
from hubspot_assets.sources.extraction import Extraction
from hubspot_assets.sources.settings import MODES, TABLE_THREADS
from hubspot_assets.sources.warehouse import (
    discard_unfinished_extracts,
    make_pipeline,
    publish_snapshot,
    require_extract_pool,
    writer_lock,
)

# Parquet, not insert statements: far faster for 300-property rows, and the Arrow tables go straight to it.
LOADER_FILE_FORMAT = "parquet"

log = logging.getLogger(__name__)


class SetupError(ValueError):
    """The settings cannot work (what to set is in the message)."""


@dataclass
class Prepared:
    client: Any
    catalog: ObjectCatalog
    property_history: dict[str, tuple[str, ...]]
    mode: str
    extraction: Extraction
    owns_client: bool = False  # `prepare` built the client, so the run closes it

    def close(self) -> None:
        """Stop counting this run's requests, and close the client if the run built it."""
        self.extraction.close()
        if self.owns_client:
            self.client.close()

    def source(self, custom_tables: Sequence[str] | None = None) -> Any:
        """The dlt source of this run (call once per run: the extraction state is shared by its resources).

        `custom_tables`: the custom object tables that get a resource each (see `hubspot(custom_tables=)`); None:
        one per custom object of the catalog."""
        return hubspot(extraction=self.extraction, mode=self.mode, custom_tables=custom_tables)


def split_objects(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [i.strip() for i in items if i and i.strip()]
    return names or None


def prepare(settings: Settings, *, mode: str = "incremental", objects: str | Sequence[str] | None = None,
            client: Any = None, record_ids: Mapping[str, Sequence[int | str]] | None = None,
            link_ids: LinkIds | None = None, skip_unloaded: bool = False) -> Prepared:
    """A client and the checked catalog for one run; raises on settings that cannot work.

    A partial refresh (`record_ids`, `link_ids`, see `hubspot()`) may name custom object types by their type id
    (`2-...`, as webhooks do); a type the run does not load is an error, or with `skip_unloaded` left out with a
    warning (webhook events of types HUBSPOT_OBJECTS leaves out).

    Raises `SetupError` (bad mode, object type or history spec) or the client's typed errors
    (`ConfigurationError` for missing credentials, `AuthenticationError` for a revoked token,
    `ConnectionFailedError`/`NotFoundError`/`MalformedResponseError` for a wrong HUBSPOT_BASE_URL).
    """
    if mode not in MODES:
        raise SetupError(f"sync mode must be one of {', '.join(MODES)} (got {mode!r})")
    objects_wanted = split_objects(objects if objects is not None else settings.objects)
    refresh = None if record_ids is None else _Refresh(record_ids, link_ids, skip_unloaded)
    if client is not None:
        return _prepare_with(settings, client, mode, objects_wanted, refresh)
    client = HubSpotClient.from_settings(settings)
    try:
        catalog = _reused_catalog(settings, objects_wanted, refresh) or _discover_fast(settings, objects_wanted)
        prepared = _prepare_with(settings, client, mode, objects_wanted, refresh, catalog=catalog)
    except BaseException:
        client.close()
        raise
    prepared.owns_client = True
    return prepared


def _prepare_with(settings: Settings, client: Any, mode: str, objects_wanted: list[str] | None,
                  refresh: _Refresh | None, catalog: ObjectCatalog | None = None) -> Prepared:
    if catalog is None:  # no quick probe made, or it met a transient error: ask with the patient client
        catalog = _discover(settings, client, objects_wanted)
    remember_catalog(_catalog_path(settings, objects_wanted), catalog)
    try:
        # A run narrowed to some types leaves the history of the others for the runs that load them; otherwise a
        # type the run does not know is a typo.
        history = parse_property_history(settings.property_history, None if objects_wanted else catalog)
    except ValueError as error:
        raise SetupError(str(error)) from error
    history = {t: props for t, props in history.items() if t in catalog.all}
    warnings = refresh.resolve(catalog) if refresh is not None else []
    extraction = Extraction(
        client,
        catalog,
        mode=mode,
        lookback_s=settings.lookback_s,
        warehouse=settings.absolute(settings.warehouse_path),
        refresh=refresh.records if refresh is not None else None,
        refresh_links=refresh.links if refresh is not None else None,
        credentials_id=credentials_id(settings),
        property_history=history,
    )
    extraction.warnings.extend(warnings)
    try:
        _check_history_properties(extraction, history)
    except BaseException:
        extraction.close()
        raise
    return Prepared(client, catalog, history, mode, extraction)


LinkIds = Mapping[str, Mapping[str, Sequence[int | str]]]


@dataclass
class _Refresh:
    """What a partial refresh names, until `resolve` puts it in the catalog's names."""

    records: Mapping[str, Sequence[int | str]]
    links: LinkIds | None
    skip_unloaded: bool

    def named_types(self) -> set[str]:
        links = self.links or {}
        return {*self.records, *links, *(t for targets in links.values() for t in targets)} - {ALL_LINKS}

    def known_to(self, catalog: ObjectCatalog) -> bool:
        """Whether `catalog` knows every type named (a type id it lacks may be a custom type created since)."""
        return self.named_types() <= {*catalog.all, *catalog.custom.values(), TABLE_THREADS}

    def resolve(self, catalog: ObjectCatalog) -> list[str]:
        """Name custom types as the catalog does (webhooks give type ids); leave out, or refuse, the types the run
        does not load. Returns the warnings of what was left out."""
        names = {type_id: name for name, type_id in catalog.custom.items()}
        loaded = {*catalog.all, TABLE_THREADS}
        unknown = sorted({names.get(t, t) for t in self.named_types()} - loaded)
        if unknown and not self.skip_unloaded:
            raise SetupError(f"a partial refresh names {', '.join(unknown)}, which this run does not load: name "
                             f"object types of the catalog ({', '.join(catalog.all)}) or threads")
        self.records = _loaded({names.get(t, t): ids for t, ids in self.records.items()}, loaded)
        if self.links is not None:
            self.links = _loaded({names.get(f, f): _loaded({names.get(t, t): ids for t, ids in targets.items()},
                                                             {*loaded, ALL_LINKS})
                                  for f, targets in self.links.items()}, loaded)
        return [f"left out of the partial refresh: {', '.join(unknown)} (not loaded by this run; see HUBSPOT_OBJECTS)"
                ] if unknown else []


def _loaded(by_type: Mapping[str, Any], loaded: set[str]) -> dict[str, Any]:
    return {t: value for t, value in by_type.items() if t in loaded}


def _check_history_properties(extraction: Extraction, history: Mapping[str, Sequence[str]]) -> None:
    """Fail fast on a property name in HUBSPOT_PROPERTY_HISTORY that the object type does not have (a typo would
    otherwise load nothing, silently). The definitions are cached for the run, so this costs no extra request."""
    for object_type, names in history.items():
        known = {field_value(p, "name") for p in extraction.properties(object_type)}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise SetupError(
                f"HUBSPOT_PROPERTY_HISTORY names {', '.join(repr(n) for n in unknown)}, which {object_type} does not "
                f"have; fix the property name(s) (GET /crm/v3/properties/{object_type} lists them)"
            )


def credentials_id(settings: Settings) -> str:
    """A short one-way fingerprint of the credentials (safe to store): "oauth" for the OAuth login, else a hash of
    the private-app token. Lets a run notice that the credentials changed, e.g. to retry a missing scope."""
    token = settings.access_token.get_secret_value() if settings.access_token is not None else ""
    if not token:
        return "oauth"
    return "token:" + hashlib.sha256(b"hubspot-elt credentials:" + token.encode()).hexdigest()[:12]


def _discover(settings: Settings, client: Any, objects: list[str] | None) -> ObjectCatalog:
    try:
        return discover_catalog(client, objects)
    except ValueError as error:
        raise SetupError(str(error)) from error
    except Exception as error:
        _explain_connection_error(settings, error)
        raise


CATALOG_REUSE_S = 3600  # how long a partial refresh trusts the object types the last run found


def _catalog_path(settings: Settings, objects: list[str] | None) -> Path:
    key = hashlib.sha256(f"{settings.base_url}|{','.join(objects or [])}".encode()).hexdigest()[:12]
    return settings.absolute(settings.state_dir) / f"catalog-{key}.json"


def _reused_catalog(settings: Settings, objects: list[str] | None, refresh: _Refresh | None) -> ObjectCatalog | None:
    """For a partial refresh: the catalog a recent run found, when it knows every type the refresh names."""
    if refresh is None:
        return None
    catalog = recent_catalog(_catalog_path(settings, objects), CATALOG_REUSE_S)
    return catalog if catalog is not None and refresh.known_to(catalog) else None


def _discover_fast(settings: Settings, objects: list[str] | None) -> ObjectCatalog | None:
    """The first call of a run, with at most two attempts: a wrong base URL, a bad token or a typo in
    HUBSPOT_OBJECTS fails in seconds rather than after minutes of retries. None when HubSpot answered with a
    transient error (rate limit, 5xx): the caller asks again with the normal retry policy."""
    quick = settings.model_copy(update={"retry_max_attempts": min(2, settings.retry_max_attempts),
                                        "retry_backoff_max_s": 1.0})
    probe = HubSpotClient.from_settings(quick)
    http_log = logging.getLogger(HTTP_LOGGER)
    level = http_log.level
    # The probe's retry lines would only repeat the error the run then raises (or the patient retry shows).
    http_log.setLevel(logging.ERROR)
    try:
        return _discover(quick, probe, objects)
    except (RateLimitError, ServerError):
        return None
    finally:
        http_log.setLevel(level)
        probe.close()


def _explain_connection_error(settings: Settings, error: Exception) -> None:
    """Add the base URL hint to errors that mean "this is not a HubSpot API" (wrong HUBSPOT_BASE_URL)."""
    if isinstance(error, (ConnectionFailedError, MalformedResponseError, NotFoundError, RequestTimeoutError)):
        hint = (
            f"is HUBSPOT_BASE_URL right? It is {settings.base_url!r}; use https://api.hubapi.com for HubSpot "
            "or the sandbox URL (e.g. http://127.0.0.1:8765)"
        )
        if hint not in (error.hint or ""):
            error.hint = f"{error.hint}; {hint}" if error.hint else hint


class _ExpectedScopeErrors(logging.Filter):
    """Drops the client's warning line for a transcript read refused for lack of scope: the run's report carries
    one note saying so instead (shown once by the CLI or the Dagster asset)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = getattr(record, "hubspot", None)
        if isinstance(fields, dict) and fields.get("error") == "MissingScopesError":
            return "transcript" not in str(fields.get("endpoint", ""))
        return True


_SCOPE_FILTER = _ExpectedScopeErrors()


def finish_pending(pipeline: Any) -> None:
    """Clear and finish what a run killed half-way left behind: the files of an extraction that never completed
    are removed (dlt never reads them; `discard_unfinished_extracts`), and a completed package that was not yet
    loaded (extracted or normalized) is loaded. Call it with the writer lock held.

    dlt's `run()` with pending data only loads that package and extracts nothing, so a run after a crash would
    silently skip its own extraction; finishing the package first lets the same run then extract as usual.
    """
    discard_unfinished_extracts(pipeline)
    if pipeline.has_pending_data:
        log.warning("finishing the load of a previous run that stopped half-way (%s)", pipeline.pipeline_name)
        info = pipeline.run(loader_file_format=LOADER_FILE_FORMAT)
        if info is not None:  # None: restoring the state from the warehouse already dropped the stale package
            info.raise_on_failed_jobs()


def normalized_row_counts(pipeline: Any) -> dict[str, int]:
    """Rows per table normalized by the pipeline's last run ({} when it normalized nothing)."""
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace is not None else None
    return dict(info.row_counts) if info is not None else {}


@dataclass
class SyncReport:
    mode: str
    seconds: float
    row_counts: dict[str, int]
    api: dict[str, Any] = field(default_factory=dict)
    snapshot: Path | None = None
    warnings: list[str] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per dlt step: extract, normalize, load
    phase_spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # step -> (start, end) epoch seconds
    # Rows of `row_counts` that only delete (records gone from HubSpot, stale links), per table.
    delete_markers: dict[str, int] = field(default_factory=dict)
    # Tables this run wrote nothing to, and why (property history off, a scope missing, not in HUBSPOT_OBJECTS).
    skipped: dict[str, str] = field(default_factory=dict)

    def rows_loaded(self, table: str) -> int:
        """Rows of `table` this run wrote (inserted or updated), delete markers left out."""
        return max(0, int(self.row_counts.get(table, 0)) - int(self.delete_markers.get(table, 0)))

    @property
    def rows(self) -> int:
        """Rows this run wrote to every table, delete markers left out."""
        return sum(self.rows_loaded(table) for table in self.row_counts)


@dataclass
class SyncSession:
    """One run inside `sync_session()`: run `source` (or a subset of it) with `pipeline`, using
    `loader_file_format=LOADER_FILE_FORMAT`; `report()` after the `with` block says what the run did."""

    settings: Settings
    prepared: Prepared
    pipeline: Any
    source: Any
    started: float
    snapshot: Path | None = None

    def report(self) -> SyncReport:
        """Rows, HTTP requests, warnings and step timings of the run (call after the pipeline ran)."""
        trace = self.pipeline.last_trace
        spans = {
            step.step: (step.started_at.timestamp(), step.finished_at.timestamp())
            for step in (trace.steps if trace else [])
            if step.finished_at and step.started_at
        }
        api = {}
        metrics = getattr(getattr(self.prepared.client, "transport", None), "metrics", None)
        if metrics is not None and hasattr(metrics, "snapshot"):
            api = metrics.snapshot()
        return SyncReport(
            mode=self.prepared.mode,
            seconds=time.monotonic() - self.started,
            row_counts={k: v for k, v in normalized_row_counts(self.pipeline).items() if not k.startswith("_dlt")},
            api=api,
            snapshot=self.snapshot,
            warnings=list(self.prepared.extraction.warnings),
            api_calls=dict(self.prepared.extraction.api_calls),
            phases={step: end - start for step, (start, end) in spans.items()},
            phase_spans=spans,
            delete_markers=dict(self.prepared.extraction.delete_markers),
            skipped=dict(self.prepared.extraction.skipped),
        )


@contextmanager
def sync_session(
    settings: Settings,
    *,
    mode: str = "incremental",
    objects: str | Sequence[str] | None = None,
    client: Any = None,
    progress: object | None = None,
    snapshot: bool = True,
    record_ids: Mapping[str, Sequence[int | str]] | None = None,
    link_ids: LinkIds | None = None,
    skip_unloaded: bool = False,
    custom_tables: Sequence[str] | None = None,
) -> Iterator[SyncSession]:
    """Everything around one load: `prepare()` (fail-fast checks, before any file is written), the warehouse writer
    lock for the whole block, the dlt pipeline with the package a killed run left loaded first (`finish_pending`),
    and the run's source; after the block, the read-only snapshot (`snapshot=True`). The caller runs the pipeline
    inside the block; an exception there skips the snapshot and releases the lock.

    `custom_tables` as in `hubspot(custom_tables=)`; `record_ids` makes it a partial refresh (see
    `hubspot(record_ids=, link_ids=)` and `prepare(skip_unloaded=)`).
    """
    started = time.monotonic()
    logging.getLogger(HTTP_LOGGER).addFilter(_SCOPE_FILTER)  # idempotent: the same filter object is added once
    prepared = prepare(settings, mode=mode, objects=objects, client=client, record_ids=record_ids,
                       link_ids=link_ids, skip_unloaded=skip_unloaded)
    # dlt opens the warehouse for each table's load job and closes it after, which checkpoints it: a connection held
    # open for the whole run (faster for small runs) let a large portal's incremental merges run out of
    # HUBSPOT_WAREHOUSE_MEMORY_LIMIT.
    with closing(prepared), writer_lock(settings), _explained_warehouse_errors(settings):
        pipeline = make_pipeline(settings, progress=progress)
        finish_pending(pipeline)
        source = prepared.source(custom_tables)
        require_extract_pool(len(source.resources))  # a portal with many custom objects: say so, never hang
        session = SyncSession(settings, prepared, pipeline, source, started)
        yield session
        session.snapshot = publish_snapshot(settings) if snapshot else None


class WarehouseMemoryError(RuntimeError):
    """DuckDB needed more memory than HUBSPOT_WAREHOUSE_MEMORY_LIMIT to load (the message says what to set)."""


_OUT_OF_MEMORY = ("could not allocate block", "failed to pin block", "out of memory")


@contextmanager
def _explained_warehouse_errors(settings: Settings) -> Iterator[None]:
    """Turn DuckDB running out of its memory limit during a load into an error that says what to set. Nothing is
    lost: dlt keeps the package, and the next run (with more memory) loads it before extracting anew."""
    try:
        yield
    except Exception as error:
        cause: BaseException | None = error
        while cause is not None:
            if any(marker in str(cause).lower() for marker in _OUT_OF_MEMORY):
                raise WarehouseMemoryError(
                    f"DuckDB ran out of its memory limit while loading the warehouse "
                    f"(HUBSPOT_WAREHOUSE_MEMORY_LIMIT={settings.warehouse_memory_limit}); raise it (e.g. 1GB) and run "
                    "again: the extracted data is kept and loaded first by the next run"
                ) from error
            cause = cause.__cause__ or cause.__context__
        raise


def run_sync(
    settings: Settings,
    *,
    mode: str = "incremental",
    objects: str | Sequence[str] | None = None,
    client: Any = None,
    progress: object | None = None,
    snapshot: bool = True,
    resources: Sequence[str] | None = None,
    record_ids: Mapping[str, Sequence[int | str]] | None = None,
    link_ids: LinkIds | None = None,
    skip_unloaded: bool = False,
) -> SyncReport:
    """Extract, normalize and load one run into the warehouse (merge), then publish the snapshot (`sync_session`).

    `record_ids` (with `link_ids`, `skip_unloaded`) makes it a partial refresh of those records (object type -> ids;
    see `sync_session`).
    `resources` limits the run to some tables (resource names, e.g. ["contacts", "associations", "pets"]), as a
    Dagster subset does. Holds the warehouse writer lock for the whole load. A failure half-way commits nothing that
    matters: dlt writes cursors with the data, so the next run redoes the unfinished work.
    """
    with sync_session(settings, mode=mode, objects=objects, client=client, progress=progress, snapshot=snapshot,
                      record_ids=record_ids, link_ids=link_ids, skip_unloaded=skip_unloaded) as session:
        source = session.source.with_resources(*resources) if resources else session.source
        load_info = session.pipeline.run(source, loader_file_format=LOADER_FILE_FORMAT)
        load_info.raise_on_failed_jobs()
    return session.report()
