-- Records merged into another one (the merged record is archived in HubSpot; the survivor lives on).
SELECT
    object_type,
    merged_id,
    survivor_id
FROM hubspot_raw.merges
