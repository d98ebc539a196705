-- Live meetings. A meeting happens at its start time; `hs_timestamp` is the fallback HubSpot fills too.
SELECT
    id                              AS meeting_id,
    coalesce(hs_meeting_start_time, hs_timestamp, hs_createdate, created_at) AS occurred_at,
    hs_meeting_title                AS title,
    hs_meeting_body                 AS body_html,
    hs_meeting_start_time           AS start_time,
    hs_meeting_end_time             AS end_time,
    hs_meeting_outcome              AS outcome,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    created_at,
    updated_at
FROM hubspot_raw.meetings
WHERE NOT coalesce(archived, false)
