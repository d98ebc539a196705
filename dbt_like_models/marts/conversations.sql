-- One row per live conversation thread: channel, inbox, contact, status, message counts by direction, first
-- response time and time to close. Spam threads stay (flagged), as HubSpot shows them in the inbox.
WITH message_stats AS (
    SELECT
        thread_id,
        count(*) FILTER (WHERE message_type = 'MESSAGE' AND direction = 'INCOMING') AS inbound_message_count,
        count(*) FILTER (WHERE message_type = 'MESSAGE' AND direction = 'OUTGOING') AS outbound_message_count,
        count(*) FILTER (WHERE message_type = 'COMMENT') AS internal_comment_count,
        min(created_at) FILTER (WHERE message_type = 'MESSAGE' AND direction = 'INCOMING') AS first_inbound_at
    FROM hubspot_staging.stg_messages
    GROUP BY thread_id
),
first_responses AS (
    -- the first reply an agent wrote after the customer's first message (welcome and system messages are no
    -- response)
    SELECT message.thread_id, min(message.created_at) AS first_response_at
    FROM hubspot_staging.stg_messages AS message
    JOIN message_stats ON message_stats.thread_id = message.thread_id
    WHERE message.message_type = 'MESSAGE' AND message.direction = 'OUTGOING'
      AND message.sender_actor_id LIKE 'A-%' AND message.created_at >= message_stats.first_inbound_at
    GROUP BY message.thread_id
),
agents AS (
    SELECT user_id, min(owner_id) AS owner_id FROM hubspot_staging.stg_owners WHERE user_id IS NOT NULL GROUP BY user_id
)
SELECT
    thread.thread_id,
    thread.channel_id,
    channel.channel_name,
    thread.inbox_id,
    inbox.inbox_name,
    contact.contact_id,
    thread.status,
    thread.is_spam,
    agents.owner_id AS assigned_owner_id,
    live_ticket.ticket_id,
    thread.created_at,
    thread.closed_at,
    thread.latest_message_at,
    coalesce(message_stats.inbound_message_count, 0) AS inbound_message_count,
    coalesce(message_stats.outbound_message_count, 0) AS outbound_message_count,
    coalesce(message_stats.internal_comment_count, 0) AS internal_comment_count,
    message_stats.first_inbound_at,
    first_responses.first_response_at,
    (epoch(first_responses.first_response_at) - epoch(message_stats.first_inbound_at)) / 60 AS first_response_minutes,
    CASE WHEN thread.status = 'CLOSED' THEN (epoch(thread.closed_at) - epoch(thread.created_at)) / 3600 END
        AS hours_to_close
FROM hubspot_staging.stg_threads AS thread
LEFT JOIN message_stats ON message_stats.thread_id = thread.thread_id
LEFT JOIN first_responses ON first_responses.thread_id = thread.thread_id
LEFT JOIN hubspot_staging.stg_channels AS channel ON channel.channel_id = thread.channel_id
LEFT JOIN hubspot_staging.stg_inboxes AS inbox ON inbox.inbox_id = thread.inbox_id
-- the thread's contact, folded into its survivor when merged away, and only when live
LEFT JOIN hubspot_staging.int_merged_records AS merged
    ON merged.object_type = 'contacts' AND merged.merged_id = thread.contact_id
LEFT JOIN hubspot_staging.stg_contacts AS contact
    ON contact.contact_id = coalesce(merged.survivor_id, thread.contact_id)
LEFT JOIN agents ON agents.user_id = thread.assigned_user_id
LEFT JOIN hubspot_staging.stg_tickets AS live_ticket ON live_ticket.ticket_id = thread.ticket_id
