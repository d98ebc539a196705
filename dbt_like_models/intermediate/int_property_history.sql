-- Property history as validity ranges: each value holds from its change until the next change of the same
-- property of the same record (`valid_to` null while it is the current value). Labels of enumeration values
-- come from the property's options. Each record keeps its own history: a contact merged away leaves the marts
-- with its history (its survivor has its own). Empty when property history is off (see stg_property_history).
SELECT
    history.history_id,
    history.object_type,
    history.object_id,
    history.property_name,
    history.value,
    option.label AS value_label,
    history.source_type,
    history.changed_at AS valid_from,
    lead(history.changed_at) OVER (
        PARTITION BY history.object_type, history.object_id, history.property_name
        ORDER BY history.changed_at, history.history_id
    ) AS valid_to
FROM hubspot_staging.stg_property_history AS history
LEFT JOIN hubspot_staging.stg_property_options AS option
    ON option.object_type = history.object_type
    AND option.property_name = history.property_name
    AND option.value = history.value
