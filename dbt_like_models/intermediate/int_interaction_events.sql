-- Every live customer interaction, one row each, before it is linked to records: CRM engagements (emails, calls,
-- notes, meetings, tasks, communications) and conversation messages of every inbox channel.
-- `interaction_id` is `<channel>:<HubSpot id>`: engagement ids and message ids come from different id spaces.
-- Conversation rows are MESSAGE (to or from the customer) and COMMENT (an agent's internal note); welcome messages
-- (automated) and thread events (assignment, status, inbox changes) are not interactions. Spam threads are no
-- customer's interactions either; archived threads are already out of stg_threads.
SELECT
    'email:' || email_id AS interaction_id,
    'email' AS channel,
    CAST(email_id AS VARCHAR) AS record_id,
    CASE direction WHEN 'INCOMING_EMAIL' THEN 'inbound' WHEN 'EMAIL' THEN 'outbound'
                   WHEN 'FORWARDED_EMAIL' THEN 'outbound' END AS direction,
    occurred_at,
    subject,
    coalesce(body_text, body_html) AS body,
    body_text IS NULL AND body_html IS NOT NULL AS body_is_html,
    owner_id,
    CAST(NULL AS BIGINT) AS agent_user_id,
    CAST(NULL AS BIGINT) AS thread_id,
    CAST(NULL AS BIGINT) AS conversation_channel_id,
    CAST(NULL AS BIGINT) AS thread_contact_id
FROM hubspot_staging.stg_emails
UNION ALL
SELECT
    'call:' || call_id, 'call', CAST(call_id AS VARCHAR),
    CASE direction WHEN 'INBOUND' THEN 'inbound' WHEN 'OUTBOUND' THEN 'outbound' END,
    occurred_at, title, body_html, true, owner_id, NULL, NULL, NULL, NULL
FROM hubspot_staging.stg_calls
UNION ALL
SELECT
    'note:' || note_id, 'note', CAST(note_id AS VARCHAR), 'internal',
    occurred_at, NULL, body_html, true, owner_id, NULL, NULL, NULL, NULL
FROM hubspot_staging.stg_notes
UNION ALL
-- HubSpot records no direction for meetings and logged communications
SELECT
    'meeting:' || meeting_id, 'meeting', CAST(meeting_id AS VARCHAR), NULL,
    occurred_at, title, body_html, true, owner_id, NULL, NULL, NULL, NULL
FROM hubspot_staging.stg_meetings
UNION ALL
SELECT
    'task:' || task_id, 'task', CAST(task_id AS VARCHAR), 'internal',
    occurred_at, subject, body_html, true, owner_id, NULL, NULL, NULL, NULL
FROM hubspot_staging.stg_tasks
UNION ALL
SELECT
    'communication:' || communication_id, 'communication', CAST(communication_id AS VARCHAR), NULL,
    occurred_at, NULL, body_html, true, owner_id, NULL, NULL, NULL, NULL
FROM hubspot_staging.stg_communications
UNION ALL
SELECT
    'conversation:' || message.message_id,
    'conversation',
    message.message_id,
    CASE WHEN message.message_type = 'COMMENT' THEN 'internal'
         WHEN message.direction = 'INCOMING' THEN 'inbound'
         WHEN message.direction = 'OUTGOING' THEN 'outbound' END,
    message.created_at,
    message.subject,
    message.text,  -- HubSpot's plain-text rendering of the message
    false,
    NULL,
    -- the agent: the sender when an agent wrote it, else whoever the thread is assigned to
    CASE WHEN message.sender_actor_id LIKE 'A-%' THEN TRY_CAST(substr(message.sender_actor_id, 3) AS BIGINT)
         ELSE thread.assigned_user_id END,
    message.thread_id,
    coalesce(message.channel_id, thread.channel_id),
    thread.contact_id  -- the thread's own contact (int_interaction_contacts links the message to it)
FROM hubspot_staging.stg_messages AS message
JOIN hubspot_staging.stg_threads AS thread ON thread.thread_id = message.thread_id
WHERE message.message_type IN ('MESSAGE', 'COMMENT') AND NOT thread.is_spam
