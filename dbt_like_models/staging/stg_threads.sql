-- Live conversation threads (inbox conversations: chat, email, Messenger, WhatsApp, forms).
WITH threads AS (
    -- Conversation columns come from the data, not from property definitions: a portal without a closed, an
    -- assigned or a ticket-linked thread has no `closed_at`, `assigned_to` or ticket column. An empty row set that
    -- has them, unioned by name (the side lacking a column gets nulls), lets this model build on any portal.
    SELECT * FROM hubspot_raw.threads
    UNION ALL BY NAME
    SELECT NULL::TIMESTAMPTZ AS closed_at, NULL::VARCHAR AS assigned_to,
           NULL::VARCHAR AS thread_associations_associated_ticket_id
    WHERE false
)
SELECT
    CAST(id AS BIGINT)              AS thread_id,
    created_at,
    closed_at,
    latest_message_timestamp        AS latest_message_at,
    status,
    TRY_CAST(original_channel_id AS BIGINT) AS channel_id,
    TRY_CAST(original_channel_account_id AS BIGINT) AS channel_account_id,
    TRY_CAST(inbox_id AS BIGINT)    AS inbox_id,
    TRY_CAST(associated_contact_id AS BIGINT) AS contact_id,
    TRY_CAST(thread_associations_associated_ticket_id AS BIGINT) AS ticket_id,
    assigned_to                     AS assigned_actor_id,
    -- actor ids "A-<user id>" name an agent: HubSpot's user id, which owners carry as `user_id`
    CASE WHEN assigned_to LIKE 'A-%' THEN TRY_CAST(substr(assigned_to, 3) AS BIGINT) END AS assigned_user_id,
    coalesce(spam, false)           AS is_spam
FROM threads
WHERE NOT coalesce(archived, false)
