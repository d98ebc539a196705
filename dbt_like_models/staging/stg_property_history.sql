-- Past values of the properties named in HUBSPOT_PROPERTY_HISTORY, one row per change. The raw table exists only
-- when property history is on: the YAML lists it under `optional_inputs`, so this model is empty when it is off.
SELECT
    history_id,
    object_type,
    object_id,
    property                        AS property_name,
    value,
    timestamp                       AS changed_at,
    source_type
FROM hubspot_raw.property_history
