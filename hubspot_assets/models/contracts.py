"""The internal data model: what a row of each mart in schema `hubspot` is, defined once in Python.

Each class is the contract of one mart (named by `config.contract` in `dbt_like_models/marts/schema.yml`): its
fields are the mart's columns, by the same names, and a test keeps the YAML column list and
the fields equal. The `contract` asset check validates the mart's rows against it (every row at small scale, a
sample at large), so what is written here is what analysts can rely on: timestamps carry their time zone, channel
and direction are closed sets, amounts and counts are never negative, ids are integers except the message ids
HubSpot makes hexadecimal. Unknown columns are errors (`extra="forbid"`): a column added to a mart's SQL must be
added here, and to its YAML, too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, model_validator


class Channel(StrEnum):
    """Where an interaction happened: a conversation (any inbox channel: chat, email inbox, Messenger, WhatsApp,
    forms; the channel's name is `Interaction.conversation_channel`) or one CRM engagement type."""

    CONVERSATION = "conversation"
    EMAIL = "email"
    CALL = "call"
    NOTE = "note"
    MEETING = "meeting"
    TASK = "task"
    COMMUNICATION = "communication"


class Direction(StrEnum):
    """From the customer (`inbound`), to the customer (`outbound`), or among the team (`internal`: notes, tasks,
    a conversation's internal comments)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Customer(_Row):
    """A live contact (`hubspot.customers`), with the contacts merged into it folded in."""

    customer_id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    full_name: str | None
    phone: str | None
    job_title: str | None
    primary_company_id: int | None
    primary_company_name: str | None
    owner_id: int | None
    owner_name: str | None
    lifecycle_stage: str | None
    lifecycle_stage_label: str | None
    lead_status: str | None
    lead_status_label: str | None
    merged_contact_ids: list[int]
    first_interaction_at: AwareDatetime | None
    last_interaction_at: AwareDatetime | None
    interaction_count: NonNegativeInt
    conversation_message_count: NonNegativeInt
    email_count: NonNegativeInt
    call_count: NonNegativeInt
    note_count: NonNegativeInt
    meeting_count: NonNegativeInt
    task_count: NonNegativeInt
    communication_count: NonNegativeInt
    created_at: AwareDatetime | None
    updated_at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self) -> Customer:
        if self.customer_id in self.merged_contact_ids:
            raise ValueError("a customer cannot be merged into itself")
        per_channel = (self.conversation_message_count + self.email_count + self.call_count + self.note_count
                       + self.meeting_count + self.task_count + self.communication_count)
        if per_channel != self.interaction_count:
            raise ValueError(f"interaction_count {self.interaction_count} is not the sum per channel {per_channel}")
        if (self.first_interaction_at is None) != (self.interaction_count == 0):
            raise ValueError("first_interaction_at is set exactly when there are interactions")
        first, last = self.first_interaction_at, self.last_interaction_at
        if first and last and first > last:
            raise ValueError("first_interaction_at is after last_interaction_at")
        return self


class Company(_Row):
    """A live company (`hubspot.companies`)."""

    company_id: int
    name: str | None
    domain: str | None
    industry: str | None
    industry_label: str | None
    phone: str | None
    city: str | None
    country: str | None
    number_of_employees: NonNegativeInt | None
    annual_revenue: NonNegativeFloat | None
    lifecycle_stage: str | None
    lifecycle_stage_label: str | None
    owner_id: int | None
    owner_name: str | None
    merged_company_ids: list[int]
    contact_count: NonNegativeInt
    deal_count: NonNegativeInt
    created_at: AwareDatetime | None
    updated_at: AwareDatetime


class Deal(_Row):
    """A live deal (`hubspot.deals`)."""

    deal_id: int
    deal_name: str | None
    amount: NonNegativeFloat | None
    close_date: AwareDatetime | None
    pipeline_id: str | None
    pipeline_label: str | None
    stage_id: str | None
    stage_label: str | None
    stage_probability: float | None = Field(ge=0, le=1)
    is_closed: bool
    is_won: bool
    deal_type: str | None
    deal_type_label: str | None
    priority: str | None
    priority_label: str | None
    owner_id: int | None
    owner_name: str | None
    company_id: int | None
    stage_entered_at: AwareDatetime | None
    days_in_current_stage: int | None
    created_at: AwareDatetime | None
    updated_at: AwareDatetime

    @model_validator(mode="after")
    def _won_is_closed(self) -> Deal:
        if self.is_won and not self.is_closed:
            raise ValueError("a won deal is closed")
        return self


class DealStage(_Row):
    """A stage a live deal entered (`hubspot.deal_stage_history`)."""

    deal_id: int
    stage_id: str
    stage_label: str | None
    pipeline_id: str | None
    pipeline_label: str | None
    stage_display_order: int | None
    entered_at: AwareDatetime
    exited_at: AwareDatetime | None
    days_in_stage: NonNegativeFloat | None
    is_current_stage: bool


class Ticket(_Row):
    """A live ticket (`hubspot.tickets`)."""

    ticket_id: int
    subject: str | None
    pipeline_id: str | None
    pipeline_label: str | None
    stage_id: str | None
    status_label: str | None
    ticket_state: Literal["OPEN", "CLOSED"] | None
    is_closed: bool
    priority: str | None
    priority_label: str | None
    category: str | None
    category_label: str | None
    source_type: str | None
    source_type_label: str | None
    owner_id: int | None
    owner_name: str | None
    contact_id: int | None
    company_id: int | None
    created_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    hours_to_close: float | None  # may be negative for records imported with an older close date
    updated_at: AwareDatetime


class Owner(_Row):
    """An active HubSpot owner, a user or a queue (`hubspot.owners`)."""

    owner_id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    owner_name: str | None
    owner_type: Literal["PERSON", "QUEUE"]
    user_id: int | None
    primary_team_id: str | None
    primary_team_name: str | None
    created_at: AwareDatetime | None
    updated_at: AwareDatetime | None


class ConversationThread(_Row):
    """A live conversation thread (`hubspot.conversations`)."""

    thread_id: int
    channel_id: int | None
    channel_name: str | None
    inbox_id: int | None
    inbox_name: str | None
    contact_id: int | None
    status: Literal["OPEN", "CLOSED"]
    is_spam: bool
    assigned_owner_id: int | None
    ticket_id: int | None
    created_at: AwareDatetime
    closed_at: AwareDatetime | None
    latest_message_at: AwareDatetime | None
    inbound_message_count: NonNegativeInt
    outbound_message_count: NonNegativeInt
    internal_comment_count: NonNegativeInt
    first_inbound_at: AwareDatetime | None
    first_response_at: AwareDatetime | None
    first_response_minutes: NonNegativeFloat | None
    hours_to_close: float | None


class Message(_Row):
    """A message of a live conversation thread, of any type (`hubspot.messages`)."""

    message_id: str
    thread_id: int
    message_type: str
    direction: Direction | None
    created_at: AwareDatetime
    sender_actor_id: str | None
    sender_name: str | None
    sender_contact_id: int | None
    sender_owner_id: int | None
    subject: str | None
    text: str | None
    channel_name: str | None


class Interaction(_Row):
    """One customer interaction on the unified timeline (`hubspot.interactions`)."""

    interaction_id: str
    channel: Channel
    record_id: str
    direction: Direction | None
    occurred_at: AwareDatetime
    subject: str | None
    body: str | None
    transcript: str | None
    owner_id: int | None
    owner_name: str | None
    contact_id: int | None
    company_id: int | None
    deal_id: int | None
    ticket_id: int | None
    thread_id: int | None
    conversation_channel: str | None

    @model_validator(mode="after")
    def _consistent(self) -> Interaction:
        if self.interaction_id != f"{self.channel.value}:{self.record_id}":
            raise ValueError("interaction_id is `<channel>:<record_id>`")
        if self.transcript is not None and self.channel is not Channel.CALL:
            raise ValueError("only calls have a transcript")
        if (self.thread_id is not None) != (self.channel is Channel.CONVERSATION):
            raise ValueError("conversation interactions, and only they, have a thread")
        return self


class _History(_Row):
    history_id: str
    property_name: str
    value: str | None
    value_label: str | None
    source_type: str | None
    valid_from: AwareDatetime
    valid_to: AwareDatetime | None
    is_current: bool

    @model_validator(mode="after")
    def _range(self) -> _History:
        if self.is_current != (self.valid_to is None):
            raise ValueError("is_current exactly when valid_to is null")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class ContactHistory(_History):
    """A past or current value of a contact property (`hubspot.contact_history`)."""

    contact_id: int


class CompanyHistory(_History):
    """A past or current value of a company property (`hubspot.company_history`)."""

    company_id: int


class DealHistory(_History):
    """A past or current value of a deal property (`hubspot.deal_history`)."""

    deal_id: int
