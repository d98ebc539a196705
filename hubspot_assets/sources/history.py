"""Property history (the properties named in HUBSPOT_PROPERTY_HISTORY) and call transcripts, both read for the
records the record resources of this run found changed."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import dlt
import numpy as np
from dlt.sources import DltResource

from hubspot_assets.hubspot.errors import MissingScopesError, NotFoundError
from hubspot_assets.sources.changes import Changes, Progress
from hubspot_assets.sources.extraction import Extraction, metered_resource
from hubspot_assets.sources.readers import map_ordered
from hubspot_assets.sources.rows import chunks, history_rows, utterance_rows
from hubspot_assets.sources.settings import MERGE, TABLE_PROPERTY_HISTORY, TABLE_TRANSCRIPT_UTTERANCES

HISTORY_TEXT_COLUMNS = ("value", "source_type", "source_id", "source_label", "updated_by_user_id")
UTTERANCE_TEXT_COLUMNS = ("utterance_id", "speaker_id", "speaker_name", "speaker_email", "text", "language_code",
                          "transcript_source")

HISTORY_OFF = "property history is off: set HUBSPOT_PROPERTY_HISTORY (e.g. contacts:lifecyclestage) to load it"
TRANSCRIPT_SCOPE_MISSING = (
    "the credentials lack the scope crm.extensions_calling_transcripts.read (it needs an OAuth app: run "
    "`hubspot-elt auth login`); the next run with it loads them"
)


def property_history(run: Extraction | None) -> DltResource:
    return metered_resource(
        run, _history_rows, name=TABLE_PROPERTY_HISTORY, write_disposition=MERGE, primary_key="history_id",
        parallelized=True,
        columns={
            **{name: {"data_type": "text"} for name in HISTORY_TEXT_COLUMNS},
            "object_id": {"data_type": "bigint"},
            "timestamp": {"data_type": "timestamp"},
        },
    )


def _history_rows(run: Extraction) -> Iterator[list[dict]]:
    wanted = {t: props for t, props in run.property_history.items() if t in run.catalog.all}
    if not wanted:
        run.skip(TABLE_PROPERTY_HISTORY, HISTORY_OFF)
        return
    state = dlt.current.resource_state()
    for object_type, props in wanted.items():
        progress = run.progress(state, object_type)
        changes = run.changes(object_type, progress.cursor_ms)

        def read_history(task: tuple[Sequence[int], Sequence[str]], object_type: str = object_type) -> list:
            ids, names = task
            result = run.client.read_records(
                run.api_name(object_type), [str(i) for i in ids], ["hs_object_id"], properties_with_history=list(names)
            )
            return [row for record in result.results for row in history_rows(object_type, record)]

        tasks: Iterator[tuple[Sequence[int], Sequence[str]]] = (
            (ids, props) for ids in chunks(progress.pending(changes), 100)
        )
        # Properties added to HUBSPOT_PROPERTY_HISTORY since the last run: their history for every record.
        handled = progress.entry.get("properties")
        added = [p for p in props if handled is not None and p not in handled]
        if added and not changes.complete and run.refresh is None:
            every = run.changes(object_type, None, complete=True)
            tasks = itertools.chain(tasks, ((ids, added) for ids in chunks(np.unique(every.id_array()), 100)))
        for rows in map_ordered(read_history, tasks, run.workers):
            if rows:
                yield rows
        progress.advance(changes)
        if run.refresh is None:
            progress.entry["properties"] = sorted({*(handled or ()), *props})


def call_transcript_utterances(run: Extraction | None) -> DltResource:
    return metered_resource(
        run, _utterance_rows, name=TABLE_TRANSCRIPT_UTTERANCES, write_disposition=MERGE,
        primary_key=("transcript_id", "position"), merge_key="transcript_id", parallelized=True,
        columns={
            **{name: {"data_type": "text"} for name in UTTERANCE_TEXT_COLUMNS},
            "call_id": {"data_type": "bigint"},
            "start_time_ms": {"data_type": "bigint"},
            "end_time_ms": {"data_type": "bigint"},
            "transcript_created_at": {"data_type": "timestamp"},
        },
    )


def _utterance_rows(run: Extraction) -> Iterator[list[dict]]:
    """Transcripts of the calls due (one request each), as utterance rows. State: `skipped` (call id -> transcript id
    refused for lack of scope, read once the scope is granted) and `absent` (answered 404 or empty: not asked again
    until the call's transcription id changes)."""
    if "calls" not in run.catalog.all:
        run.skip(TABLE_TRANSCRIPT_UTTERANCES, "calls are not in HUBSPOT_OBJECTS (or --objects)")
        return
    state = dlt.current.resource_state()
    progress = run.progress(state, "calls")
    changes = run.changes("calls", progress.cursor_ms, complete=run.mode == "full")
    skipped: dict[str, str] = dict(state.get("skipped") or {})
    absent: dict[str, str] = dict(state.get("absent") or {})
    # Retry the skipped ones when the credentials changed or on a reconciliation (a private app's scopes can be
    # edited); a no-change run with the same refused token asks nothing.
    retry = bool(skipped) and (state.get("refused_credentials") != run.credentials_id or run.mode != "incremental")
    wanted = _transcripts_due(run, changes, progress, dict(skipped) if retry else {}, absent)
    if wanted and not retry:
        wanted.update(skipped)  # a request is made anyway: retry the skipped ones along
    elif skipped and not retry:  # still refused (same credentials): say so without asking again
        _scope_missing(run)
    done: set[str] = set()
    loaded_any = False
    for call_id, transcript_id in sorted(wanted.items()):
        try:
            transcript = run.client.transcript(transcript_id)
        except MissingScopesError:
            state["refused_credentials"] = run.credentials_id
            _scope_missing(run, loaded_any)
            break
        except NotFoundError:
            absent[call_id] = transcript_id
            done.add(call_id)
            continue
        done.add(call_id)
        rows = utterance_rows(transcript, int(call_id))
        if rows:
            absent.pop(call_id, None)
            loaded_any = True
            yield rows
        else:  # an empty transcript loads no row: remember it, or every reconciliation would ask again
            absent[call_id] = transcript_id
    state["skipped"] = {c: t for c, t in {**skipped, **wanted}.items() if c not in done}
    state["absent"] = absent
    state.pop("scope_missing", None)  # the flag of earlier versions, replaced by `skipped`
    progress.advance(changes)


def _transcripts_due(
    run: Extraction, changes: Changes, progress: Progress, wanted: dict[str, str], absent: dict[str, str]
) -> dict[str, str]:
    """call id -> transcript id of the changed calls that have a transcript not loaded yet, plus `wanted`."""
    for call_id, transcript_id in changes.with_extra("hs_call_transcription_id", among=progress.pending(changes)):
        wanted[str(call_id)] = str(transcript_id)
    if run.mode == "full":
        return wanted
    # Only transcripts not loaded yet: a call's transcript changes only with its transcription id, and a
    # reconciliation (which sees every call) must not re-read every transcript each night.
    loaded = set(run.stored.rows("SELECT DISTINCT CAST(call_id AS VARCHAR), transcript_id FROM {table}",
                                 TABLE_TRANSCRIPT_UTTERANCES))
    return {c: t for c, t in wanted.items() if (c, t) not in loaded and absent.get(c) != t}


def _scope_missing(run: Extraction, loaded_any: bool = False) -> None:
    run.warn_once("transcripts", f"Call transcripts skipped: {TRANSCRIPT_SCOPE_MISSING}. Everything else is loaded.")
    if not loaded_any:
        run.skip(TABLE_TRANSCRIPT_UTTERANCES, TRANSCRIPT_SCOPE_MISSING)


