-- The unified timeline: one row per live customer interaction (conversation messages of every inbox channel,
-- emails, calls with their transcript, notes, meetings, tasks, communications), with plain-text bodies.
-- HTML is turned into text here, in SQL: block ends become line breaks, other tags go, the common entities are
-- decoded (`&amp;` last, so an escaped entity such as `&amp;lt;` stays the text `&lt;`), and blank runs shrink.
SELECT
    interaction_id,
    channel,
    record_id,
    direction,
    occurred_at,
    subject,
    CASE WHEN body_is_html THEN
        nullif(trim(regexp_replace(regexp_replace(
            replace(replace(replace(replace(replace(replace(replace(
                regexp_replace(
                    regexp_replace(
                        regexp_replace(body, '(?is)<(script|style)\b.*?</(script|style)\s*>', '', 'g'),
                        '(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>', chr(10), 'g'),
                    '<[^>]*>', '', 'g'),
                '&nbsp;', ' '), '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&#x27;', ''''),
                '&amp;', '&'),
            '[ \t]+', ' ', 'g'),
            '\s*\n\s*', chr(10), 'g')), '')
    ELSE body END AS body,
    transcript,
    owner_id,
    owner_name,
    contact_id,
    company_id,
    deal_id,
    ticket_id,
    thread_id,
    conversation_channel
FROM hubspot_staging.int_interactions
