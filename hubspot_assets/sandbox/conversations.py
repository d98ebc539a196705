"""The sandbox's Conversations API: inboxes, channels, channel accounts, threads and their messages.

Served on both path families, `/conversations/v3/conversations/...` and `/conversations/conversations/2026-09/...`,
from one `ConversationsService(config, store)`; `conversation_routes(service)` returns the Starlette routes.

Data is deterministic from `config.seed` and the store's contacts: about one thread per three contacts, each linked
to a real contact (`associatedContactId`, visitor actor `V-<contactId>`), assigned to a real owner (agent actor
`A-<userId>` of `store.owners` when the store offers it, else `A-<ownerId>` of `store.owner_ids()`), some linked to
a real ticket, some archived, some spam. Threads live in numpy columns (cheap at 1M contacts); a thread's messages
are derived on demand from (seed, thread id) and never materialized at start-up.

Interfaces for the admin API (S1):
- `apply_new_message(op) -> list[event]`: `{"op": "new_message", "thread_id"?, "text"?, "direction"?:
  "INCOMING"|"OUTGOING", "message_type"?: "MESSAGE"|"COMMENT"}` adds a message now, moves the thread's
  `latestMessageTimestamp` (MESSAGE only; an INCOMING one reopens a closed thread) and returns the
  `conversation.newMessage` webhook event (`objectId` = thread id, `messageId`, `messageType`).
- `apply_new_thread(op) -> list[event]`: `{"op": "new_thread", "contact_id"?, "text"?, "channel_id"?}` opens a
  thread with one incoming message; returns `conversation.creation` and `conversation.newMessage` events.
- `truth(kind)`: kind "threads" -> `{"objectType", "total" (live), "archived", "results": [{id, updatedAt,
  latestMessageTimestamp, archived}]}` for every thread, ascending by id;
  kind "messages" -> every message `{id, threadId, type, createdAt}` (O(messages): fine at small scale).
- `stats() -> {"threads": {"total", "archived"}, "messages": {"total"}}` (cheap, no message generation).
"""

from __future__ import annotations

import base64
import hashlib
import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.routing import Route

from hubspot_assets.sandbox.errors import json_response, not_found, validation_error

PREFIXES = ("/conversations/v3/conversations", "/conversations/conversations/2026-09")

# Generated history sits in the same window as the CRM data (2023-01-01 .. 2026-01-01 UTC).
_START_MS = 1_672_531_200_000
_END_MS = 1_767_225_600_000
_MINUTE = 60_000
_DAY = 86_400_000
_THREAD_ID_BASE = 8_100_000_000
_SYSTEM_ACTOR = "S-hubspot"
_INTEGRATION_APP_ID = 1_000_777
_INTEGRATION_ACTOR = f"I-{_INTEGRATION_APP_ID}"  # the Messenger greeting bot
# Channels whose threads open with a WELCOME_MESSAGE, and who sends it.
_WELCOME_SENDERS = {"1000": (_SYSTEM_ACTOR, "SYSTEM"), "1001": (_INTEGRATION_ACTOR, "INTEGRATION")}

THREAD_LIMIT_MAX = 500
MESSAGE_LIMIT_MAX = 500
LIST_LIMIT_MAX = 500
DEFAULT_LIMIT = 100


# ----------------------------------------------------------------------------------------------- fixed catalog

@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    kind: str  # how senders are identified on this channel


CHANNELS: tuple[Channel, ...] = (
    Channel("1000", "Live chat", "chat"),
    Channel("1001", "Facebook Messenger", "messenger"),
    Channel("1002", "Email", "email"),
    Channel("1003", "Forms", "form"),
    Channel("1007", "WhatsApp", "whatsapp"),
)
CHANNEL_BY_ID = {c.id: c for c in CHANNELS}

_CATALOG_CREATED = "2022-03-01T09:00:00.000Z"
INBOXES: tuple[dict[str, Any], ...] = (
    {"id": "147959634", "name": "Support", "type": "INBOX", "createdAt": _CATALOG_CREATED,
     "updatedAt": "2024-02-11T10:15:00.000Z", "archived": False},
    {"id": "147959635", "name": "Sales", "type": "INBOX", "createdAt": _CATALOG_CREATED,
     "updatedAt": "2023-08-30T16:40:00.000Z", "archived": False},
    {"id": "147959636", "name": "Help Desk", "type": "HELP_DESK", "createdAt": "2023-05-10T08:00:00.000Z",
     "updatedAt": "2025-01-20T12:00:00.000Z", "archived": False},
    {"id": "147959637", "name": "Legacy inbox", "type": "INBOX", "createdAt": _CATALOG_CREATED,
     "updatedAt": "2023-01-05T12:00:00.000Z", "archived": True, "archivedAt": "2023-01-05T12:00:00.000Z"},
)


def _account(account_id: str, channel_id: str, inbox_id: str, name: str, identifier: dict | None,
             archived: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": account_id, "channelId": channel_id, "inboxId": inbox_id, "name": name, "active": not archived,
        "authorized": not archived, "archived": archived, "createdAt": _CATALOG_CREATED,
    }
    if identifier is not None:
        body["deliveryIdentifier"] = identifier
    if archived:
        body["archivedAt"] = "2023-01-05T12:00:00.000Z"
    return body


CHANNEL_ACCOUNTS: tuple[dict[str, Any], ...] = (
    _account("20001", "1000", "147959634", "Website chat", None),
    _account("20002", "1002", "147959634", "support@sandbox-portal.example.com",
             {"type": "HS_EMAIL_ADDRESS", "value": "support@sandbox-portal.example.com"}),
    _account("20003", "1001", "147959634", "Sandbox Portal on Facebook",
             {"type": "CHANNEL_SPECIFIC_OPAQUE_ID", "value": "104729381726354"}),
    _account("20004", "1000", "147959635", "Pricing page chat", None),
    _account("20005", "1002", "147959635", "sales@sandbox-portal.example.com",
             {"type": "HS_EMAIL_ADDRESS", "value": "sales@sandbox-portal.example.com"}),
    _account("20006", "1002", "147959636", "help@sandbox-portal.example.com",
             {"type": "HS_EMAIL_ADDRESS", "value": "help@sandbox-portal.example.com"}),
    _account("20007", "1003", "147959636", "Support request form", None),
    _account("20008", "1007", "147959636", "WhatsApp +1 555 0100",
             {"type": "HS_PHONE_NUMBER", "value": "+15550100"}),
    _account("20009", "1002", "147959637", "old@sandbox-portal.example.com",
             {"type": "HS_EMAIL_ADDRESS", "value": "old@sandbox-portal.example.com"}, archived=True),
)
_LIVE_ACCOUNTS = tuple(a for a in CHANNEL_ACCOUNTS if not a["archived"])
# Thread mix per live account (sums to 1): chat and email dominate, as in real portals.
_ACCOUNT_WEIGHTS = np.array([0.27, 0.20, 0.10, 0.13, 0.12, 0.08, 0.05, 0.05])

_VISITOR_LINES = (
    "Hi, I can't log in to my account since this morning.",
    "Could you send me the invoice for last month?",
    "¿Podemos hablar mañana sobre la renovación?",
    "日本語のサポートはありますか？",
    "Grüße aus München — die Lieferung ist noch nicht angekommen.",
    "Спасибо за помощь! Всё работает.",
    "Is there a discount for annual plans? 🙂",
    "Merci beaucoup, à bientôt !",
    "The export keeps failing with error 502.",
    "Can I add three more seats to our plan?",
    "Quick question about the API rate limits.",
    "Our order #48213 arrived damaged 😞",
)
_AGENT_LINES = (
    "Thanks for reaching out! Let me check that for you.",
    "I've reset your password; please try again.",
    "Here is the invoice you asked for.",
    "Of course — I've added the seats to your subscription.",
    "Could you share a screenshot of the error?",
    "Con gusto, le escribo mañana a las 10:00.",
    "We've shipped a replacement; tracking follows by email.",
    "Happy to help. Anything else I can do?",
)
_COMMENT_LINES = (
    "Customer is on the legacy plan, check billing before replying.",
    "Escalated to engineering, see ticket.",
    "VIP account — answer within the hour.",
    "Duplicate of an earlier conversation.",
)
_WELCOME_LINES = ("Hi there 👋 How can we help you today?", "Welcome! An agent will be with you shortly.")
_SUBJECTS = ("Login problem", "Invoice request", "Renewal", "Delivery delayed", "Re: your quote", "Seats",
             "Bestellung 48213", "Question about pricing")
_ATTACHMENTS = (("invoice-2025-03.pdf", "application/pdf"), ("screenshot.png", "image/png"),
                ("contrat signé.pdf", "application/pdf"))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _parse_time(text: str, name: str) -> int:
    """A query parameter as epoch ms: ISO-8601 or epoch milliseconds."""
    value = text.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+"))  # a raw '+' in a query string decodes to ' '
    except ValueError:
        raise validation_error(
            f"{name} must be an ISO-8601 timestamp (e.g. 2025-01-31T00:00:00Z) or epoch milliseconds, got {text!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ----------------------------------------------------------------------------------------------- thread columns

class _Threads:
    """Thread state as growable numpy columns, indexed by position; ids ascend with position."""

    COLUMNS = {
        "id": np.int64, "contact": np.int64, "created": np.int64, "first": np.int64, "base_latest": np.int64,
        "latest": np.int64, "base_closed": np.int64, "closed": np.int64, "account": np.int16, "owner": np.int64,
        "ticket": np.int64,
        "archived": np.bool_, "spam": np.bool_, "n_msg": np.int16, "n_comment": np.int16, "moved": np.bool_,
    }

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        self.n = len(columns["id"])
        self._cols = {name: np.asarray(columns[name], dtype=dtype) for name, dtype in self.COLUMNS.items()}

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.__dict__["n"]]
        raise AttributeError(name)

    def append(self, row: dict[str, Any]) -> int:
        if self.n == len(self._cols["id"]):
            grow = max(1024, self.n // 4)
            for name, col in self._cols.items():
                self._cols[name] = np.concatenate([col, np.zeros(grow, dtype=col.dtype)])
        k = self.n
        for name in self.COLUMNS:
            self._cols[name][k] = row[name]
        self.n += 1
        return k

    def index_of(self, thread_id: int) -> int | None:
        ids = self.id
        k = int(np.searchsorted(ids, thread_id))
        return k if k < self.n and int(ids[k]) == thread_id else None


def _generate_threads(seed: int, contact_ids: np.ndarray, owner_ids: Sequence[int],
                      ticket_ids: np.ndarray) -> _Threads:
    n = max(1, len(contact_ids) // 3) if len(contact_ids) else 0
    rng = np.random.default_rng([seed, 0xC0C0])
    ids = _THREAD_ID_BASE + np.arange(n, dtype=np.int64) * 16 + rng.integers(0, 16, n)
    contact = contact_ids[rng.integers(0, len(contact_ids), n)] if n else np.zeros(0, np.int64)
    account = rng.choice(len(_LIVE_ACCOUNTS), size=n, p=_ACCOUNT_WEIGHTS).astype(np.int16)
    # Creation spread over the data window, leaving room for the conversation to run its course.
    created = rng.integers(_START_MS, _END_MS - 10 * _DAY, n)
    n_msg = rng.choice([1, 2, 3, 4, 5, 6, 8, 12], size=n, p=[.12, .18, .2, .16, .12, .1, .08, .04]).astype(np.int16)
    n_comment = rng.choice([0, 0, 0, 1, 2], size=n).astype(np.int16)
    greeted = np.array([a["channelId"] in _WELCOME_SENDERS for a in _LIVE_ACCOUNTS])[account]
    first_msg = created + np.where(greeted, rng.integers(2_000, 20_000, n), 0)
    span = rng.integers(2 * _MINUTE, 4 * _DAY, n)
    base_latest = first_msg + np.where(n_msg > 1, span, 0)
    closed_flag = rng.random(n) < 0.7
    base_closed = np.where(closed_flag, base_latest + rng.integers(_MINUTE, 2 * _DAY, n), 0)
    owners = np.asarray(list(owner_ids) or [0], dtype=np.int64)
    owner = np.where(rng.random(n) < 0.9, owners[rng.integers(0, len(owners), n)], 0)
    if len(ticket_ids):
        ticket = np.where(rng.random(n) < 0.2, ticket_ids[rng.integers(0, len(ticket_ids), n)], 0)
    else:
        ticket = np.zeros(n, np.int64)
    archived = rng.random(n) < 0.03
    spam = rng.random(n) < 0.02
    moved = rng.random(n) < 0.05
    return _Threads({
        "id": ids, "contact": contact, "created": created, "first": first_msg, "base_latest": base_latest,
        "latest": base_latest.copy(), "base_closed": base_closed, "closed": base_closed.copy(), "account": account,
        "owner": owner,
        "ticket": ticket, "archived": archived, "spam": spam, "n_msg": n_msg, "n_comment": n_comment, "moved": moved,
    })


# ----------------------------------------------------------------------------------------------- cursors

def _encode_cursor(*parts: int) -> str:
    raw = ":".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str, width: int) -> tuple[int, ...]:
    try:
        padded = token + "=" * (-len(token) % 4)
        parts = tuple(int(p) for p in base64.urlsafe_b64decode(padded.encode()).decode().split(":"))
    except (ValueError, UnicodeDecodeError):
        parts = ()
    if len(parts) != width or any(p < 0 for p in parts):
        raise validation_error(f"after must be the paging.next.after value of the previous page, got {token!r}")
    return parts


# ----------------------------------------------------------------------------------------------- service

class ConversationsService:
    """Inboxes, channels, channel accounts, threads and messages, derived from the store's contacts and owners.

    Thread-safe: routes may run in Starlette's threadpool while `/_sandbox/mutate` adds messages.
    """

    def __init__(self, config: Any, store: Any) -> None:
        self.config = config
        self.store = store
        self._lock = threading.RLock()
        self._threads: _Threads | None = None
        self._extra: dict[int, list[dict[str, Any]]] = {}  # thread id -> messages added at run time
        self._mutations = 0
        self._owners: dict[int, dict[str, Any]] | None = None

    # ------------------------------------------------------------------------------------------- lazy data

    @property
    def threads(self) -> _Threads:
        """The thread columns, generated on first use (cheap: vectorized, no messages)."""
        if self._threads is None:
            # Read the store before taking our lock: this service never waits on the store while holding it, so
            # a mutation holding the store's lock can safely call into us (one lock order: store, then ours).
            contacts = np.asarray(self.store.ids("contacts"), dtype=np.int64)
            tickets = np.asarray(self.store.ids("tickets"), dtype=np.int64)
            owners = self._owner_ids()
            with self._lock:
                if self._threads is None:
                    self._threads = _generate_threads(int(self.config.seed), contacts, owners, tickets)
        return self._threads

    def _owner_ids(self) -> list[int]:
        """Owners that can be agents: active owners, without queues when the store describes its owners."""
        ids = [int(o) for o in self.store.owner_ids()]
        records = self._owner_records()
        people = [i for i in ids if records.get(i, {}).get("type", "PERSON") == "PERSON"]
        return people or ids

    def _owner_records(self) -> dict[int, dict[str, Any]]:
        """Owner records by id when the store offers `owners` (names and userIds for agent actors)."""
        if self._owners is None:
            # S1's store keeps owners as a list attribute; accept a method too.
            owners = getattr(self.store, "owners", None)
            records: Iterable[Any] = (owners() if callable(owners) else owners) or []
            self._owners = {int(o["id"]): o for o in records if isinstance(o, dict) and "id" in o}
        return self._owners

    def _agent(self, owner_id: int) -> tuple[str, str | None, str | None]:
        """(actor id, name, email) of the agent behind an owner: `A-<userId>` as HubSpot names agents."""
        owner = self._owner_records().get(owner_id)
        if owner is None:
            return f"A-{owner_id}", None, None
        user_id = owner.get("userId") or owner_id
        name = " ".join(p for p in (owner.get("firstName"), owner.get("lastName")) if p) or None
        return f"A-{user_id}", name, owner.get("email")

    def _visitor(self, contact_id: int) -> tuple[str, str | None, str]:
        """(actor id, name, email) of the contact behind a thread."""
        record = self.store.get("contacts", int(contact_id), properties=["firstname", "lastname", "email"]) or {}
        props = record.get("properties") or {}
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p) or None
        email = props.get("email") or f"contact-{contact_id}@visitors.example.com"
        return f"V-{contact_id}", name, email

    # ------------------------------------------------------------------------------------------- catalog

    def inboxes(self, *, archived: bool = False) -> list[dict[str, Any]]:
        return [dict(i) for i in INBOXES if i["archived"] == archived]

    def inbox(self, inbox_id: str) -> dict[str, Any]:
        for inbox in INBOXES:
            if inbox["id"] == inbox_id:
                return dict(inbox)
        raise not_found("inbox", inbox_id)

    def channels(self) -> list[dict[str, Any]]:
        return [{"id": c.id, "name": c.name} for c in CHANNELS]

    def channel(self, channel_id: str) -> dict[str, Any]:
        found = CHANNEL_BY_ID.get(channel_id)
        if found is None:
            raise not_found("channel", channel_id)
        return {"id": found.id, "name": found.name}

    def channel_accounts(self, *, archived: bool = False, channel_ids: Sequence[str] = (),
                         inbox_ids: Sequence[str] = ()) -> list[dict[str, Any]]:
        return [dict(a) for a in CHANNEL_ACCOUNTS
                if a["archived"] == archived and (not channel_ids or a["channelId"] in channel_ids)
                and (not inbox_ids or a["inboxId"] in inbox_ids)]

    def channel_account(self, account_id: str) -> dict[str, Any]:
        for account in CHANNEL_ACCOUNTS:
            if account["id"] == account_id:
                return dict(account)
        raise not_found("channel account", account_id)

    # ------------------------------------------------------------------------------------------- threads

    def _thread_body(self, t: _Threads, k: int) -> dict[str, Any]:
        account = _LIVE_ACCOUNTS[int(t.account[k])]
        closed = int(t.closed[k])
        latest = int(t.latest[k])
        body: dict[str, Any] = {
            "id": str(int(t.id[k])),
            "createdAt": _iso(int(t.created[k])),
            "status": "CLOSED" if closed else "OPEN",
            "originalChannelId": account["channelId"],
            "originalChannelAccountId": account["id"],
            "latestMessageTimestamp": _iso(latest),
            "spam": bool(t.spam[k]),
            "inboxId": account["inboxId"],
            "associatedContactId": str(int(t.contact[k])),
            "archived": bool(t.archived[k]),
        }
        if closed:
            body["closedAt"] = _iso(closed)
        owner = int(t.owner[k])
        if owner:
            body["assignedTo"] = self._agent(owner)[0]
        ticket = int(t.ticket[k])
        if ticket:
            body["threadAssociations"] = {"associatedTicketId": str(ticket)}
        return body

    def list_threads(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        after: str | None = None,
        sort: str = "id",
        latest_after_ms: int | None = None,
        archived: bool = False,
        inbox_ids: Sequence[str] = (),
        contact_id: int | None = None,
    ) -> dict[str, Any]:
        """One page of threads, ascending by id or by (latestMessageTimestamp, id).

        `sort="latestMessageTimestamp"` requires `latest_after_ms` (HubSpot answers 400 otherwise); threads with
        `latestMessageTimestamp` strictly after it are returned. `archived=True` returns only archived threads.
        """
        if sort not in ("id", "latestMessageTimestamp"):
            raise validation_error(f"sort must be 'id' or 'latestMessageTimestamp', got {sort!r}")
        if sort == "latestMessageTimestamp" and latest_after_ms is None:
            raise validation_error(
                "latestMessageTimestampAfter is required when sorting by latestMessageTimestamp",
                context={"latestMessageTimestampAfter": ["missing"]},
            )
        if not 1 <= limit <= THREAD_LIMIT_MAX:
            raise validation_error(f"limit must be between 1 and {THREAD_LIMIT_MAX}, got {limit}")
        self._owner_records()  # warm the owner cache outside our lock
        t = self.threads
        with self._lock:
            ids, latest = t.id, t.latest
            mask = t.archived == archived
            if inbox_ids:
                wanted = np.array([a["inboxId"] in inbox_ids for a in _LIVE_ACCOUNTS])
                mask &= wanted[t.account]
            if contact_id is not None:
                mask &= t.contact == contact_id
            if latest_after_ms is not None:
                mask &= latest > latest_after_ms
            if sort == "id":
                if after:
                    (last_id,) = _decode_cursor(after, 1)
                    mask &= ids > last_id
                chosen = np.flatnonzero(mask)[: limit + 1]
            else:
                if after:
                    last_ts, last_id = _decode_cursor(after, 2)
                    mask &= (latest > last_ts) | ((latest == last_ts) & (ids > last_id))
                candidates = np.flatnonzero(mask)
                order = np.lexsort((ids[candidates], latest[candidates]))
                chosen = candidates[order[: limit + 1]]
            has_more = len(chosen) > limit
            chosen = chosen[:limit]
            results = [self._thread_body(t, int(k)) for k in chosen]
            page: dict[str, Any] = {"results": results}
            if has_more:
                last = int(chosen[-1])
                token = (_encode_cursor(int(ids[last])) if sort == "id"
                         else _encode_cursor(int(latest[last]), int(ids[last])))
                page["paging"] = {"next": {"after": token}}
            return page

    def thread(self, thread_id: str) -> dict[str, Any]:
        """One thread (archived ones too, flagged `archived: true`); 404 when unknown."""
        self._owner_records()  # warm the owner cache outside our lock
        t = self.threads
        with self._lock:
            return self._thread_body(t, self._index(thread_id))

    def _index(self, thread_id: str | int) -> int:
        try:
            tid = int(thread_id)
        except (TypeError, ValueError):
            raise not_found("thread", str(thread_id)) from None
        t = self.threads
        with self._lock:
            k = t.index_of(tid)
        if k is None:
            raise not_found("thread", str(thread_id))
        return k

    # ------------------------------------------------------------------------------------------- messages

    def _message_id(self, thread_id: int, j: int) -> str:
        digest = hashlib.blake2b(f"{self.config.seed}:{thread_id}:{j}".encode(), digest_size=16).hexdigest()
        return digest

    def _base_messages(self, t: _Threads, k: int) -> list[dict[str, Any]]:
        """The generated history of thread k, oldest first. Deterministic from (seed, thread id)."""
        tid = int(t.id[k])
        if int(t.n_msg[k]) == 0:
            return []  # opened at run time: its messages all live in `_extra`
        rnd = random.Random(f"{self.config.seed}:thread:{tid}")
        account = _LIVE_ACCOUNTS[int(t.account[k])]
        channel = CHANNEL_BY_ID[account["channelId"]]
        created, latest = int(t.created[k]), int(t.base_latest[k])
        closed = int(t.base_closed[k])
        owner = int(t.owner[k])
        contact = int(t.contact[k])
        n_msg, n_comment = int(t.n_msg[k]), int(t.n_comment[k])
        visitor_actor, visitor_name, visitor_email = self._visitor(contact)
        agent_actor, agent_name, agent_email = self._agent(owner) if owner else (None, None, None)
        thread_id = str(tid)
        subject = rnd.choice(_SUBJECTS) if channel.kind == "email" else None

        def visitor_identifier() -> dict[str, str] | None:
            if channel.kind in ("email", "form"):
                return {"type": "HS_EMAIL_ADDRESS", "value": visitor_email}
            if channel.kind == "messenger":
                return {"type": "CHANNEL_SPECIFIC_OPAQUE_ID", "value": str(10_000_000_000_000 + contact)}
            if channel.kind == "whatsapp":
                return {"type": "HS_PHONE_NUMBER", "value": f"+1555{contact % 10_000_000:07d}"}
            return None

        def participant(actor: str, name: str | None, identifier: dict | None, field: str | None) -> dict:
            body: dict[str, Any] = {"actorId": actor}
            if name:
                body["name"] = name
            if identifier is not None:
                body["deliveryIdentifier"] = identifier
            if field and channel.kind == "email":
                body["recipientField" if field != "FROM" else "senderField"] = field
            return body

        events: list[dict[str, Any]] = []

        def common(kind: str, at: int, actor: str, client: str) -> dict[str, Any]:
            body: dict[str, Any] = {
                "type": kind, "id": "", "conversationsThreadId": thread_id, "createdAt": at, "updatedAt": at,
                "createdBy": actor, "client": {"clientType": client}, "archived": False,
            }
            if client == "INTEGRATION":
                body["client"]["integrationAppId"] = _INTEGRATION_APP_ID
            return body

        def message(at: int, incoming: bool, text: str) -> dict[str, Any]:
            if incoming:
                sender = participant(visitor_actor, visitor_name, visitor_identifier(), "FROM")
                recipients = ([participant(agent_actor or _SYSTEM_ACTOR, agent_name, account.get("deliveryIdentifier"),
                                           "TO")] if account.get("deliveryIdentifier") else [])
                actor, client = visitor_actor, "HUBSPOT"
            else:
                actor = agent_actor or _SYSTEM_ACTOR
                sender = participant(actor, agent_name, account.get("deliveryIdentifier"), "FROM")
                recipients = [participant(visitor_actor, visitor_name, visitor_identifier(), "TO")]
                if channel.kind == "email" and rnd.random() < 0.2:
                    cc = f"cc{contact % 97}@partners.example.org"
                    recipients.append(participant(f"E-{cc}", None, {"type": "HS_EMAIL_ADDRESS", "value": cc}, "CC"))
                client = "HUBSPOT" if agent_actor else "SYSTEM"
            body = common("MESSAGE", at, actor, client)
            html_text = _html_escape(text)
            if channel.kind == "email":
                rich = (f"<div><p>{html_text}</p><p>--<br>"
                        "<a href=\"https://sandbox-portal.example.com\">Sandbox Portal</a></p></div>")
                truncation = "TRUNCATED_TO_MOST_RECENT_REPLY" if rnd.random() < 0.25 else "NOT_TRUNCATED"
            else:
                rich = f"<div>{html_text}</div>"
                truncation = "NOT_TRUNCATED"
            attachments = []
            if rnd.random() < 0.12:
                name, mime = rnd.choice(_ATTACHMENTS)
                file_id = str(90_000_000_000 + (tid % 1_000_000) * 100 + rnd.randint(0, 99))
                attachments.append({"type": "FILE", "fileId": file_id, "name": name, "fileUsageType": "STANDARD",
                                    "mimeType": mime,
                                    "url": f"https://api-na1.hubspot.net/filemanager/api/v3/files/{file_id}/signed-url"})
            status = "SENT" if not incoming else "READ"
            if not incoming and rnd.random() < 0.02:
                status = "FAILED"
            body.update({
                "senders": [sender], "recipients": recipients, "text": text, "richText": rich,
                "attachments": attachments, "truncationStatus": truncation,
                "direction": "INCOMING" if incoming else "OUTGOING",
                "channelId": channel.id, "channelAccountId": account["id"],
                "status": {"statusType": status},
            })
            if status == "FAILED":
                body["status"]["failureDetails"] = {"errorMessage": "The recipient's mailbox is full."}
            if subject is not None:
                body["subject"] = subject if incoming else f"Re: {subject}"
            return body

        if channel.id in _WELCOME_SENDERS:
            greeter, greeter_client = _WELCOME_SENDERS[channel.id]
            welcome = common("WELCOME_MESSAGE", created, greeter, greeter_client)
            text = rnd.choice(_WELCOME_LINES)
            welcome.update({"senders": [{"actorId": greeter}], "recipients": [{"actorId": visitor_actor}],
                            "text": text, "richText": f"<p>{_html_escape(text)}</p>", "attachments": [],
                            "direction": "OUTGOING", "channelId": channel.id, "channelAccountId": account["id"]})
            events.append(welcome)
        first_at = int(t.first[k])
        events.append(message(first_at, True, rnd.choice(_VISITOR_LINES)))

        # Everything else happens between the first and the last message.
        def between() -> int:
            return rnd.randint(first_at, latest) if latest > first_at else latest

        if bool(t.moved[k]):
            change = common("THREAD_INBOX_CHANGE", between(), agent_actor or _SYSTEM_ACTOR,
                            "HUBSPOT" if agent_actor else "SYSTEM")
            old_inbox = next(i["id"] for i in INBOXES if i["id"] != account["inboxId"] and not i["archived"])
            change.update({"previousInboxId": old_inbox, "newInboxId": account["inboxId"]})
            events.append(change)
        if owner:
            assignment = common("ASSIGNMENT", between(), _SYSTEM_ACTOR, "SYSTEM")
            assignment.update({"assignedTo": agent_actor, "assignedFrom": None})
            events.append(assignment)
        middle = sorted(between() for _ in range(max(0, n_msg - 2)))
        for i, at in enumerate(middle):
            incoming = i % 2 == 1
            events.append(message(at, incoming, rnd.choice(_VISITOR_LINES if incoming else _AGENT_LINES)))
        if n_msg > 1:
            incoming = n_msg % 2 == 1 and rnd.random() < 0.5
            events.append(message(latest, incoming, rnd.choice(_VISITOR_LINES if incoming else _AGENT_LINES)))
        for _ in range(n_comment):
            author = agent_actor or _SYSTEM_ACTOR
            comment = common("COMMENT", between(), author, "HUBSPOT")
            text = rnd.choice(_COMMENT_LINES)
            comment.update({"senders": [{"actorId": author, **({"name": agent_name} if agent_name else {})}],
                            "text": text, "richText": f"<p>{_html_escape(text)}</p>", "attachments": []})
            events.append(comment)
        if closed:
            close = common("THREAD_STATUS_CHANGE", closed, agent_actor or _SYSTEM_ACTOR,
                           "HUBSPOT" if agent_actor else "SYSTEM")
            close["newStatus"] = "CLOSED"
            events.append(close)

        # Stable sort keeps generation order for equal times (the last MESSAGE is generated last at `latest`).
        events.sort(key=lambda e: e["createdAt"])
        for j, event in enumerate(events):
            event["id"] = self._message_id(tid, j)
        return events

    def _messages(self, k: int) -> list[dict[str, Any]]:
        """Generated history plus run-time messages of thread k. Generation reads only columns that never
        change after creation, so it runs outside our lock (it reads contacts from the store)."""
        t = self.threads
        with self._lock:
            extra = list(self._extra.get(int(t.id[k]), ()))
        return self._base_messages(t, k) + extra

    @staticmethod
    def _render(message: dict[str, Any]) -> dict[str, Any]:
        body = dict(message)
        body["createdAt"] = _iso(message["createdAt"])
        body["updatedAt"] = _iso(message["updatedAt"])
        return body

    def list_messages(self, thread_id: str, *, limit: int = DEFAULT_LIMIT, after: str | None = None) -> dict[str, Any]:
        """One page of a thread's messages, oldest first; 404 when the thread is unknown."""
        if not 1 <= limit <= MESSAGE_LIMIT_MAX:
            raise validation_error(f"limit must be between 1 and {MESSAGE_LIMIT_MAX}, got {limit}")
        start = _decode_cursor(after, 1)[0] if after else 0
        messages = self._messages(self._index(thread_id))
        chunk = messages[start:start + limit]
        page: dict[str, Any] = {"results": [self._render(m) for m in chunk]}
        if start + limit < len(messages):
            page["paging"] = {"next": {"after": _encode_cursor(start + limit)}}
        return page

    def message(self, thread_id: str, message_id: str) -> dict[str, Any]:
        messages = self._messages(self._index(thread_id))
        for m in messages:
            if m["id"] == message_id:
                return self._render(m)
        raise not_found("message", message_id)

    # ------------------------------------------------------------------------------------------- mutations

    def apply_new_message(self, op: dict[str, Any]) -> list[dict[str, Any]]:
        """Add a message to a thread now (see module docstring); returns the webhook events to emit.

        Without `thread_id`, a deterministic pick among non-archived threads. Raises 400 for a bad op, 404 for an
        unknown thread.
        """
        direction = str(op.get("direction", "INCOMING")).upper()
        kind = str(op.get("message_type", op.get("type_", "MESSAGE"))).upper()
        if direction not in ("INCOMING", "OUTGOING"):
            raise validation_error(f"new_message direction must be INCOMING or OUTGOING, got {direction!r}")
        if kind not in ("MESSAGE", "COMMENT"):
            raise validation_error(f"new_message message_type must be MESSAGE or COMMENT, got {kind!r}")
        t = self.threads
        self._owner_records()
        with self._lock:
            self._mutations += 1
            counter = self._mutations
            if op.get("thread_id") is not None:
                k = self._index(op["thread_id"])
            else:
                live = np.flatnonzero(~t.archived)
                if not len(live):
                    raise validation_error("There is no thread to add a message to")
                # An op's own `seed` (the admin API's random shortcut sends one) makes the pick reproducible.
                salt = op.get("seed", f"mutation:{counter}")
                k = int(live[random.Random(f"{self.config.seed}:{salt}").randrange(len(live))])
        # Store reads happen outside our lock (see `threads`).
        tid = int(t.id[k])
        people = self._people(t, k)
        now = int(self.store.now_ms())
        text = op.get("text")
        body_text = str(text) if text is not None else f"Follow-up message {counter} ✉️"
        with self._lock:
            extra = self._extra.setdefault(tid, [])
            position = self._base_count(t, k) + len(extra)
            now = max(now, int(t.latest[k]) + 1)
            message = self._runtime_message(t, k, now, direction, kind, body_text, position, people)
            extra.append(message)
            events = [{"subscriptionType": "conversation.newMessage", "objectId": tid, "occurredAt": now,
                       "messageId": message["id"], "messageType": kind, "changeFlag": "NEW_MESSAGE"}]
            if kind == "MESSAGE":
                t._cols["latest"][k] = now
                if direction == "INCOMING" and int(t.closed[k]):
                    # A new incoming message reopens a closed thread, as HubSpot's inbox does.
                    t._cols["closed"][k] = 0
                    reopen = {"type": "THREAD_STATUS_CHANGE", "id": self._message_id(tid, position + 1),
                              "conversationsThreadId": str(tid), "createdAt": now, "updatedAt": now,
                              "createdBy": _SYSTEM_ACTOR, "client": {"clientType": "SYSTEM"}, "archived": False,
                              "newStatus": "OPEN"}
                    extra.append(reopen)
                    events.append({"subscriptionType": "conversation.propertyChange", "objectId": tid,
                                   "occurredAt": now, "propertyName": "status", "propertyValue": "OPEN",
                                   "changeSource": "CONVERSATIONS"})
            return events

    @staticmethod
    def _base_count(t: _Threads, k: int) -> int:
        """How many generated entries thread k has (same rule as `_base_messages`, without generating them)."""
        if int(t.n_msg[k]) == 0:
            return 0
        greeted = _LIVE_ACCOUNTS[int(t.account[k])]["channelId"] in _WELCOME_SENDERS
        return (int(t.n_msg[k]) + int(t.n_comment[k]) + greeted + (int(t.owner[k]) != 0) + bool(t.moved[k])
                + (int(t.base_closed[k]) != 0))

    def _people(self, t: _Threads, k: int) -> tuple[tuple[str, str | None, str], tuple[str, str | None]]:
        """(visitor actor, name, email) and (agent actor, name) for run-time messages of thread k."""
        owner = int(t.owner[k]) or (self._owner_ids() or [0])[0]
        agent_actor, agent_name, _ = self._agent(owner) if owner else (_SYSTEM_ACTOR, None, None)
        return self._visitor(int(t.contact[k])), (agent_actor, agent_name)

    def _runtime_message(self, t: _Threads, k: int, now: int, direction: str, kind: str, body_text: str, position: int,
                         people: tuple[tuple[str, str | None, str], tuple[str, str | None]]) -> dict[str, Any]:
        tid = int(t.id[k])
        account = _LIVE_ACCOUNTS[int(t.account[k])]
        (visitor_actor, visitor_name, visitor_email), (agent_actor, agent_name) = people
        body: dict[str, Any] = {
            "type": kind, "id": self._message_id(tid, position), "conversationsThreadId": str(tid),
            "createdAt": now, "updatedAt": now, "client": {"clientType": "HUBSPOT"}, "archived": False,
            "text": body_text, "richText": f"<div>{_html_escape(body_text)}</div>", "attachments": [],
        }
        if kind == "COMMENT":
            body.update({"createdBy": agent_actor, "senders": [{"actorId": agent_actor}]})
            return body
        incoming = direction == "INCOMING"
        visitor = {"actorId": visitor_actor, **({"name": visitor_name} if visitor_name else {})}
        agent = {"actorId": agent_actor, **({"name": agent_name} if agent_name else {})}
        if account["channelId"] == "1002":
            visitor["deliveryIdentifier"] = {"type": "HS_EMAIL_ADDRESS", "value": visitor_email}
            agent["deliveryIdentifier"] = account["deliveryIdentifier"]
        body.update({
            "createdBy": visitor_actor if incoming else agent_actor,
            "senders": [visitor if incoming else agent], "recipients": [agent if incoming else visitor],
            "truncationStatus": "NOT_TRUNCATED", "direction": direction, "channelId": account["channelId"],
            "channelAccountId": account["id"], "status": {"statusType": "READ" if incoming else "SENT"},
        })
        return body

    def apply_new_thread(self, op: dict[str, Any]) -> list[dict[str, Any]]:
        """Open a new thread with one incoming message now; returns creation and newMessage events.

        `contact_id` defaults to a seeded pick among live contacts; `channel_id` to 1000 (live chat)."""
        t = self.threads
        owners = self._owner_ids()
        channel_id = str(op.get("channel_id", "1000"))
        choices = [i for i, a in enumerate(_LIVE_ACCOUNTS) if a["channelId"] == channel_id]
        if not choices:
            raise validation_error(
                f"new_thread channel_id must be one of {sorted({a['channelId'] for a in _LIVE_ACCOUNTS})}"
            )
        with self._lock:
            self._mutations += 1
            counter = self._mutations
        rnd = random.Random(f"{self.config.seed}:new-thread:{op.get('seed', counter)}")
        contact = op.get("contact_id")
        if contact is None:
            contacts = self.store.ids("contacts")
            if not len(contacts):
                raise validation_error("There is no contact to open a thread for")
            contact = int(contacts[rnd.randrange(len(contacts))])
        try:
            contact = int(contact)
        except (TypeError, ValueError):
            raise validation_error(f"new_thread contact_id must be a contact id, got {contact!r}") from None
        account, owner = rnd.choice(choices), (rnd.choice(owners) if owners else 0)
        agent_actor, agent_name, _ = self._agent(owner) if owner else (_SYSTEM_ACTOR, None, None)
        people = (self._visitor(contact), (agent_actor, agent_name))
        now = int(self.store.now_ms())
        text = op.get("text")
        body_text = str(text) if text is not None else f"New conversation {counter} 💬"
        with self._lock:
            last_id = int(t.id[t.n - 1]) if t.n else _THREAD_ID_BASE
            tid = last_id + 16 + rnd.randrange(16)
            k = t.append({
                "id": tid, "contact": contact, "created": now, "first": now, "base_latest": now, "latest": now,
                "base_closed": 0, "closed": 0, "account": account, "owner": owner, "ticket": 0, "archived": False,
                "spam": False,
                # The generated history is empty (n_msg 0): every entry of this thread lives in `_extra`.
                "n_msg": 0, "n_comment": 0, "moved": False,
            })
            message = self._runtime_message(t, k, now, "INCOMING", "MESSAGE", body_text, 0, people)
            self._extra[tid] = [message]
        return [
            {"subscriptionType": "conversation.creation", "objectId": tid, "occurredAt": now},
            {"subscriptionType": "conversation.newMessage", "objectId": tid, "occurredAt": now,
             "messageId": message["id"], "messageType": "MESSAGE", "changeFlag": "NEW_MESSAGE"},
        ]

    # ------------------------------------------------------------------------------------------- truth and stats

    def truth(self, kind: str = "threads") -> dict[str, Any]:
        """Ground truth for `/_sandbox/truth/threads` and `/_sandbox/truth/messages` (see module docstring)."""
        t = self.threads
        if kind == "messages":
            results = []
            for k in range(t.n):
                for m in self._messages(k):
                    results.append({"id": m["id"], "threadId": m["conversationsThreadId"], "type": m["type"],
                                    "createdAt": _iso(m["createdAt"])})
            return {"objectType": "messages", "total": len(results), "results": results}
        with self._lock:
            if kind == "threads":
                results = [{"id": str(int(t.id[k])), "updatedAt": _iso(int(t.latest[k])),
                            "latestMessageTimestamp": _iso(int(t.latest[k])), "archived": bool(t.archived[k])}
                           for k in range(t.n)]
                archived = int(t.archived.sum())
                # Same convention as the CRM truth: `total` counts live threads, `archived` the others.
                return {"objectType": "threads", "total": t.n - archived, "archived": archived, "results": results}
        raise not_found("truth", kind)

    def stats(self) -> dict[str, Any]:
        """Counts for `/_sandbox/stats` without generating any message."""
        t = self.threads
        with self._lock:
            greeted = np.array([a["channelId"] in _WELCOME_SENDERS for a in _LIVE_ACCOUNTS])[t.account]
            base = (t.n_msg.astype(np.int64) + t.n_comment + greeted * (t.n_msg > 0) + (t.owner != 0) * (t.n_msg > 0)
                    + t.moved * (t.n_msg > 0) + (t.base_closed != 0))
            extra = sum(len(v) for v in self._extra.values())
            return {"threads": {"total": t.n, "archived": int(t.archived.sum())},
                    "messages": {"total": int(base.sum()) + extra}}


# ----------------------------------------------------------------------------------------------- HTTP

def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise validation_error(f"{name} must be an integer, got {raw!r}") from None


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise validation_error(f"{name} must be true or false, got {raw!r}")
    return lowered == "true"


def _multi_param(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def _page(items: list[dict[str, Any]], request: Request, *, with_total: bool = True) -> dict[str, Any]:
    limit = _int_param(request, "limit", DEFAULT_LIMIT)
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise validation_error(f"limit must be between 1 and {LIST_LIMIT_MAX}, got {limit}")
    after = request.query_params.get("after")
    start = _decode_cursor(after, 1)[0] if after else 0
    page: dict[str, Any] = {"results": items[start:start + limit]}
    if with_total:
        page = {"total": len(items), **page}
    if start + limit < len(items):
        page["paging"] = {"next": {"after": _encode_cursor(start + limit)}}
    return page


def conversation_routes(service: ConversationsService) -> list[Route]:
    """Starlette routes for every Conversations endpoint on both path families."""

    def inboxes(request: Request):
        return json_response(_page(service.inboxes(archived=_bool_param(request, "archived")), request))

    def inbox(request: Request):
        return json_response(service.inbox(request.path_params["inboxId"]))

    def channels(request: Request):
        return json_response(_page(service.channels(), request))

    def channel(request: Request):
        return json_response(service.channel(request.path_params["channelId"]))

    def channel_accounts(request: Request):
        items = service.channel_accounts(archived=_bool_param(request, "archived"),
                                         channel_ids=_multi_param(request, "channelId"),
                                         inbox_ids=_multi_param(request, "inboxId"))
        return json_response(_page(items, request))

    def channel_account(request: Request):
        return json_response(service.channel_account(request.path_params["channelAccountId"]))

    def threads(request: Request):
        params = request.query_params
        latest_after = params.get("latestMessageTimestampAfter")
        contact = params.get("associatedContactId")
        try:
            contact_id = int(contact) if contact not in (None, "") else None
        except ValueError:
            raise validation_error(f"associatedContactId must be a contact id, got {contact!r}") from None
        page = service.list_threads(
            limit=_int_param(request, "limit", DEFAULT_LIMIT),
            after=params.get("after") or None,
            sort=params.get("sort") or "id",
            latest_after_ms=(_parse_time(latest_after, "latestMessageTimestampAfter")
                             if latest_after not in (None, "") else None),
            archived=_bool_param(request, "archived"),
            inbox_ids=_multi_param(request, "inboxId"),
            contact_id=contact_id,
        )
        return json_response(page)

    def thread(request: Request):
        return json_response(service.thread(request.path_params["threadId"]))

    def messages(request: Request):
        return json_response(service.list_messages(
            request.path_params["threadId"], limit=_int_param(request, "limit", DEFAULT_LIMIT),
            after=request.query_params.get("after") or None))

    def message(request: Request):
        return json_response(service.message(request.path_params["threadId"], request.path_params["messageId"]))

    routes: list[Route] = []
    for prefix in PREFIXES:
        routes += [
            Route(f"{prefix}/inboxes", inboxes, methods=["GET"]),
            Route(f"{prefix}/inboxes/{{inboxId}}", inbox, methods=["GET"]),
            Route(f"{prefix}/channels", channels, methods=["GET"]),
            Route(f"{prefix}/channels/{{channelId}}", channel, methods=["GET"]),
            Route(f"{prefix}/channel-accounts", channel_accounts, methods=["GET"]),
            Route(f"{prefix}/channel-accounts/{{channelAccountId}}", channel_account, methods=["GET"]),
            Route(f"{prefix}/threads", threads, methods=["GET"]),
            Route(f"{prefix}/threads/{{threadId}}", thread, methods=["GET"]),
            Route(f"{prefix}/threads/{{threadId}}/messages", messages, methods=["GET"]),
            Route(f"{prefix}/threads/{{threadId}}/messages/{{messageId}}", message, methods=["GET"]),
        ]
    return routes


__all__ = ["CHANNELS", "CHANNEL_ACCOUNTS", "INBOXES", "ConversationsService", "conversation_routes"]
