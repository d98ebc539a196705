"""The generated portal's metadata: object types, their properties, pipelines, owners and association types.

Everything here is fixed (it does not depend on the seed) so that property lists, schemas and pipelines look the
same in every sandbox, while record values (generator.py) vary with the seed.

Custom objects generated: `pets` (objectTypeId 2-3508482, fully qualified `p62515_pets`) and `vehicles`
(2-3508483, `p62515_vehicles`). Paths accept the plural name, the type id, the fully qualified name, or `p_<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fixed moments (UTC epoch ms) that bound the generated history; mutations use the wall clock, which is later.
PORTAL_CREATED_MS = 1_640_995_200_000  # 2022-01-01T00:00:00Z
DATA_START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z
DATA_END_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class PropertyDef:
    """One CRM property as `GET /crm/v3/properties/{type}` describes it, plus how values are generated."""

    name: str
    label: str
    type: str  # bool, date, datetime, enumeration, number, phone_number, string
    field_type: str  # text, textarea, html, number, booleancheckbox, select, checkbox, radio, date, phonenumber, ...
    group: str
    options: tuple[tuple[str, str], ...] = ()
    hubspot_defined: bool = True
    null_rate: float = 0.15
    vocab: str = ""  # which value pool to draw from (generator.py); "" means by type
    calculated: bool = False
    has_unique_value: bool = False

    def describe(self, display_order: int) -> dict:
        """The property as HubSpot's properties API answers it."""
        options = [
            {"label": label, "value": value, "displayOrder": i, "hidden": False}
            for i, (label, value) in enumerate(self.options)
        ]
        body = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": "",
            "groupName": self.group,
            "options": options,
            "displayOrder": display_order,
            "calculated": self.calculated,
            "externalOptions": False,
            "hasUniqueValue": self.has_unique_value,
            "hidden": False,
            "modificationMetadata": {"archivable": not self.hubspot_defined, "readOnlyDefinition": self.hubspot_defined,
                                     "readOnlyValue": self.calculated},
            "formField": not self.hubspot_defined,
            "archived": False,
            "createdAt": "2022-01-01T00:00:00.000Z",
            "updatedAt": "2024-06-01T12:00:00.000Z",
        }
        if self.hubspot_defined:
            body["hubspotDefined"] = True
        return body


@dataclass(frozen=True)
class ObjectSpec:
    """An object type of the portal."""

    name: str  # canonical plural name used in paths and by the store
    type_id: str  # "0-1", "2-3508482"
    singular: str  # "contact"
    label: str  # "Contact"
    ratio: float  # records per contact
    id_base: int  # first id is above this
    createdate: str  # "createdate" or "hs_createdate"
    lastmodified: str  # "lastmodifieddate" or "hs_lastmodifieddate"
    default_properties: tuple[str, ...]
    properties: tuple[PropertyDef, ...] = field(default=())
    custom: bool = False
    primary_display: str = "hs_object_id"

    @property
    def webhook_prefix(self) -> str | None:
        """The subscription type prefix (`contact`), or None for types that use generic `object.*` events."""
        return {"contacts": "contact", "companies": "company", "deals": "deal", "tickets": "ticket",
                "products": "product", "line_items": "line_item"}.get(self.name)

    @property
    def fully_qualified_name(self) -> str:
        return f"p62515_{self.name}" if self.custom else self.name


def _p(name: str, label: str, type_: str, field_type: str, group: str, **kw) -> PropertyDef:
    return PropertyDef(name, label, type_, field_type, group, **kw)


def _opts(*values: str) -> tuple[tuple[str, str], ...]:
    return tuple((v.replace("_", " ").title(), v) for v in values)


def _sys(createdate: str, lastmodified: str, group: str) -> list[PropertyDef]:
    return [
        _p("hs_object_id", "Record ID", "number", "number", group, null_rate=0, vocab="@id", calculated=True,
           has_unique_value=True),
        _p(createdate, "Create Date", "datetime", "date", group, null_rate=0, vocab="@created"),
        _p(lastmodified, "Last Modified Date", "datetime", "date", group, null_rate=0, vocab="@updated",
           calculated=True),
        _p("hubspot_owner_id", "Owner", "enumeration", "select", group, vocab="@owner", null_rate=0.1),
        _p("hs_merged_object_ids", "Merged Record IDs", "enumeration", "checkbox", group, vocab="@merged",
           calculated=True),
    ]


LIFECYCLE = _opts("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
                  "evangelist", "other")
LEAD_STATUS = _opts("NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED",
                    "BAD_TIMING")
INDUSTRY = _opts("COMPUTER_SOFTWARE", "FINANCIAL_SERVICES", "HOSPITAL_HEALTH_CARE", "RETAIL", "EDUCATION_MANAGEMENT",
                 "MARKETING_AND_ADVERTISING", "CONSTRUCTION", "TELECOMMUNICATIONS")
SOURCES = _opts("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS", "OTHER_CAMPAIGNS",
                "DIRECT_TRAFFIC", "OFFLINE")

_CUSTOM_THEMES = ("marketing", "sales", "support", "product", "finance", "legal", "success", "partner", "event",
                  "survey")
_CUSTOM_WORDS = ("engagement_score", "segment", "preference", "tier", "region", "channel", "status", "source",
                 "signed_on", "renewal_at", "budget", "headcount", "remarks", "reference_code", "rating")
_CUSTOM_KINDS = (
    ("string", "text"), ("number", "number"), ("bool", "booleancheckbox"), ("enumeration", "select"),
    ("enumeration", "checkbox"), ("date", "date"), ("datetime", "date"), ("phone_number", "phonenumber"),
    ("string", "textarea"), ("enumeration", "radio"),
)


def _custom_properties(count: int, group: str, prefix: str = "") -> list[PropertyDef]:
    """`count` portal-defined properties of every type, with long-ish names (a wide portal)."""
    out = []
    for k in range(count):
        theme = _CUSTOM_THEMES[k % len(_CUSTOM_THEMES)]
        word = _CUSTOM_WORDS[(k // len(_CUSTOM_THEMES)) % len(_CUSTOM_WORDS)]
        type_, field_type = _CUSTOM_KINDS[k % len(_CUSTOM_KINDS)]
        name = f"{prefix}{theme}_{word}_field_{k:03d}"
        label = f"{theme.title()} {word.replace('_', ' ')} {k}"
        if k % 17 == 0:
            label += " (préférence)"
        options: tuple[tuple[str, str], ...] = ()
        if type_ == "enumeration":
            options = tuple((f"Option {chr(65 + i)}{' ü' if i == 3 else ''}", f"option_{chr(97 + i)}")
                            for i in range(3 + k % 6))
        elif type_ == "bool":
            options = (("Yes", "true"), ("No", "false"))
        null_rate = (0.05, 0.2, 0.5, 0.9)[k % 4]
        out.append(_p(name, label, type_, field_type, group, options=options, hubspot_defined=False,
                      null_rate=null_rate))
    return out


def _engagement_common(createdate: str = "hs_createdate") -> list[PropertyDef]:
    g = "engagement"
    return _sys(createdate, "hs_lastmodifieddate", g)[:4] + [
        _p("hs_timestamp", "Activity date", "datetime", "date", g, null_rate=0, vocab="@timestamp"),
        _p("hs_attachment_ids", "Attachment IDs", "enumeration", "checkbox", g, null_rate=0.8, vocab="attachments"),
        _p("hs_body_preview", "Body preview", "string", "text", g, null_rate=0.1, vocab="sentence"),
        _p("hs_activity_type", "Activity type", "enumeration", "select", g,
           options=_opts("Discovery", "Demo", "Check-in", "Renewal")),
    ]


def _build_specs() -> list[ObjectSpec]:
    cg = "contactinformation"
    contacts = _sys("createdate", "lastmodifieddate", cg) + [
        _p("firstname", "First Name", "string", "text", cg, null_rate=0.03, vocab="firstname"),
        _p("lastname", "Last Name", "string", "text", cg, null_rate=0.03, vocab="lastname"),
        _p("email", "Email", "string", "text", cg, null_rate=0, vocab="@email", has_unique_value=True),
        _p("phone", "Phone Number", "string", "phonenumber", cg, vocab="phone"),
        _p("mobilephone", "Mobile Phone Number", "string", "phonenumber", cg, null_rate=0.6, vocab="phone"),
        _p("company", "Company Name", "string", "text", cg, vocab="company"),
        _p("jobtitle", "Job Title", "string", "text", cg, vocab="jobtitle"),
        _p("website", "Website URL", "string", "text", cg, null_rate=0.5, vocab="website"),
        _p("address", "Street Address", "string", "text", cg, null_rate=0.4, vocab="street"),
        _p("city", "City", "string", "text", cg, vocab="city"),
        _p("state", "State/Region", "string", "text", cg, null_rate=0.3, vocab="state"),
        _p("zip", "Postal Code", "string", "text", cg, null_rate=0.3, vocab="zip"),
        _p("country", "Country/Region", "string", "text", cg, vocab="country"),
        _p("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", cg, options=LIFECYCLE, null_rate=0.05),
        _p("hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties", options=LEAD_STATUS),
        _p("industry", "Industry", "string", "text", cg, null_rate=0.5, vocab="industry_text"),
        _p("annualrevenue", "Annual Revenue", "string", "text", cg, null_rate=0.6, vocab="money"),
        _p("hs_email_optout", "Unsubscribed from all email", "bool", "booleancheckbox", "emailinformation",
           options=(("Yes", "true"), ("No", "false")), null_rate=0.3),
        _p("hs_language", "Preferred language", "enumeration", "select", cg,
           options=_opts("en", "fr", "de", "es", "ja", "pt-br"), null_rate=0.4),
        _p("hs_analytics_source", "Original Source", "enumeration", "select", "analyticsinformation",
           options=SOURCES, null_rate=0.05),
        _p("hs_analytics_num_page_views", "Number of Pageviews", "number", "number", "analyticsinformation",
           null_rate=0.05, vocab="count"),
        _p("hs_analytics_first_timestamp", "Time First Seen", "datetime", "date", "analyticsinformation",
           null_rate=0.1),
        _p("date_of_birth", "Date of birth", "date", "date", cg, null_rate=0.7),
        _p("hs_buying_role", "Buying Role", "enumeration", "checkbox", "sales_properties",
           options=_opts("BUDGET_HOLDER", "CHAMPION", "DECISION_MAKER", "END_USER", "EXECUTIVE_SPONSOR",
                         "INFLUENCER", "LEGAL_AND_COMPLIANCE", "OTHER"), null_rate=0.5),
        _p("notes_last_updated", "Last Activity Date", "datetime", "date", "sales_properties", null_rate=0.3),
        _p("num_associated_deals", "Associated Deals", "number", "number", "sales_properties", vocab="small_count",
           calculated=True),
        _p("hs_persona", "Persona", "enumeration", "radio", "sales_properties",
           options=(("Marketing Mary", "persona_1"), ("Sales Sam", "persona_2"), ("Owner Olivia", "persona_3")),
           null_rate=0.6),
        _p("message", "Message", "string", "textarea", cg, null_rate=0.7, vocab="paragraph"),
        _p("hs_timezone", "Time Zone", "enumeration", "select", cg,
           options=_opts("europe_slash_paris", "america_slash_new_york", "asia_slash_tokyo", "us_slash_pacific"),
           null_rate=0.5),
    ] + _custom_properties(300, "custom_contact_fields")

    og = "companyinformation"
    companies = _sys("createdate", "hs_lastmodifieddate", og) + [
        _p("name", "Company name", "string", "text", og, null_rate=0.01, vocab="company"),
        _p("domain", "Company Domain Name", "string", "text", og, null_rate=0.1, vocab="domain"),
        _p("industry", "Industry", "enumeration", "select", og, options=INDUSTRY),
        _p("phone", "Phone Number", "string", "phonenumber", og, vocab="phone"),
        _p("city", "City", "string", "text", og, vocab="city"),
        _p("country", "Country/Region", "string", "text", og, vocab="country"),
        _p("numberofemployees", "Number of Employees", "number", "number", og, vocab="count"),
        _p("annualrevenue", "Annual Revenue", "number", "number", og, vocab="money"),
        _p("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", og, options=LIFECYCLE),
        _p("description", "Description", "string", "textarea", og, null_rate=0.4, vocab="paragraph"),
        _p("founded_year", "Year Founded", "string", "text", og, null_rate=0.5, vocab="year"),
        _p("is_public", "Is Public", "bool", "booleancheckbox", og, options=(("Yes", "true"), ("No", "false"))),
    ] + _custom_properties(40, "custom_company_fields", prefix="co_")

    dg = "dealinformation"
    deals = _sys("createdate", "hs_lastmodifieddate", dg) + [
        _p("dealname", "Deal Name", "string", "text", dg, null_rate=0, vocab="dealname"),
        _p("amount", "Amount", "number", "number", dg, null_rate=0.1, vocab="money"),
        _p("closedate", "Close Date", "datetime", "date", dg, null_rate=0.2),
        _p("pipeline", "Pipeline", "enumeration", "select", dg, null_rate=0, vocab="@pipeline"),
        _p("dealstage", "Deal Stage", "enumeration", "radio", dg, null_rate=0, vocab="@stage"),
        _p("dealtype", "Deal Type", "enumeration", "radio", dg, options=_opts("newbusiness", "existingbusiness")),
        _p("hs_priority", "Priority", "enumeration", "select", dg, options=_opts("low", "medium", "high")),
        _p("description", "Deal Description", "string", "textarea", dg, null_rate=0.5, vocab="paragraph"),
        _p("hs_forecast_probability", "Forecast Probability", "number", "number", dg, null_rate=0.4,
           vocab="probability"),
    ] + _custom_properties(25, "custom_deal_fields", prefix="deal_")

    tg = "ticketinformation"
    tickets = _sys("createdate", "hs_lastmodifieddate", tg) + [
        _p("subject", "Ticket name", "string", "text", tg, null_rate=0, vocab="subject"),
        _p("content", "Ticket description", "string", "textarea", tg, null_rate=0.2, vocab="paragraph"),
        _p("hs_pipeline", "Pipeline", "enumeration", "select", tg, null_rate=0, vocab="@pipeline"),
        _p("hs_pipeline_stage", "Ticket status", "enumeration", "select", tg, null_rate=0, vocab="@stage"),
        _p("hs_ticket_priority", "Priority", "enumeration", "select", tg, options=_opts("LOW", "MEDIUM", "HIGH",
                                                                                         "URGENT")),
        _p("hs_ticket_category", "Category", "enumeration", "checkbox", tg,
           options=_opts("PRODUCT_ISSUE", "BILLING_ISSUE", "FEATURE_REQUEST", "GENERAL_INQUIRY")),
        _p("source_type", "Source", "enumeration", "select", tg, options=_opts("CHAT", "EMAIL", "FORM", "PHONE")),
        _p("closed_date", "Close date", "datetime", "date", tg, null_rate=0.5),
    ]

    pg = "productinformation"
    products = _sys("createdate", "hs_lastmodifieddate", pg)[:4] + [
        _p("name", "Name", "string", "text", pg, null_rate=0, vocab="product"),
        _p("price", "Unit price", "number", "number", pg, null_rate=0, vocab="price"),
        _p("hs_sku", "SKU", "string", "text", pg, vocab="sku"),
        _p("description", "Description", "string", "textarea", pg, vocab="paragraph"),
        _p("hs_recurring_billing_period", "Term", "string", "text", pg, null_rate=0.5, vocab="period"),
        _p("recurringbillingfrequency", "Billing frequency", "enumeration", "select", pg,
           options=_opts("monthly", "quarterly", "annually")),
    ]
    line_items = _sys("createdate", "hs_lastmodifieddate", pg)[:4] + [
        _p("name", "Name", "string", "text", pg, null_rate=0, vocab="product"),
        _p("quantity", "Quantity", "number", "number", pg, null_rate=0, vocab="small_count"),
        _p("price", "Unit price", "number", "number", pg, null_rate=0, vocab="price"),
        _p("amount", "Net price", "number", "number", pg, null_rate=0, vocab="@amount", calculated=True),
        _p("hs_product_id", "Product ID", "number", "number", pg, null_rate=0.05, vocab="@product"),
        _p("discount", "Unit discount", "number", "number", pg, null_rate=0.7, vocab="small_count"),
    ]

    qg = "quoteinformation"
    quotes = _sys("hs_createdate", "hs_lastmodifieddate", qg)[:4] + [
        _p("hs_title", "Quote name", "string", "text", qg, null_rate=0, vocab="dealname"),
        _p("hs_expiration_date", "Expiration date", "datetime", "date", qg, null_rate=0),
        _p("hs_status", "Quote approval status", "enumeration", "select", qg, null_rate=0,
           options=_opts("DRAFT", "APPROVAL_NOT_NEEDED", "PENDING_APPROVAL", "APPROVED", "REJECTED")),
        _p("hs_quote_amount", "Quote amount", "number", "number", qg, null_rate=0.05, vocab="money"),
        _p("hs_currency", "Currency", "enumeration", "select", qg, null_rate=0.1,
           options=(("US Dollar", "USD"), ("Euro", "EUR"), ("British Pound", "GBP"))),
        _p("hs_quote_number", "Quote number", "string", "text", qg, null_rate=0, vocab="quote_number"),
        _p("hs_terms", "Terms", "string", "textarea", qg, null_rate=0.4, vocab="paragraph"),
    ]

    calls = _engagement_common() + [
        _p("hs_call_title", "Call Title", "string", "text", "call", vocab="subject"),
        _p("hs_call_body", "Call notes", "string", "html", "call", vocab="html"),
        _p("hs_call_direction", "Call direction", "enumeration", "select", "call",
           options=_opts("INBOUND", "OUTBOUND"), null_rate=0.02),
        _p("hs_call_duration", "Call duration", "number", "number", "call", vocab="duration"),
        _p("hs_call_status", "Call status", "enumeration", "select", "call",
           options=_opts("COMPLETED", "NO_ANSWER", "BUSY", "FAILED", "CANCELED", "CONNECTING", "RINGING"),
           null_rate=0.01),
        _p("hs_call_disposition", "Call outcome", "enumeration", "select", "call", vocab="disposition"),
        _p("hs_call_recording_url", "Recording URL", "string", "text", "call", null_rate=0.5, vocab="recording"),
        _p("hs_call_from_number", "From number", "string", "phonenumber", "call", vocab="phone"),
        _p("hs_call_to_number", "To number", "string", "phonenumber", "call", vocab="phone"),
        _p("hs_call_has_transcript", "Has transcript", "bool", "booleancheckbox", "call", null_rate=0,
           vocab="@has_transcript", options=(("Yes", "true"), ("No", "false"))),
        _p("hs_call_transcription_id", "Transcription ID", "string", "text", "call", vocab="@transcription_id"),
    ]
    emails = _engagement_common() + [
        _p("hs_email_subject", "Subject", "string", "text", "email", null_rate=0.02, vocab="subject"),
        _p("hs_email_text", "Body (text)", "string", "textarea", "email", vocab="paragraph"),
        _p("hs_email_html", "Body (HTML)", "string", "html", "email", vocab="html"),
        _p("hs_email_direction", "Direction", "enumeration", "select", "email",
           options=_opts("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"), null_rate=0),
        _p("hs_email_status", "Status", "enumeration", "select", "email",
           options=_opts("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"), null_rate=0.05),
        _p("hs_email_headers", "Headers", "string", "textarea", "email", vocab="email_headers"),
    ]
    notes = _engagement_common() + [
        _p("hs_note_body", "Note body", "string", "html", "note", null_rate=0.02, vocab="html"),
    ]
    meetings = _engagement_common() + [
        _p("hs_meeting_title", "Meeting name", "string", "text", "meeting", vocab="subject"),
        _p("hs_meeting_body", "Description", "string", "html", "meeting", vocab="html"),
        _p("hs_meeting_start_time", "Start time", "datetime", "date", "meeting", null_rate=0.02),
        _p("hs_meeting_end_time", "End time", "datetime", "date", "meeting", null_rate=0.02),
        _p("hs_meeting_outcome", "Outcome", "enumeration", "select", "meeting",
           options=_opts("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")),
        _p("hs_meeting_location", "Location", "string", "text", "meeting", null_rate=0.5, vocab="city"),
    ]
    tasks = _engagement_common() + [
        _p("hs_task_subject", "Task title", "string", "text", "task", null_rate=0, vocab="subject"),
        _p("hs_task_body", "Notes", "string", "html", "task", vocab="html"),
        _p("hs_task_status", "Task status", "enumeration", "select", "task",
           options=_opts("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"), null_rate=0),
        _p("hs_task_priority", "Priority", "enumeration", "select", "task", options=_opts("LOW", "MEDIUM", "HIGH",
                                                                                           "NONE")),
        _p("hs_task_type", "Task type", "enumeration", "select", "task", options=_opts("CALL", "EMAIL", "TODO")),
    ]
    communications = _engagement_common() + [
        _p("hs_communication_channel_type", "Channel type", "enumeration", "select", "communication",
           options=_opts("SMS", "WHATS_APP", "LINKEDIN_MESSAGE", "PHYSICAL_MAIL"), null_rate=0),
        _p("hs_communication_logged_from", "Logged from", "enumeration", "select", "communication",
           options=_opts("CRM")),
        _p("hs_communication_body", "Body", "string", "html", "communication", vocab="html"),
    ]
    pets = _sys("hs_createdate", "hs_lastmodifieddate", "pet_information")[:4] + [
        _p("pet_name", "Pet name", "string", "text", "pet_information", null_rate=0, vocab="firstname",
           hubspot_defined=False),
        _p("species", "Species", "enumeration", "select", "pet_information",
           options=_opts("dog", "cat", "rabbit", "parrot", "axolotl"), null_rate=0, hubspot_defined=False),
        _p("birth_date", "Birth date", "date", "date", "pet_information", null_rate=0.2, hubspot_defined=False),
        _p("weight_kg", "Weight (kg)", "number", "number", "pet_information", null_rate=0.1, vocab="weight",
           hubspot_defined=False),
        _p("vaccinated", "Vaccinated", "bool", "booleancheckbox", "pet_information",
           options=(("Yes", "true"), ("No", "false")), hubspot_defined=False),
        _p("allergies", "Allergies", "enumeration", "checkbox", "pet_information",
           options=_opts("pollen", "chicken", "beef", "grain", "dust"), null_rate=0.6, hubspot_defined=False),
    ]
    vehicles = _sys("hs_createdate", "hs_lastmodifieddate", "vehicle_information")[:4] + [
        _p("vin", "VIN", "string", "text", "vehicle_information", null_rate=0, vocab="sku", hubspot_defined=False,
           has_unique_value=True),
        _p("make", "Make", "enumeration", "select", "vehicle_information",
           options=_opts("Renault", "Toyota", "Ford", "Škoda", "Tesla"), null_rate=0, hubspot_defined=False),
        _p("model_year", "Model year", "number", "number", "vehicle_information", vocab="year",
           hubspot_defined=False),
        _p("registered_on", "Registered on", "date", "date", "vehicle_information", hubspot_defined=False),
        _p("mileage_km", "Mileage (km)", "number", "number", "vehicle_information", vocab="count",
           hubspot_defined=False),
        _p("owner_phone", "Owner phone", "phone_number", "phonenumber", "vehicle_information", vocab="phone",
           hubspot_defined=False),
    ]

    eng_defaults = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")
    return [
        ObjectSpec("contacts", "0-1", "contact", "Contact", 1.0, 50, "createdate", "lastmodifieddate",
                   ("firstname", "lastname", "email"), tuple(contacts), primary_display="email"),
        ObjectSpec("companies", "0-2", "company", "Company", 0.2, 5_000_000_000, "createdate",
                   "hs_lastmodifieddate", ("name", "domain"), tuple(companies), primary_display="name"),
        ObjectSpec("deals", "0-3", "deal", "Deal", 0.25, 9_000_000_000, "createdate", "hs_lastmodifieddate",
                   ("dealname", "amount", "closedate", "pipeline", "dealstage"), tuple(deals),
                   primary_display="dealname"),
        ObjectSpec("tickets", "0-5", "ticket", "Ticket", 0.1, 1_500_000_000, "createdate", "hs_lastmodifieddate",
                   ("subject", "content", "hs_pipeline", "hs_pipeline_stage"), tuple(tickets),
                   primary_display="subject"),
        ObjectSpec("products", "0-7", "product", "Product", 0.02, 1_200_000_000, "createdate",
                   "hs_lastmodifieddate", ("name", "price", "description"), tuple(products),
                   primary_display="name"),
        ObjectSpec("line_items", "0-8", "line_item", "Line item", 0.3, 3_100_000_000, "createdate",
                   "hs_lastmodifieddate", ("name", "quantity", "price", "amount", "hs_product_id"),
                   tuple(line_items), primary_display="name"),
        ObjectSpec("quotes", "0-14", "quote", "Quote", 0.03, 6_500_000_000, "hs_createdate", "hs_lastmodifieddate",
                   ("hs_title", "hs_expiration_date", "hs_status", "hs_quote_amount"), tuple(quotes),
                   primary_display="hs_title"),
        ObjectSpec("calls", "0-48", "call", "Call", 0.4, 20_000_000_000, "hs_createdate", "hs_lastmodifieddate",
                   eng_defaults, tuple(calls)),
        ObjectSpec("emails", "0-49", "email", "Email", 0.4, 30_000_000_000, "hs_createdate", "hs_lastmodifieddate",
                   eng_defaults, tuple(emails)),
        ObjectSpec("notes", "0-46", "note", "Note", 0.3, 40_000_000_000, "hs_createdate", "hs_lastmodifieddate",
                   eng_defaults, tuple(notes)),
        ObjectSpec("meetings", "0-47", "meeting", "Meeting", 0.15, 50_000_000_000, "hs_createdate",
                   "hs_lastmodifieddate", eng_defaults, tuple(meetings)),
        ObjectSpec("tasks", "0-27", "task", "Task", 0.25, 60_000_000_000, "hs_createdate", "hs_lastmodifieddate",
                   eng_defaults, tuple(tasks)),
        ObjectSpec("communications", "0-18", "communication", "Communication", 0.05, 70_000_000_000,
                   "hs_createdate", "hs_lastmodifieddate", eng_defaults, tuple(communications)),
        ObjectSpec("pets", "2-3508482", "pet", "Pet", 0.1, 80_000_000_000, "hs_createdate", "hs_lastmodifieddate",
                   ("pet_name", "species"), tuple(pets), custom=True, primary_display="pet_name"),
        ObjectSpec("vehicles", "2-3508483", "vehicle", "Vehicle", 0.05, 81_000_000_000, "hs_createdate",
                   "hs_lastmodifieddate", ("vin", "make"), tuple(vehicles), custom=True, primary_display="vin"),
    ]


SPECS: list[ObjectSpec] = _build_specs()
SPEC_BY_NAME: dict[str, ObjectSpec] = {s.name: s for s in SPECS}


# --- pipelines ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    metadata: dict


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    stages: tuple[Stage, ...]


PIPELINES: dict[str, tuple[Pipeline, ...]] = {
    "deals": (
        Pipeline("default", "Sales Pipeline", tuple(
            Stage(sid, label, {"isClosed": str(sid.startswith("closed")).lower(), "probability": prob})
            for sid, label, prob in (
                ("appointmentscheduled", "Appointment Scheduled", "0.2"),
                ("qualifiedtobuy", "Qualified To Buy", "0.4"),
                ("presentationscheduled", "Presentation Scheduled", "0.6"),
                ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
                ("contractsent", "Contract Sent", "0.9"),
                ("closedwon", "Closed Won", "1.0"),
                ("closedlost", "Closed Lost", "0.0"),
            ))),
        Pipeline("75e28846-ad0d-4be2-a027-5e1da6590b98", "Renewals", tuple(
            Stage(sid, label, {"isClosed": str(closed).lower(), "probability": prob})
            for sid, label, prob, closed in (
                ("1029384", "Renewal due", "0.5", False),
                ("1029385", "Negotiation", "0.7", False),
                ("1029386", "Renewed", "1.0", True),
                ("1029387", "Churned", "0.0", True),
            ))),
    ),
    "tickets": (
        Pipeline("0", "Support Pipeline", tuple(
            Stage(sid, label, {"ticketState": state, "isClosed": str(state == "CLOSED").lower()})
            for sid, label, state in (
                ("1", "New", "OPEN"), ("2", "Waiting on contact", "OPEN"), ("3", "Waiting on us", "OPEN"),
                ("4", "Closed", "CLOSED"),
            ))),
        Pipeline("23456789", "Escalations", tuple(
            Stage(sid, label, {"ticketState": state, "isClosed": str(state == "CLOSED").lower()})
            for sid, label, state in (
                ("23456790", "Escalated", "OPEN"), ("23456791", "Engineering", "OPEN"),
                ("23456792", "Resolved", "CLOSED"),
            ))),
    ),
}


def stage_properties(object_type: str) -> list[PropertyDef]:
    """`hs_v2_date_entered_<stageId>` / `hs_v2_date_exited_<stageId>` for every stage of the type's pipelines."""
    group = "dealinformation" if object_type == "deals" else "ticketinformation"
    out = []
    for pipeline in PIPELINES.get(object_type, ()):
        for stage in pipeline.stages:
            for kind in ("entered", "exited"):
                out.append(_p(f"hs_v2_date_{kind}_{stage.id}", f"Date {kind} \"{stage.label} ({pipeline.label})\"",
                              "datetime", "date", group, vocab=f"@stage_{kind}", calculated=True))
    return out


# Stage timing properties are part of the deal and ticket property lists.
for _name in ("deals", "tickets"):
    _spec = SPEC_BY_NAME[_name]
    _new = ObjectSpec(**{**_spec.__dict__, "properties": _spec.properties + tuple(stage_properties(_name))})
    SPECS[SPECS.index(_spec)] = _new
    SPEC_BY_NAME[_name] = _new


def resolve_type_name(value: str) -> str | None:
    """Canonical plural name for a path value (plural name, singular, type id, fully qualified or `p_` name)."""
    text = value.strip().lower()
    for spec in SPECS:
        if text in (spec.name, spec.type_id, spec.singular, spec.fully_qualified_name, f"p_{spec.name}"):
            return spec.name
    return None


# --- associations ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssociationKind:
    """One generated association between a child type and a parent type, with HubSpot's type ids both ways."""

    child: str
    parent: str
    child_to_parent: int  # default HUBSPOT_DEFINED type id (child -> parent)
    parent_to_child: int
    coverage: float  # share of child records with a first link
    second_rate: float  # share that also get a second link
    primary_child_to_parent: int | None = None  # "Primary" type id on the first link
    user_label: tuple[int, int, str] | None = None  # (child->parent id, parent->child id, label) on some links


ASSOCIATIONS: tuple[AssociationKind, ...] = (
    AssociationKind("contacts", "companies", 279, 280, 0.85, 0.1, primary_child_to_parent=1,
                    user_label=(28, 29, "Billing contact")),
    AssociationKind("deals", "contacts", 3, 4, 0.9, 0.3, user_label=(30, 31, "Decision maker")),
    AssociationKind("deals", "companies", 341, 342, 0.8, 0.0, primary_child_to_parent=5),
    AssociationKind("tickets", "contacts", 16, 15, 0.9, 0.1),
    AssociationKind("tickets", "companies", 339, 340, 0.6, 0.0),
    AssociationKind("line_items", "deals", 20, 19, 0.95, 0.0),
    AssociationKind("quotes", "deals", 64, 63, 0.9, 0.0),
    AssociationKind("calls", "contacts", 194, 193, 0.95, 0.1),
    AssociationKind("calls", "deals", 206, 205, 0.2, 0.0),
    AssociationKind("emails", "contacts", 198, 197, 0.95, 0.2),
    AssociationKind("notes", "contacts", 202, 201, 0.9, 0.0),
    AssociationKind("notes", "companies", 190, 189, 0.3, 0.0),
    AssociationKind("meetings", "contacts", 200, 199, 0.95, 0.3),
    AssociationKind("tasks", "contacts", 204, 203, 0.8, 0.0),
    AssociationKind("communications", "contacts", 82, 81, 0.9, 0.0),
    AssociationKind("pets", "contacts", 1001, 1002, 0.9, 0.1, user_label=(1003, 1004, "Vet contact")),
    AssociationKind("vehicles", "contacts", 1011, 1012, 0.95, 0.0),
)


def association_kind(from_type: str, to_type: str) -> tuple[AssociationKind, bool] | None:
    """The kind linking two types and whether `from_type` is the child side; None when they never link."""
    for kind in ASSOCIATIONS:
        if kind.child == from_type and kind.parent == to_type:
            return kind, True
        if kind.parent == from_type and kind.child == to_type:
            return kind, False
    return None


def association_type_name(from_type: str, to_type: str) -> str:
    """The v3 inline association `type` string, e.g. `contact_to_company`."""
    return f"{SPEC_BY_NAME[from_type].singular}_to_{SPEC_BY_NAME[to_type].singular}"


def association_labels(from_type: str, to_type: str) -> list[dict]:
    """`GET /crm/v4/associations/{from}/{to}/labels` results for a pair of types."""
    found = association_kind(from_type, to_type)
    if found is None:
        return []
    kind, is_child = found
    out = [{"category": "HUBSPOT_DEFINED", "typeId": kind.child_to_parent if is_child else kind.parent_to_child,
            "label": None}]
    if kind.primary_child_to_parent is not None and is_child:
        out.append({"category": "HUBSPOT_DEFINED", "typeId": kind.primary_child_to_parent, "label": "Primary"})
    if kind.user_label is not None:
        type_id = kind.user_label[0] if is_child else kind.user_label[1]
        out.append({"category": "USER_DEFINED", "typeId": type_id, "label": kind.user_label[2]})
    return out
