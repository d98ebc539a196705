-- The history of the deals' properties named in HUBSPOT_PROPERTY_HISTORY: one row per value a live deal had,
-- valid from its change until the next one. Empty (not failing) when property history is off.
SELECT
    history.history_id,
    history.object_id AS deal_id,
    history.property_name,
    history.value,
    history.value_label,
    history.source_type,
    history.valid_from,
    history.valid_to,
    history.valid_to IS NULL AS is_current
FROM hubspot_staging.int_property_history AS history
JOIN hubspot_staging.stg_deals AS record ON record.deal_id = history.object_id
WHERE history.object_type = 'deals'
