-- Conversation messages of every type (MESSAGE, COMMENT, WELCOME_MESSAGE and the thread events ASSIGNMENT,
-- THREAD_STATUS_CHANGE, THREAD_INBOX_CHANGE), not archived themselves. Whether their thread is archived is the
-- thread's flag: models join `stg_threads` (live threads only) to leave those out.
WITH messages AS (
    -- columns that exist only once some message has them (see stg_threads for why the empty union)
    SELECT * FROM hubspot_raw.messages
    UNION ALL BY NAME
    SELECT NULL::VARCHAR AS text, NULL::VARCHAR AS rich_text, NULL::VARCHAR AS subject,
           NULL::VARCHAR AS direction, NULL::VARCHAR AS channel_id, NULL::VARCHAR AS created_by
    WHERE false
)
SELECT
    id                              AS message_id,
    CAST(conversations_thread_id AS BIGINT) AS thread_id,
    type                            AS message_type,
    direction,
    created_at,
    created_by                      AS sender_actor_id,
    subject,
    text,
    rich_text,
    TRY_CAST(channel_id AS BIGINT)  AS channel_id
FROM messages
WHERE NOT coalesce(archived, false)
