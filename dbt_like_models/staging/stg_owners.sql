-- Every owner, deactivated ones included (flagged): records keep the owner id of a user who left, and their
-- owner name should still resolve. The `owners` mart keeps the active ones.
SELECT
    CAST(id AS BIGINT)              AS owner_id,
    lower(email)                    AS email,
    nullif(trim(first_name), '')    AS first_name,
    nullif(trim(last_name), '')     AS last_name,
    -- queues have no first name: their name is the last name alone
    nullif(trim(concat_ws(' ', nullif(trim(first_name), ''), nullif(trim(last_name), ''))), '') AS owner_name,
    type                            AS owner_type,
    user_id,
    primary_team_id,
    primary_team_name,
    coalesce(archived, false)       AS is_archived,
    created_at,
    updated_at
FROM hubspot_raw.owners
