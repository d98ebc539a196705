-- Live communications: SMS, WhatsApp, LinkedIn messages and physical mail logged by hand in the CRM.
SELECT
    id                              AS communication_id,
    coalesce(hs_timestamp, hs_createdate, created_at) AS occurred_at,
    hs_communication_channel_type   AS channel_type,
    hs_communication_body           AS body_html,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    created_at,
    updated_at
FROM hubspot_raw.communications
WHERE NOT coalesce(archived, false)
