"""Conversations: inboxes, channels, channel accounts, threads, and every message of every thread with its
senders and recipients.

Threads are listed incrementally by their latest message (`latestMessageTimestampAfter`, with the look-back); each
listed thread whose latest message is new gets its messages read (one request per thread: HubSpot has no bulk read
of messages). A partial refresh (`run.refresh["threads"]`) re-reads the threads it names and their messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dlt
from dlt.sources import DltResource

from hubspot_assets.hubspot.errors import MissingScopesError, NotFoundError
from hubspot_assets.sources.extraction import Extraction, metered_resource
from hubspot_assets.sources.readers import map_ordered
from hubspot_assets.sources.rows import flatten, max_epoch_ms, message_row, participant_rows, thread_row
from hubspot_assets.sources.settings import (
    HARD_DELETE_COLUMN,
    MERGE,
    MESSAGES_RAW_RESOURCE,
    TABLE_CHANNEL_ACCOUNTS,
    TABLE_CHANNELS,
    TABLE_INBOXES,
    TABLE_MESSAGE_PARTICIPANTS,
    TABLE_MESSAGES,
    TABLE_THREADS,
    WHOLE_LIST,
)

MESSAGE_TEXT_COLUMNS = ("assigned_from", "assigned_to", "subject", "rich_text", "truncation_status", "status")
PARTICIPANT_TEXT_COLUMNS = ("actor_id", "name", "delivery_type", "delivery_value", "recipient_field")
NOT_NARROWED = "not in HUBSPOT_OBJECTS (or --objects): add `conversations` to load them"
PARTIAL_REFRESH = "not read by a partial refresh, which reads only the records it names"
SCOPE_MISSING = "the credentials lack the conversations.read scope: grant it to load conversations"


def conversation_resources(run: Extraction | None) -> list[DltResource]:
    raw = raw_messages(run)
    return [
        collection(run, TABLE_INBOXES, "inboxes"),
        collection(run, TABLE_CHANNELS, "channels"),
        collection(run, TABLE_CHANNEL_ACCOUNTS, "channel_accounts"),
        threads(run),
        messages(raw),
        message_participants(raw),
    ]


def collection(run: Extraction | None, table: str, method: str) -> DltResource:
    """A small list HubSpot answers whole (inboxes, channels, channel accounts): `client.<method>()`."""
    return metered_resource(run, lambda run: _collection_rows(run, table, method), name=table, **WHOLE_LIST)


def _collection_rows(run: Extraction, table: str, method: str) -> Iterator[list[dict]]:
    if run.refresh is not None:
        run.skip(table, PARTIAL_REFRESH)
        return
    if not run.reads_area(run.catalog.conversations):
        run.skip(table, NOT_NARROWED)
        return
    items = _unless_scope_missing(run, getattr(run.client, method), table, skips=(table,))
    if items is not None:
        yield run.whole_list(table, [flatten(item) for item in items])


def threads(run: Extraction | None) -> DltResource:
    return metered_resource(run, _thread_rows, name=TABLE_THREADS, write_disposition=MERGE, primary_key="id",
                            columns={HARD_DELETE_COLUMN: {"data_type": "bool", "hard_delete": True}},
                            parallelized=True)


def _thread_rows(run: Extraction) -> Iterator[list[dict]]:
    try:
        yield from _listed_threads(run)
    finally:
        run.finished(TABLE_THREADS)  # the messages resource waits for the list


def _listed_threads(run: Extraction) -> Iterator[list[dict]]:
    if not _reads_threads(run, TABLE_THREADS):
        return
    if run.refresh is not None:
        yield from _refreshed_threads(run)
        return
    state = dlt.current.resource_state()
    rows, since, newest = _list_threads(run, state.get("cursor_ms"))
    if rows is None:
        return
    run.threads_read = (since, _thread_times(rows), newest)
    if rows:
        yield rows
    state["cursor_ms"] = max(filter(None, (state.get("cursor_ms"), newest)), default=None)


def _refreshed_threads(run: Extraction) -> Iterator[list[dict]]:
    """The threads a partial refresh names, read one by one (archived ones flagged); a thread HubSpot no longer has
    (deleted) is removed."""
    ids = [str(t) for t in run.refresh.get(TABLE_THREADS, ())] if run.refresh else []

    def read(thread_id: str) -> dict:
        try:
            return thread_row(run.client.thread(thread_id))
        except NotFoundError:
            return {"id": thread_id, HARD_DELETE_COLUMN: True}

    rows = list(map_ordered(read, ids, run.workers))
    if rows:
        yield rows


def _list_threads(run: Extraction, cursor_ms: int | None) -> tuple[list[dict] | None, int | None, int | None]:
    """(thread rows, the `since` they were listed from, the newest latest-message time); rows None without scope.
    The first run, a reconciliation and a full run list archived threads too."""
    since = run.window_start(cursor_ms, complete=False)
    pages = _unless_scope_missing(run, lambda: run.client.threads(latest_message_after_ms=since), "threads",
                                  skips=(TABLE_THREADS, TABLE_MESSAGES, TABLE_MESSAGE_PARTICIPANTS))
    if pages is None:
        return None, since, None
    rows = [thread_row(t) for page in pages for t in page]
    if run.mode in ("reconcile", "full") or cursor_ms is None:
        archived = _unless_scope_missing(run, lambda: run.client.threads(archived=True), "archived threads") or []
        rows += [thread_row(t) | {"archived": True} for page in archived for t in page]
    newest = max_epoch_ms((r.get("latest_message_timestamp") for r in rows), None)
    return rows, since, newest


def _thread_times(rows: list[dict]) -> dict[str, int | None]:
    """thread id -> latest message time (epoch ms) of the threads read, archived ones included: HubSpot still
    serves their messages, which then carry the thread's archived flag."""
    return {str(r["id"]): max_epoch_ms([r.get("latest_message_timestamp")]) for r in rows}


def raw_messages(run: Extraction | None) -> DltResource:
    """Every message of the threads due, as HubSpot sends them; the `messages` and `message_participants` tables are
    built from it (it writes no table itself)."""

    # Its requests count for `messages`, the table users see.
    return metered_resource(run, _thread_messages, name=MESSAGES_RAW_RESOURCE, counted_as=TABLE_MESSAGES,
                            selected=False, parallelized=True)


def _thread_messages(run: Extraction) -> Iterator[list[dict]]:
    if not _reads_threads(run, TABLE_MESSAGES, TABLE_MESSAGE_PARTICIPANTS):
        return
    run.wait_for(TABLE_THREADS, TABLE_THREADS)
    if run.refresh is not None:
        yield from _messages_of(run, [str(t) for t in run.refresh.get(TABLE_THREADS, ())])
        return
    state = dlt.current.resource_state()
    cursor = state.get("cursor_ms")
    since = run.window_start(cursor, complete=False)
    known = run.threads_read
    if known is not None and (known[0] is None or (since is not None and known[0] <= since)):
        threads_read, newest = known[1], known[2]
    else:  # the threads resource is not part of this run, or listed from later than this cursor
        rows, _, newest = _list_threads(run, cursor)
        if rows is None:
            return
        threads_read = _thread_times(rows)
    # Threads re-read only because of the look-back overlap, with no newer message, are skipped.
    recent = state.get("recent") or {}
    todo = [
        thread_id
        for thread_id, latest in threads_read.items()
        if since is None or latest is None or recent.get(str(thread_id)) != latest
    ]
    yield from _messages_of(run, todo)
    if newest is not None:
        newest = max(filter(None, (cursor, newest)), default=None)
        floor = newest - run.lookback_ms
        merged = {**recent, **{str(k): v for k, v in threads_read.items()}}
        state["cursor_ms"] = newest
        state["recent"] = {k: v for k, v in merged.items() if v is not None and v >= floor}


def _messages_of(run: Extraction, thread_ids: Sequence[str]) -> Iterator[list[dict]]:
    def thread_messages(thread_id: str) -> list[dict]:
        try:
            return [
                m | {"conversationsThreadId": m.get("conversationsThreadId") or thread_id}
                for page in run.client.messages(thread_id)
                for m in page
            ]
        except NotFoundError:  # deleted since it was listed or named: it has no messages left to read
            return []

    # One request per thread: a few threads at a time, in batches of about 1,000 messages.
    batch: list[dict] = []
    for found in map_ordered(thread_messages, thread_ids, run.workers):
        batch.extend(found)
        if len(batch) >= 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def messages(raw: DltResource) -> DltResource:
    @dlt.transformer(
        data_from=raw,
        name=TABLE_MESSAGES,
        write_disposition=MERGE,
        primary_key="id",
        # Often null in a whole load (an assignment from nobody, a message without subject): typed up front, so the
        # column exists and dlt does not warn that it could not infer its type.
        columns={name: {"data_type": "text"} for name in MESSAGE_TEXT_COLUMNS},
    )
    def messages(page: list[dict]) -> Iterator[list[dict]]:
        yield [message_row(m) for m in page]

    return messages


def message_participants(raw: DltResource) -> DltResource:
    @dlt.transformer(
        data_from=raw,
        name=TABLE_MESSAGE_PARTICIPANTS,
        write_disposition=MERGE,
        primary_key=("message_id", "role", "position"),
        merge_key="message_id",
        columns={name: {"data_type": "text"} for name in PARTICIPANT_TEXT_COLUMNS},
    )
    def message_participants(page: list[dict]) -> Iterator[list[dict]]:
        rows = [row for m in page for row in participant_rows(m)]
        if rows:
            yield rows

    return message_participants


def _reads_threads(run: Extraction, *tables: str) -> bool:
    """Whether this run reads threads (and messages); if not, `tables` are marked skipped with why."""
    if run.refresh is not None:
        reads, why = bool(run.refresh.get(TABLE_THREADS)), PARTIAL_REFRESH
    else:
        reads, why = run.reads_area(run.catalog.conversations), NOT_NARROWED
    if not reads:
        for table in tables:
            run.skip(table, why)
    return reads


def _unless_scope_missing(
    run: Extraction, read: Callable[[], Any], what: str, skips: Sequence[str] = ()
) -> list | None:
    """`list(read())`, or None when the credentials lack conversations.read: a warning for the run's report, and
    the tables `skips` reported as skipped for that reason."""
    try:
        return list(read())
    except MissingScopesError:
        run.warn_once("conversations", f"Conversations {what} skipped: the credentials lack conversations.read.")
        for table in skips:
            run.skip(table, SCOPE_MISSING)
        return None
