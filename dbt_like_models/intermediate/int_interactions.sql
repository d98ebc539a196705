-- One row per live interaction with the records it belongs to, its owner and, for calls, the transcript.
-- The `interactions` mart only cleans the text of these rows; keeping the joins here lets it rebuild just the
-- interactions whose row here changed.
WITH contact_of AS (
    -- one contact per interaction: a conversation's own contact first, else the lowest id among its contacts
    SELECT
        interaction_id,
        coalesce(min(contact_id) FILTER (WHERE is_thread_contact), min(contact_id)) AS contact_id
    FROM hubspot_staging.int_interaction_contacts
    GROUP BY interaction_id
),
record_links AS (
    -- engagements' links to companies, deals and tickets; a record merged away counts for its survivor
    SELECT
        CASE link.object_type
            WHEN 'emails' THEN 'email:' WHEN 'calls' THEN 'call:' WHEN 'notes' THEN 'note:'
            WHEN 'meetings' THEN 'meeting:' WHEN 'tasks' THEN 'task:' WHEN 'communications' THEN 'communication:'
        END || link.object_id AS interaction_id,
        link.related_type,
        coalesce(merged.survivor_id, link.related_id) AS related_id
    FROM hubspot_staging.stg_associations AS link
    LEFT JOIN hubspot_staging.int_merged_records AS merged
        ON merged.object_type = link.related_type AND merged.merged_id = link.related_id
    WHERE link.object_type IN ('emails', 'calls', 'notes', 'meetings', 'tasks', 'communications')
      AND link.related_type IN ('companies', 'deals', 'tickets')
),
linked AS (
    -- the lowest live id of each kind, so the choice is stable
    SELECT
        interaction_id,
        min(related_id) FILTER (WHERE related_type = 'companies'
                                AND related_id IN (SELECT company_id FROM hubspot_staging.stg_companies)) AS company_id,
        min(related_id) FILTER (WHERE related_type = 'deals'
                                AND related_id IN (SELECT deal_id FROM hubspot_staging.stg_deals)) AS deal_id,
        min(related_id) FILTER (WHERE related_type = 'tickets'
                                AND related_id IN (SELECT ticket_id FROM hubspot_staging.stg_tickets)) AS ticket_id
    FROM record_links
    GROUP BY interaction_id
),
transcripts AS (
    -- the utterances in spoken order, each line "Speaker: text"
    SELECT
        'call:' || call_id AS interaction_id,
        string_agg(coalesce(speaker_name, 'Unknown speaker') || ': ' || text, chr(10)
                   ORDER BY transcript_id, position) AS transcript
    FROM hubspot_staging.stg_call_transcript_utterances
    GROUP BY call_id
),
agents AS (
    -- conversation agents are HubSpot users; the owner record of the same user names them
    SELECT user_id, min(owner_id) AS owner_id
    FROM hubspot_staging.stg_owners
    WHERE user_id IS NOT NULL
    GROUP BY user_id
)
SELECT
    event.interaction_id,
    event.channel,
    event.record_id,
    event.direction,
    event.occurred_at,
    event.subject,
    event.body,
    event.body_is_html,
    transcripts.transcript,
    coalesce(event.owner_id, agents.owner_id) AS owner_id,
    owner.owner_name,
    contact_of.contact_id,
    -- no company linked to the interaction itself: its contact's primary company
    coalesce(linked.company_id, primary_company.company_id) AS company_id,
    linked.deal_id,
    coalesce(linked.ticket_id, live_thread_ticket.ticket_id) AS ticket_id,
    event.thread_id,
    channel.channel_name AS conversation_channel
FROM hubspot_staging.int_interaction_events AS event
LEFT JOIN contact_of ON contact_of.interaction_id = event.interaction_id
LEFT JOIN linked ON linked.interaction_id = event.interaction_id
LEFT JOIN transcripts ON transcripts.interaction_id = event.interaction_id
LEFT JOIN agents ON agents.user_id = event.agent_user_id
LEFT JOIN hubspot_staging.stg_owners AS owner ON owner.owner_id = coalesce(event.owner_id, agents.owner_id)
LEFT JOIN hubspot_staging.int_contact_primary_company AS primary_company
    ON primary_company.contact_id = contact_of.contact_id
LEFT JOIN hubspot_staging.stg_threads AS thread ON thread.thread_id = event.thread_id
LEFT JOIN hubspot_staging.stg_tickets AS live_thread_ticket ON live_thread_ticket.ticket_id = thread.ticket_id
LEFT JOIN hubspot_staging.stg_channels AS channel ON channel.channel_id = event.conversation_channel_id
