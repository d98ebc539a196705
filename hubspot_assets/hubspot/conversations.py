"""Conversations inbox: inboxes, channels, channel accounts, threads and their messages.

Threads can be read incrementally: with `latest_message_after_ms` they are sorted by `latestMessageTimestamp`
(ascending, HubSpot's only order for that sort) from that moment on, so a reader keeps the largest
`latestMessageTimestamp` it saw as its cursor. Without it they come by id.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.models import Message, Thread
from hubspot_assets.hubspot.responses import Params, flag, iter_pages, parse_model

COLLECTION_PAGE = 100
THREADS_PAGE_MAX = 500
MESSAGES_PAGE = 100


def iso_millis(epoch_ms: int) -> str:
    """Epoch milliseconds as HubSpot's ISO-8601 timestamps (`2026-01-02T03:04:05.678Z`)."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ConversationsApi(ApiArea):
    """The conversations inbox (`/conversations/v3/conversations/...`)."""

    def _conversations_collection(self, name: str) -> Iterator[dict[str, Any]]:
        path, endpoint = self.paths.conversations(name)
        for page in iter_pages(self.transport, path, endpoint, [("limit", str(COLLECTION_PAGE))]):
            yield from page

    def inboxes(self) -> Iterator[dict[str, Any]]:
        """Every conversations inbox (id, name, type, createdAt, ...)."""
        return self._conversations_collection("inboxes")

    def channels(self) -> Iterator[dict[str, Any]]:
        """Every channel type the account has (1000 live chat, 1001 Facebook Messenger, 1002 email, ...)."""
        return self._conversations_collection("channels")

    def channel_accounts(self) -> Iterator[dict[str, Any]]:
        """Every channel account (a connected chat widget, mailbox, page), with its channel and inbox ids."""
        return self._conversations_collection("channel-accounts")

    def threads(
        self,
        *,
        latest_message_after_ms: int | None = None,
        archived: bool = False,
        inbox_id: str | int | None = None,
        associated_contact_id: str | int | None = None,
        page_size: int = THREADS_PAGE_MAX,
    ) -> Iterator[list[dict[str, Any]]]:
        """Threads, one list per page (up to 500), lazily (`GET .../threads`). With `latest_message_after_ms` only
        threads whose latest message is after that moment, sorted by latestMessageTimestamp ascending; else sorted
        by id. `archived=True` lists archived threads. Each thread is checked against the `Thread` model."""
        path, endpoint = self.paths.conversations("threads")
        params: Params = [("limit", str(max(1, min(page_size, THREADS_PAGE_MAX))))]
        if latest_message_after_ms is not None:
            params += [
                ("sort", "latestMessageTimestamp"),
                ("latestMessageTimestampAfter", iso_millis(latest_message_after_ms)),
            ]
        else:
            params.append(("sort", "id"))
        if archived:
            params.append(("archived", flag(True)))
        if inbox_id is not None:
            params.append(("inboxId", str(inbox_id)))
        if associated_contact_id is not None:
            params.append(("associatedContactId", str(associated_contact_id)))
        for page in iter_pages(self.transport, path, endpoint, params):
            for item in page:
                parse_model(Thread, item, None, "GET", endpoint)
            yield page

    def thread(self, thread_id: str | int) -> dict[str, Any]:
        """One thread (`GET .../threads/{threadId}`), archived ones too (flagged `archived`); raises `NotFoundError`
        when HubSpot has no such thread (deleted)."""
        path, endpoint = self.paths.thread(str(thread_id))
        data = self.transport.request("GET", path, endpoint=endpoint).data
        parse_model(Thread, data, None, "GET", endpoint)
        return data

    def messages(
        self, thread_id: str | int, *, page_size: int = MESSAGES_PAGE
    ) -> Iterator[list[dict[str, Any]]]:
        """Every entry of a thread (messages, comments, assignments, status changes...), one list per page
        (`GET .../threads/{threadId}/messages`).
        Shapes differ by `type`; each is checked against the `Message` model (id and type)."""
        path, endpoint = self.paths.thread_messages(str(thread_id))
        for page in iter_pages(self.transport, path, endpoint, [("limit", str(page_size))]):
            for item in page:
                parse_model(Message, item, None, "GET", endpoint)
            yield page
