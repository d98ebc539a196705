-- One row per live ticket with its pipeline, status (stage) label, priority and category labels, owner, the
-- contact and company it belongs to, and how long it took to close.
WITH stages AS (
    SELECT * FROM hubspot_staging.stg_pipeline_stages WHERE object_type = 'tickets'
),
ticket_links AS (
    -- the lowest live contact and company linked to the ticket (records merged away count for their survivor)
    SELECT
        link.object_id AS ticket_id,
        min(coalesce(merged.survivor_id, link.related_id)) FILTER (WHERE link.related_type = 'contacts'
            AND coalesce(merged.survivor_id, link.related_id) IN (SELECT contact_id FROM hubspot_staging.stg_contacts))
            AS contact_id,
        min(coalesce(merged.survivor_id, link.related_id)) FILTER (WHERE link.related_type = 'companies'
            AND coalesce(merged.survivor_id, link.related_id) IN (SELECT company_id FROM hubspot_staging.stg_companies))
            AS company_id
    FROM hubspot_staging.stg_associations AS link
    LEFT JOIN hubspot_staging.int_merged_records AS merged
        ON merged.object_type = link.related_type AND merged.merged_id = link.related_id
    WHERE link.object_type = 'tickets' AND link.related_type IN ('contacts', 'companies')
    GROUP BY link.object_id
),
category_values AS (
    -- the category is a multi-select: HubSpot stores the chosen values `;`-joined, each with its own label
    SELECT
        ticket_id,
        unnest(string_split(category, ';')) AS value,
        unnest(range(len(string_split(category, ';')))) AS position
    FROM hubspot_staging.stg_tickets
    WHERE category IS NOT NULL
),
ticket_options AS (
    SELECT property_name, value, label
    FROM hubspot_staging.stg_property_options
    WHERE object_type = 'tickets' AND property_name IN ('hs_ticket_priority', 'hs_ticket_category', 'source_type')
),
category_labels AS (
    SELECT
        category_values.ticket_id,
        string_agg(coalesce(option.label, category_values.value), '; ' ORDER BY category_values.position)
            AS category_label
    FROM category_values
    LEFT JOIN ticket_options AS option
        ON option.property_name = 'hs_ticket_category' AND option.value = category_values.value
    GROUP BY category_values.ticket_id
)
SELECT
    ticket.ticket_id,
    ticket.subject,
    ticket.pipeline_id,
    stage.pipeline_label,
    ticket.stage_id,
    stage.stage_label AS status_label,
    stage.ticket_state,
    coalesce(stage.is_closed, false) AS is_closed,
    ticket.priority,
    priority.label AS priority_label,
    ticket.category,
    category_labels.category_label,
    ticket.source_type,
    source.label AS source_type_label,
    ticket.owner_id,
    owner.owner_name,
    ticket_links.contact_id,
    ticket_links.company_id,
    ticket.created_at,
    ticket.closed_at,
    -- a reopened ticket keeps its old close date: only a ticket in a closed stage has a time to close
    CASE WHEN stage.is_closed THEN (epoch(ticket.closed_at) - epoch(ticket.created_at)) / 3600 END AS hours_to_close,
    ticket.updated_at
FROM hubspot_staging.stg_tickets AS ticket
LEFT JOIN stages AS stage ON stage.pipeline_id = ticket.pipeline_id AND stage.stage_id = ticket.stage_id
LEFT JOIN ticket_links ON ticket_links.ticket_id = ticket.ticket_id
LEFT JOIN hubspot_staging.stg_owners AS owner ON owner.owner_id = ticket.owner_id
LEFT JOIN ticket_options AS priority
    ON priority.property_name = 'hs_ticket_priority' AND priority.value = ticket.priority
LEFT JOIN category_labels ON category_labels.ticket_id = ticket.ticket_id
LEFT JOIN ticket_options AS source
    ON source.property_name = 'source_type' AND source.value = ticket.source_type
