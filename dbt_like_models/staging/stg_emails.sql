-- Live logged emails. HubSpot keeps a plain-text and an HTML body; either may be missing.
SELECT
    id                              AS email_id,
    coalesce(hs_timestamp, hs_createdate, created_at) AS occurred_at,
    hs_email_subject                AS subject,
    hs_email_text                   AS body_text,
    hs_email_html                   AS body_html,
    hs_email_direction              AS direction,
    hs_email_status                 AS status,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    created_at,
    updated_at
FROM hubspot_raw.emails
WHERE NOT coalesce(archived, false)
