-- One row per message of a live conversation thread, every type (messages, internal comments, welcome messages
-- and thread events), with its sender: the contact for a visitor, the owner for an agent.
WITH senders AS (
    SELECT message_id, arg_min(name, position) AS sender_name
    FROM hubspot_staging.stg_message_participants
    WHERE role = 'sender'
    GROUP BY message_id
),
agents AS (
    SELECT user_id, min(owner_id) AS owner_id FROM hubspot_staging.stg_owners WHERE user_id IS NOT NULL GROUP BY user_id
)
SELECT
    message.message_id,
    message.thread_id,
    message.message_type,
    CASE WHEN message.message_type = 'COMMENT' THEN 'internal'
         WHEN message.direction = 'INCOMING' THEN 'inbound'
         WHEN message.direction = 'OUTGOING' THEN 'outbound' END AS direction,
    message.created_at,
    message.sender_actor_id,
    senders.sender_name,
    contact.contact_id AS sender_contact_id,
    agents.owner_id AS sender_owner_id,
    message.subject,
    message.text,
    channel.channel_name
FROM hubspot_staging.stg_messages AS message
JOIN hubspot_staging.stg_threads AS thread ON thread.thread_id = message.thread_id
LEFT JOIN senders ON senders.message_id = message.message_id
LEFT JOIN hubspot_staging.int_merged_records AS merged
    ON merged.object_type = 'contacts'
    AND message.sender_actor_id LIKE 'V-%'
    AND merged.merged_id = TRY_CAST(substr(message.sender_actor_id, 3) AS BIGINT)
LEFT JOIN hubspot_staging.stg_contacts AS contact
    ON message.sender_actor_id LIKE 'V-%'
    AND contact.contact_id = coalesce(merged.survivor_id, TRY_CAST(substr(message.sender_actor_id, 3) AS BIGINT))
LEFT JOIN agents
    ON message.sender_actor_id LIKE 'A-%' AND agents.user_id = TRY_CAST(substr(message.sender_actor_id, 3) AS BIGINT)
LEFT JOIN hubspot_staging.stg_channels AS channel
    ON channel.channel_id = coalesce(message.channel_id, thread.channel_id)
