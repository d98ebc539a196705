-- Which live contacts each interaction belongs to: one row per interaction and contact, every contact counted
-- (an email to three contacts is in each one's timeline). Contacts merged away are folded into their survivor.
-- Engagements: their associations to contacts. Conversation messages: the thread's contact and every visitor
-- ("V-<contact id>") among the message's senders and recipients.
WITH engagement_links AS (
    SELECT
        CASE link.object_type
            WHEN 'emails' THEN 'email:' WHEN 'calls' THEN 'call:' WHEN 'notes' THEN 'note:'
            WHEN 'meetings' THEN 'meeting:' WHEN 'tasks' THEN 'task:' WHEN 'communications' THEN 'communication:'
        END || link.object_id AS interaction_id,
        link.related_id AS contact_id,
        false AS is_thread_contact
    FROM hubspot_staging.stg_associations AS link
    WHERE link.related_type = 'contacts'
      AND link.object_type IN ('emails', 'calls', 'notes', 'meetings', 'tasks', 'communications')
),
thread_links AS (
    SELECT interaction_id, thread_contact_id AS contact_id, true AS is_thread_contact
    FROM hubspot_staging.int_interaction_events
    WHERE thread_contact_id IS NOT NULL
),
participant_links AS (
    SELECT
        'conversation:' || message_id AS interaction_id,
        contact_id,
        false AS is_thread_contact
    FROM hubspot_staging.stg_message_participants
    WHERE contact_id IS NOT NULL
),
links AS (
    SELECT * FROM engagement_links
    UNION ALL SELECT * FROM thread_links
    UNION ALL SELECT * FROM participant_links
)
SELECT
    event.interaction_id,
    event.channel,
    event.occurred_at,
    contact.contact_id,
    bool_or(links.is_thread_contact) AS is_thread_contact
FROM links
-- the interaction must be live (and a real interaction: the events leave out spam, thread events, ...)
JOIN hubspot_staging.int_interaction_events AS event ON event.interaction_id = links.interaction_id
LEFT JOIN hubspot_staging.int_merged_records AS merged
    ON merged.object_type = 'contacts' AND merged.merged_id = links.contact_id
JOIN hubspot_staging.stg_contacts AS contact
    ON contact.contact_id = coalesce(merged.survivor_id, links.contact_id)
GROUP BY event.interaction_id, event.channel, event.occurred_at, contact.contact_id
