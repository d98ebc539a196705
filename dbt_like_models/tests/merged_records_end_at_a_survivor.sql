-- Folding follows merge chains to their end: no survivor may itself be listed as merged away (a cycle in the merge
-- records, or a chain longer than the recursion allows, would show here).
SELECT chained.object_type, chained.merged_id, chained.survivor_id
FROM hubspot_staging.int_merged_records AS chained
JOIN hubspot_staging.int_merged_records AS again
    ON again.object_type = chained.object_type AND again.merged_id = chained.survivor_id
