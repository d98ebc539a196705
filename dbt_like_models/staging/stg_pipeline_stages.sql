-- Deal and ticket pipeline stages with their pipeline's label. HubSpot stores stage metadata as strings
-- ("true", "0.9"); they are typed here once.
SELECT
    s.object_type,
    s.pipeline_id,
    p.label                         AS pipeline_label,
    s.id                            AS stage_id,
    s.label                         AS stage_label,
    s.display_order,
    lower(s.metadata_is_closed) = 'true' AS is_closed,
    TRY_CAST(s.metadata_probability AS DOUBLE) AS probability,
    s.metadata_ticket_state         AS ticket_state,
    coalesce(s.archived, false)     AS is_archived
FROM hubspot_raw.pipeline_stages AS s
LEFT JOIN hubspot_raw.pipelines AS p
    ON p.object_type = s.object_type AND p.id = s.pipeline_id
