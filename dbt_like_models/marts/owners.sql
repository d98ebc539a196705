-- One row per active HubSpot owner (a user or a queue records can be assigned to). Deactivated owners are left
-- out, as archived records are; the other marts still name them through `owner_name`.
SELECT
    owner_id,
    email,
    first_name,
    last_name,
    owner_name,
    owner_type,
    user_id,
    primary_team_id,
    primary_team_name,
    created_at,
    updated_at
FROM hubspot_staging.stg_owners
WHERE NOT is_archived
