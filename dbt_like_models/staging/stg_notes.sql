-- Live notes (HTML bodies).
SELECT
    id                              AS note_id,
    coalesce(hs_timestamp, hs_createdate, created_at) AS occurred_at,
    hs_note_body                    AS body_html,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    created_at,
    updated_at
FROM hubspot_raw.notes
WHERE NOT coalesce(archived, false)
