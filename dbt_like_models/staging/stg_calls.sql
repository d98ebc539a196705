-- Live calls. `hs_timestamp` is when the call happened (creation is when it was logged).
SELECT
    id                              AS call_id,
    coalesce(hs_timestamp, hs_createdate, created_at) AS occurred_at,
    hs_call_title                   AS title,
    hs_call_body                    AS body_html,
    hs_call_direction               AS direction,
    hs_call_status                  AS status,
    hs_call_duration                AS duration_ms,
    coalesce(hs_call_has_transcript, false) AS has_transcript,
    hs_call_transcription_id        AS transcription_id,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    created_at,
    updated_at
FROM hubspot_raw.calls
WHERE NOT coalesce(archived, false)
