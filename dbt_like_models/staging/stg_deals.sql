-- Live deals with their standard properties; `pipeline` and `dealstage` stay codes here (labels in the marts).
SELECT
    id                              AS deal_id,
    dealname                        AS deal_name,
    amount,
    closedate                       AS close_date,
    pipeline                        AS pipeline_id,
    dealstage                       AS stage_id,
    dealtype                        AS deal_type,
    hs_priority                     AS priority,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    coalesce(createdate, created_at) AS created_at,
    updated_at
FROM hubspot_raw.deals
WHERE NOT coalesce(archived, false)
