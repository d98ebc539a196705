-- One row per ordered pair of records: the models joining links rely on it to count each linked record once.
SELECT object_type, object_id, related_type, related_id, count(*) AS n
FROM hubspot_staging.stg_associations
GROUP BY object_type, object_id, related_type, related_id
HAVING count(*) > 1
