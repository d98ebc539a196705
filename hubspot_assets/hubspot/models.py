"""Typed views of HubSpot's answers, for callers who want attributes instead of dict keys.

Parsing is lenient the way HubSpot's answers demand: unknown fields are kept (`extra="allow"`), optional
fields may be missing, empty strings in optional fields read as None, and ids that HubSpot sends as numbers
are read as strings. What a model cannot read at all (a list where an object belongs, a missing `id`) is
reported by the caller as `MalformedResponseError` naming the endpoint.

Record-shaped data (CRM records, threads, messages) stays a plain dict in the client's main surface, because
the dlt sources load it as it comes; the models here describe metadata and the few shapes callers reason
about.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel


class HubSpotModel(BaseModel):
    """Base: camelCase aliases, snake_case attributes, unknown fields kept, frozen-free for convenience."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_string_is_none(cls, value: Any, info: Any) -> Any:
        # HubSpot sends "" for unset optional values in several places; a required str field keeps "".
        field = cls.model_fields.get(info.field_name)
        if value == "" and field is not None and not field.is_required() and field.default is None:
            return None
        return value


def _as_str(value: Any) -> Any:
    """Ids arrive as JSON numbers or strings (v4 associations, owners' userId): read both as str."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


# -- properties and object types -----------------------------------------------------------------------------
class PropertyOption(HubSpotModel):
    label: str = ""
    value: str = ""
    display_order: int | None = None
    hidden: bool = False
    description: str | None = None

    _coerce_value = field_validator("value", "label", mode="before")(
        lambda v: _as_str(v) if v is not None else ""
    )


class Property(HubSpotModel):
    """One property definition. `type` is HubSpot's data type: bool, date, datetime, enumeration, number,
    phone_number or string (others may appear; they are kept as given)."""

    name: str
    label: str = ""
    type: str = "string"
    field_type: str | None = None
    group_name: str | None = None
    description: str | None = None
    options: list[PropertyOption] = Field(default_factory=list)
    calculated: bool = False
    has_unique_value: bool = False
    hidden: bool = False
    hubspot_defined: bool = False
    archived: bool = False
    created_at: str | None = None
    updated_at: str | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _options_list(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("calculated", "has_unique_value", "hidden", "hubspot_defined", "archived", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        return False if value is None else value

    @property
    def labels(self) -> dict[str, str]:
        """Option value -> label (empty for properties without options)."""
        return {option.value: option.label for option in self.options}

    @property
    def is_multi_select(self) -> bool:
        """True when values are several options joined with `;` (checkbox enumerations)."""
        return self.type == "enumeration" and self.field_type == "checkbox"

    def option_label(self, value: str | None) -> str | None:
        """The label of one stored value; for multi-selects the labels of each `;`-joined value, `;`-joined.
        Unknown values come back unchanged (HubSpot keeps values of options that were since deleted)."""
        if value is None or value == "":
            return None
        labels = self.labels
        if self.is_multi_select:
            return ";".join(labels.get(part, part) for part in value.split(";") if part != "")
        return labels.get(value, value)


class ObjectType(HubSpotModel):
    """A CRM object type. `name` is the plural API name (contacts, or a custom object's name);
    `object_type_id` is HubSpot's id (0-1, 2-123). Either works in a path; for custom objects prefer
    `object_type_id`."""

    name: str
    object_type_id: str
    label: str = ""
    plural_label: str = ""
    custom: bool = False
    primary_display_property: str | None = None
    fully_qualified_name: str | None = None

    @property
    def path_name(self) -> str:
        """What to put in an API path: the plural name for standard types, the type id for custom ones."""
        return self.object_type_id if self.custom else self.name


# -- records, batches ----------------------------------------------------------------------------------------
class BatchError(HubSpotModel):
    """One error from a batch answer (207). `ids` lists the records it names, when HubSpot says."""

    status: str | None = None
    category: str | None = None
    sub_category: str | None = None
    message: str = ""
    context: dict[str, Any] = Field(default_factory=dict)

    @field_validator("context", mode="before")
    @classmethod
    def _context_dict(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @property
    def ids(self) -> list[str]:
        found: list[str] = []
        for key in ("ids", "id", "objectId", "objectIds"):
            values = self.context.get(key)
            if isinstance(values, (list, tuple)):
                found.extend(str(v) for v in values)
            elif values is not None:
                found.append(str(values))
        return found


class BatchResult(HubSpotModel):
    """What a batch call produced: the records it returned, the ids HubSpot could not find, and every error.

    A partial failure (207) is not raised: read `missing` and `errors`. `ok` is True when nothing failed.
    """

    results: list[dict[str, Any]] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    errors: list[BatchError] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.missing

    def extend(self, other: "BatchResult") -> None:
        self.results.extend(other.results)
        self.missing.extend(other.missing)
        self.errors.extend(other.errors)


# -- associations --------------------------------------------------------------------------------------------
class Association(BaseModel):
    """One labelled link between two records. A pair linked under two labels gives two Associations."""

    model_config = ConfigDict(frozen=True)

    from_id: str
    to_id: str
    type_id: int
    category: str = "HUBSPOT_DEFINED"
    label: str | None = None

    _ids = field_validator("from_id", "to_id", mode="before")(_as_str)


class AssociationLabel(HubSpotModel):
    category: str = "HUBSPOT_DEFINED"
    type_id: int
    label: str | None = None


# -- owners, pipelines ---------------------------------------------------------------------------------------
class Team(HubSpotModel):
    id: str
    name: str | None = None
    primary: bool = False

    _id = field_validator("id", mode="before")(_as_str)


class Owner(HubSpotModel):
    """A HubSpot user or queue that records can be assigned to; `hubspot_owner_id` on records is `id`."""

    id: str
    email: str | None = None
    type: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    user_id: str | None = None
    user_id_including_inactive: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    archived: bool = False
    teams: list[Team] = Field(default_factory=list)

    _ids = field_validator("id", "user_id", "user_id_including_inactive", mode="before")(_as_str)

    @field_validator("teams", mode="before")
    @classmethod
    def _teams_list(cls, value: Any) -> Any:
        return [] if value is None else value


class PipelineStage(HubSpotModel):
    id: str
    label: str = ""
    display_order: int | None = None
    archived: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)

    _id = field_validator("id", mode="before")(_as_str)

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_dict(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @property
    def probability(self) -> float | None:
        """Deal stages: win probability 0..1 (HubSpot stores it as a string)."""
        raw = self.metadata.get("probability")
        try:
            return float(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            return None


class Pipeline(HubSpotModel):
    id: str
    label: str = ""
    display_order: int | None = None
    archived: bool = False
    created_at: str | None = None
    updated_at: str | None = None
    stages: list[PipelineStage] = Field(default_factory=list)

    _id = field_validator("id", mode="before")(_as_str)

    @field_validator("stages", mode="before")
    @classmethod
    def _stages_list(cls, value: Any) -> Any:
        return [] if value is None else value


# -- conversations, transcripts ------------------------------------------------------------------------------
class Thread(HubSpotModel):
    id: str
    created_at: str | None = None
    closed_at: str | None = None
    status: str | None = None
    original_channel_id: str | None = None
    original_channel_account_id: str | None = None
    latest_message_timestamp: str | None = None
    assigned_to: str | None = None
    spam: bool = False
    inbox_id: str | None = None
    associated_contact_id: str | None = None
    archived: bool = False

    _ids = field_validator(
        "id",
        "original_channel_id",
        "original_channel_account_id",
        "inbox_id",
        "associated_contact_id",
        mode="before",
    )(_as_str)


class Message(HubSpotModel):
    """A thread entry. `type` says which shape: MESSAGE, COMMENT, WELCOME_MESSAGE, ASSIGNMENT,
    THREAD_STATUS_CHANGE, THREAD_INBOX_CHANGE (others kept as given)."""

    id: str
    type: str = "MESSAGE"
    conversations_thread_id: str | None = None
    created_at: str | None = None
    text: str | None = None
    rich_text: str | None = None
    subject: str | None = None
    direction: str | None = None
    channel_id: str | None = None
    channel_account_id: str | None = None
    archived: bool = False
    senders: list[dict[str, Any]] = Field(default_factory=list)
    recipients: list[dict[str, Any]] = Field(default_factory=list)
    attachments: list[dict[str, Any]] = Field(default_factory=list)

    _ids = field_validator(
        "id", "conversations_thread_id", "channel_id", "channel_account_id", mode="before"
    )(_as_str)


class Speaker(HubSpotModel):
    id: str | None = None
    name: str | None = None
    email: str | None = None

    _id = field_validator("id", mode="before")(_as_str)


class Utterance(HubSpotModel):
    id: str | None = None
    speaker: Speaker = Field(default_factory=Speaker)
    text: str = ""
    language_code: str | None = None
    start_time_millis: int | None = None
    end_time_millis: int | None = None

    _id = field_validator("id", mode="before")(_as_str)


class Transcript(HubSpotModel):
    id: str
    engagement_id: str | None = None
    transcript_source: str | None = None
    transcript_utterances: list[Utterance] = Field(
        default_factory=list, validation_alias=AliasChoices("transcriptUtterances", "transcript_utterances")
    )
    created_at: str | None = None
    updated_at: str | None = None

    _ids = field_validator("id", "engagement_id", mode="before")(_as_str)

    @property
    def text(self) -> str:
        """The whole conversation as `speaker: text` lines, in order."""
        return "\n".join(
            f"{u.speaker.name or u.speaker.id or '?'}: {u.text}" for u in self.transcript_utterances
        )
