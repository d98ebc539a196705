-- Live tasks.
SELECT
    id                              AS task_id,
    coalesce(hs_timestamp, hs_createdate, created_at) AS occurred_at,
    hs_task_subject                 AS subject,
    hs_task_body                    AS body_html,
    hs_task_status                  AS status,
    hs_task_priority                AS priority,
    hs_task_type                    AS task_type,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    created_at,
    updated_at
FROM hubspot_raw.tasks
WHERE NOT coalesce(archived, false)
