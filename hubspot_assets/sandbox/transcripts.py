"""The sandbox's call transcripts API.

`GET /crm/v3/extensions/calling/transcripts/{transcriptId}` and `/crm/extensions/calling/2026-03/transcripts/{id}`
answer the transcript of the call whose `hs_call_transcription_id` is `transcriptId`:
`{"id", "engagementId": <number>, "transcriptSource", "transcriptUtterances": [{"id", "speaker": {"id", "name",
"email"?}, "text", "languageCode", "startTimeMillis", "endTimeMillis"}], "createdAt", "updatedAt"}`.

- The caller needs the scope `crm.extensions_calling_transcripts.read` (`request.scope["hubspot_auth"]["scopes"]`,
  set by the platform middleware); without it: 403 MISSING_SCOPES naming the scope. Private-app tokens never
  carry it, OAuth tokens do when granted.
- Unknown ids, calls without a transcript and archived calls: 404 OBJECT_NOT_FOUND.
- The agent speaker is the call's owner (speaker id = owner id), the customer speaker the call's first associated
  contact (speaker id = contact id); utterances alternate, in order, within the call's `hs_call_duration`.
- Content is deterministic from (seed, transcript id).
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from hubspot_assets.sandbox.errors import HubSpotError, json_response, not_found

TRANSCRIPTS_SCOPE = "crm.extensions_calling_transcripts.read"
PATHS = (
    "/crm/v3/extensions/calling/transcripts/{transcriptId}",
    "/crm/extensions/calling/2026-03/transcripts/{transcriptId}",
)
_DEFAULT_DURATION_MS = 180_000  # when the call has no hs_call_duration

_AGENT_LINES = (
    "Hi, thanks for taking my call. Do you have a few minutes?",
    "I'm calling about the renewal of your subscription.",
    "Let me pull up your account details.",
    "We can offer a 10% discount if you sign for two years.",
    "I'll send you a summary by email after this call.",
    "Does Thursday at 3 pm work for a follow-up?",
    "Thanks for your time, have a great day!",
)
_CUSTOMER_LINES = (
    "Sure, I have about ten minutes.",
    "We're happy with the product but the price went up.",
    "Can you tell me what's included in the professional tier?",
    "That sounds reasonable, I need to check with my manager.",
    "Honestly, the onboarding was a bit rough — but it's better now.",
    "Thursday works. Talk to you then.",
    "Danke, bis bald!",
)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _to_ms(value: Any) -> int | None:
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def missing_scopes_error(scope: str = TRANSCRIPTS_SCOPE) -> HubSpotError:
    """HubSpot's 403 for a token without a required scope (the `errors` entry names the scope)."""
    return HubSpotError(
        403,
        "This app hasn't been granted all required scopes to make this call. "
        f"It needs the scope {scope}: reinstall the app (OAuth) with it; private-app tokens cannot read transcripts.",
        "MISSING_SCOPES",
        extra={
            "errors": [{"message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": [scope]}}],
            "links": {"scopes": "https://developers.hubspot.com/scopes"},
        },
    )


class TranscriptService:
    """Builds call transcripts on demand from the store's calls, owners and contacts."""

    def __init__(self, config: Any, store: Any) -> None:
        self.config = config
        self.store = store

    def _owner(self, owner_id: int | None) -> dict[str, Any] | None:
        if owner_id is None:
            return None
        owners = getattr(self.store, "owners", None)
        records = (owners() if callable(owners) else owners) or []
        for owner in records:
            if isinstance(owner, dict) and str(owner.get("id")) == str(owner_id):
                return owner
        return None

    def _contact_id(self, call_id: int) -> int | None:
        links = getattr(self.store, "links", None)
        if not callable(links):
            return None
        found = links("calls", call_id, "contacts")
        return int(found[0][0]) if found else None

    def transcript(self, transcript_id: str) -> dict[str, Any]:
        """The transcript body; raises 404 OBJECT_NOT_FOUND for unknown ids or calls without a transcript."""
        call_id = self.store.call_for_transcript(str(transcript_id))
        if call_id is None:
            raise not_found("transcript", str(transcript_id))
        call = self.store.get("calls", int(call_id), properties=[
            "hs_call_duration", "hs_timestamp", "hubspot_owner_id", "hs_call_direction", "hs_createdate",
        ])
        if call is None or call.get("archived"):
            raise not_found("transcript", str(transcript_id))
        props = call.get("properties") or {}
        rnd = random.Random(f"{self.config.seed}:transcript:{transcript_id}")

        duration = _to_ms(props.get("hs_call_duration")) or _DEFAULT_DURATION_MS
        started = _to_ms(props.get("hs_timestamp")) or _to_ms(call.get("createdAt")) or 0
        created = started + duration + rnd.randint(30_000, 600_000)
        updated = created + (rnd.randint(60_000, 7 * 86_400_000) if rnd.random() < 0.2 else 0)

        owner_raw = props.get("hubspot_owner_id")
        owner_id = int(owner_raw) if owner_raw not in (None, "") and str(owner_raw).isdigit() else None
        owner = self._owner(owner_id)
        agent: dict[str, Any] = {"id": str(owner_id) if owner_id is not None else "0",
                                 "name": "Unassigned agent"}
        if owner is not None:
            agent["name"] = " ".join(p for p in (owner.get("firstName"), owner.get("lastName")) if p) or agent["name"]
            if owner.get("email"):
                agent["email"] = owner["email"]
        contact_id = self._contact_id(int(call_id))
        customer: dict[str, Any] = {"id": str(contact_id) if contact_id is not None else "unknown-caller",
                                    "name": "Unknown caller"}
        if contact_id is not None:
            contact = self.store.get("contacts", contact_id, properties=["firstname", "lastname", "email"]) or {}
            cprops = contact.get("properties") or {}
            customer["name"] = " ".join(p for p in (cprops.get("firstname"), cprops.get("lastname")) if p) or \
                customer["name"]
            if cprops.get("email"):
                customer["email"] = cprops["email"]

        # Who speaks first follows the call direction: the agent on outbound calls, the customer on inbound ones.
        agent_first = props.get("hs_call_direction") != "INBOUND"
        count = max(2, min(24, duration // 20_000))
        count = rnd.randint(max(2, count // 2), count)
        slot = duration // count
        utterances = []
        for i in range(count):
            speaks_agent = (i % 2 == 0) == agent_first
            start = i * slot + rnd.randint(0, max(0, slot // 5))
            end = min(duration, start + max(500, int(slot * rnd.uniform(0.5, 0.8))))
            lines = _AGENT_LINES if speaks_agent else _CUSTOMER_LINES
            text = lines[min(len(lines) - 1, i // 2)] if i < count - 2 else lines[-1]
            utterances.append({
                "id": f"{transcript_id}-{i + 1}",
                "speaker": dict(agent if speaks_agent else customer),
                "text": text,
                "languageCode": "de-DE" if text == "Danke, bis bald!" else "en-US",
                "startTimeMillis": start,
                "endTimeMillis": end,
            })
        return {
            "id": str(transcript_id),
            "engagementId": int(call_id),
            "transcriptSource": "HUBSPOT_GENERATED" if rnd.random() < 0.8 else "INTEGRATOR_GENERATED",
            "transcriptUtterances": utterances,
            "createdAt": _iso(created),
            "updatedAt": _iso(updated),
        }


def _require_scope(request: Request, scope: str) -> None:
    auth = request.scope.get("hubspot_auth") or {}
    if scope not in (auth.get("scopes") or ()):
        raise missing_scopes_error(scope)


def transcript_routes(service: TranscriptService) -> list[Route]:
    """Routes for both transcript path families; the scope check comes before any lookup."""

    def get_transcript(request: Request):
        _require_scope(request, TRANSCRIPTS_SCOPE)
        return json_response(service.transcript(request.path_params["transcriptId"]))

    return [Route(path, get_transcript, methods=["GET"]) for path in PATHS]


__all__ = ["TRANSCRIPTS_SCOPE", "TranscriptService", "missing_scopes_error", "transcript_routes"]
