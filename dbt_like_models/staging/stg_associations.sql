-- Links between records, one row per ordered pair of records, in both orientations.
-- HubSpot keeps one link per direction and association type, and the warehouse may hold either direction or
-- both: here "the companies of contact X" is always `object_type = 'contacts' AND object_id = X AND
-- related_type = 'companies'`, whichever way HubSpot stored it, with the types of the pair folded into one row.
WITH oriented AS (
    SELECT from_object_type AS object_type, from_id AS object_id, to_object_type AS related_type,
           to_id AS related_id, category, label
    FROM hubspot_raw.associations
    UNION ALL
    SELECT to_object_type, to_id, from_object_type, from_id, category, label
    FROM hubspot_raw.associations
)
SELECT
    object_type,
    object_id,
    related_type,
    related_id,
    -- HubSpot labels its primary link types (contact -> company, deal -> company, ...) "Primary"
    bool_or(category = 'HUBSPOT_DEFINED' AND label = 'Primary') AS is_primary,
    coalesce(list(DISTINCT label ORDER BY label) FILTER (WHERE label IS NOT NULL), [])::VARCHAR[] AS labels
FROM oriented
GROUP BY object_type, object_id, related_type, related_id
