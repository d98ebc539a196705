-- Live tickets with their standard properties; pipeline, stage, priority and category stay codes here.
SELECT
    id                              AS ticket_id,
    subject,
    content,
    hs_pipeline                     AS pipeline_id,
    hs_pipeline_stage               AS stage_id,
    hs_ticket_priority              AS priority,
    hs_ticket_category              AS category,
    source_type,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    coalesce(createdate, created_at) AS created_at,
    closed_date                     AS closed_at,
    updated_at
FROM hubspot_raw.tickets
WHERE NOT coalesce(archived, false)
