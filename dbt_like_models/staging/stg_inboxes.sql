-- Conversation inboxes.
SELECT
    CAST(id AS BIGINT)              AS inbox_id,
    name                            AS inbox_name,
    type                            AS inbox_type,
    coalesce(archived, false)       AS is_archived
FROM hubspot_raw.inboxes
