"""Constants of the HubSpot dlt source: the knobs a reader looks for, in one place."""

from __future__ import annotations

# Standard CRM object types loaded by default (custom objects are discovered from /crm/v3/schemas).
STANDARD_OBJECTS: tuple[str, ...] = (
    "contacts",
    "companies",
    "deals",
    "tickets",
    "products",
    "line_items",
    "calls",
    "emails",
    "notes",
    "meetings",
    "tasks",
    "communications",
    "quotes",
)

ENGAGEMENT_OBJECTS: frozenset[str] = frozenset({"calls", "emails", "notes", "meetings", "tasks", "communications"})

# Objects that own pipelines (GET /crm/v3/pipelines/{type}).
PIPELINE_OBJECTS: tuple[str, ...] = ("deals", "tickets")

# The last-modified property HubSpot keeps per type (search filters and sorts on it).
LAST_MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}
DEFAULT_LAST_MODIFIED_PROPERTY = "hs_lastmodifieddate"

# Association pairs read from the v4 API, each link stored once, from the "from" side listed here.
# Hubs (contacts, companies, deals, tickets) pair with each other once; every other type (engagements,
# products, line items, custom objects) points at the hubs it can be associated with.
ASSOCIATION_HUBS: tuple[str, ...] = ("contacts", "companies", "deals", "tickets")
LINE_ITEM_TARGETS: tuple[str, ...] = ("deals",)
PRODUCT_TARGETS: tuple[str, ...] = ()

# Table names in the `hubspot_raw` dataset that are not CRM object types.
DATASET_NAME = "hubspot_raw"
PIPELINE_NAME = "hubspot"
TABLE_OWNERS = "owners"
TABLE_PIPELINES = "pipelines"
TABLE_PIPELINE_STAGES = "pipeline_stages"
TABLE_PROPERTIES = "properties"
TABLE_PROPERTY_OPTIONS = "property_options"
TABLE_ASSOCIATIONS = "associations"
TABLE_MERGES = "merges"
TABLE_PROPERTY_HISTORY = "property_history"
TABLE_INBOXES = "inboxes"
TABLE_CHANNELS = "channels"
TABLE_CHANNEL_ACCOUNTS = "channel_accounts"
TABLE_THREADS = "threads"
TABLE_MESSAGES = "messages"
TABLE_MESSAGE_PARTICIPANTS = "message_participants"
TABLE_TRANSCRIPT_UTTERANCES = "call_transcript_utterances"

# The resource that loads the custom object types that have no resource of their own in a source (types created in
# HubSpot after the Dagster definitions were built); it writes one table per type and no table of its own.
CUSTOM_OBJECTS_RESOURCE = "custom_objects"
# The resource that reads each thread's messages; the `messages` and `message_participants` tables are built from it.
MESSAGES_RAW_RESOURCE = "conversation_messages_raw"

METADATA_TABLES: tuple[str, ...] = (TABLE_PROPERTIES, TABLE_PROPERTY_OPTIONS, TABLE_OWNERS, TABLE_PIPELINES,
                                    TABLE_PIPELINE_STAGES)
CONVERSATION_TABLES: tuple[str, ...] = (TABLE_INBOXES, TABLE_CHANNELS, TABLE_CHANNEL_ACCOUNTS, TABLE_THREADS,
                                        TABLE_MESSAGES, TABLE_MESSAGE_PARTICIPANTS)
# Every table (and resource) name the source defines itself; a custom object with one of these names is stored as
# `custom_<name>`.
FIXED_TABLES: frozenset[str] = frozenset({
    *STANDARD_OBJECTS, *METADATA_TABLES, *CONVERSATION_TABLES, TABLE_ASSOCIATIONS, TABLE_MERGES,
    TABLE_PROPERTY_HISTORY, TABLE_TRANSCRIPT_UTTERANCES, CUSTOM_OBJECTS_RESOURCE, MESSAGES_RAW_RESOURCE,
})

# What HUBSPOT_OBJECTS / --objects may name besides object types: the areas a narrowed run reads only when named.
OWNERS_AREA = "owners"
CONVERSATIONS_AREA = "conversations"

# Write dispositions. Record tables and the tables derived from records merge on their keys (dlt `merge`,
# `delete-insert`), so full, incremental and partial loads all go through the same write path.
MERGE = {"disposition": "merge", "strategy": "delete-insert"}

# Record-level columns every CRM table has; a HubSpot property with one of these names gets a `property_` prefix.
RECORD_COLUMNS: tuple[str, ...] = ("id", "created_at", "updated_at", "archived", "archived_at")
PROPERTY_PREFIX_ON_CLASH = "property_"

# The hidden column that tells dlt's merge to delete a row (GDPR deletions, links that disappeared).
HARD_DELETE_COLUMN = "_hubspot_deleted"
# A list HubSpot answers whole (owners, inboxes, channels, channel accounts): merged on id, with a delete marker for
# each stored row the list no longer has (`Extraction.whole_list`), so a run that does not read it keeps the table.
WHOLE_LIST = {"write_disposition": MERGE, "primary_key": "id",
              "columns": {HARD_DELETE_COLUMN: {"data_type": "bool", "hard_delete": True}}}

# Sync modes: incremental reads changes since the stored cursor (everything on the first run); reconcile also
# detects deletes and re-reads every association; full re-reads everything and reconciles.
MODES: tuple[str, ...] = ("incremental", "reconcile", "full")

# Paging sizes (HubSpot's maximums).
LIST_PAGE_SIZE = 100
SEARCH_PAGE_SIZE = 200
THREADS_PAGE_SIZE = 500
