"""What each table of `hubspot_raw` holds, for the asset descriptions users read in Dagster."""

from __future__ import annotations

from hubspot_assets.sources.settings import (
    CUSTOM_OBJECTS_RESOURCE,
    STANDARD_OBJECTS,
    TABLE_ASSOCIATIONS,
    TABLE_CHANNEL_ACCOUNTS,
    TABLE_CHANNELS,
    TABLE_INBOXES,
    TABLE_MERGES,
    TABLE_MESSAGE_PARTICIPANTS,
    TABLE_MESSAGES,
    TABLE_OWNERS,
    TABLE_PIPELINE_STAGES,
    TABLE_PIPELINES,
    TABLE_PROPERTIES,
    TABLE_PROPERTY_HISTORY,
    TABLE_PROPERTY_OPTIONS,
    TABLE_THREADS,
    TABLE_TRANSCRIPT_UTTERANCES,
)

RESOURCE_DESCRIPTIONS: dict[str, str] = {
    **{name: f"HubSpot {name.replace('_', ' ')}: one row per record, every property as a typed column." for name in STANDARD_OBJECTS},
    CUSTOM_OBJECTS_RESOURCE: (
        "Custom object types that have no asset of their own yet (before the first run: all of them; later: those "
        "created in HubSpot since the code location loaded), each loaded into a table named after it. Each such "
        "table becomes its own asset `hubspot_raw/<table>` when the code location is reloaded after the run."
    ),
    TABLE_OWNERS: "HubSpot owners (users and queues), active and archived; `hubspot_owner_id` on records joins `id`.",
    TABLE_PIPELINES: "Deal and ticket pipelines.",
    TABLE_PIPELINE_STAGES: "Stages of each pipeline, with probability (deals) or ticket state (tickets).",
    TABLE_PROPERTIES: "Property definitions of every loaded object type (label, type, group).",
    TABLE_PROPERTY_OPTIONS: "Option values and labels of enumeration properties.",
    TABLE_ASSOCIATIONS: "Links between records (v4 API): one row per link and association type, with category and label.",
    TABLE_MERGES: "Records merged into another: merged_id now lives on as survivor_id.",
    TABLE_PROPERTY_HISTORY: "Every historical value of the properties chosen in HUBSPOT_PROPERTY_HISTORY.",
    TABLE_INBOXES: "Conversations inboxes.",
    TABLE_CHANNELS: "Conversations channels (live chat, email, Facebook Messenger...).",
    TABLE_CHANNEL_ACCOUNTS: "Conversations channel accounts (one per connected chat widget, mailbox, page...).",
    TABLE_THREADS: "Conversation threads.",
    TABLE_MESSAGES: "Every message of every thread (messages, comments, welcome messages, assignments, status changes).",
    TABLE_MESSAGE_PARTICIPANTS: "Senders and recipients of each message.",
    TABLE_TRANSCRIPT_UTTERANCES: "Call transcripts, one row per utterance (speaker, text, times), linked to the call.",
}


def table_description(table: str) -> str:
    """The description of a `hubspot_raw` table (a custom object table when the source does not define it)."""
    return RESOURCE_DESCRIPTIONS.get(table) or (
        f"Records of the HubSpot custom object `{table}`, one row per record (key `id`), every property a column."
    )
