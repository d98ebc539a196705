-- Conversation channels (1000 live chat, 1001 Facebook Messenger, 1002 email, ...).
SELECT
    CAST(id AS BIGINT)              AS channel_id,
    name                            AS channel_name
FROM hubspot_raw.channels
