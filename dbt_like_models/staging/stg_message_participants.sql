-- Senders and recipients of conversation messages, with the contact or HubSpot user an actor id names.
-- Actor ids: "V-<contact id>" a visitor (a contact), "A-<user id>" an agent, "E-<address>" an email address,
-- "I-" an integration, "S-" the system.
SELECT
    message_id,
    CAST(thread_id AS BIGINT)       AS thread_id,
    role,
    position,
    actor_id,
    name,
    delivery_value                  AS address,
    CASE WHEN actor_id LIKE 'V-%' THEN TRY_CAST(substr(actor_id, 3) AS BIGINT) END AS contact_id,
    CASE WHEN actor_id LIKE 'A-%' THEN TRY_CAST(substr(actor_id, 3) AS BIGINT) END AS user_id
FROM hubspot_raw.message_participants
