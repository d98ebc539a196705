-- The final survivor of every merged record, per object type. A survivor can be merged away later in turn (A into
-- B, then B into C): following the chain gives C for both A and B, so folding never lands on an archived record.
WITH RECURSIVE chain AS (
    SELECT object_type, merged_id, survivor_id, 1 AS depth
    FROM hubspot_staging.stg_merges
    UNION ALL
    SELECT chain.object_type, chain.merged_id, next.survivor_id, chain.depth + 1
    FROM chain
    JOIN hubspot_staging.stg_merges AS next
        ON next.object_type = chain.object_type AND next.merged_id = chain.survivor_id
    WHERE chain.depth < 20  -- a cycle in the merge records must not recurse forever
)
SELECT
    object_type,
    merged_id,
    arg_max(survivor_id, depth) AS survivor_id
FROM chain
GROUP BY object_type, merged_id
