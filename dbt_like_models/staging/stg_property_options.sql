-- Option labels of enumeration properties: the marts turn stored codes (lifecycle stages, priorities,
-- industries, ...) into the labels a HubSpot user sees.
SELECT
    object_type,
    property_name,
    value,
    label,
    display_order,
    coalesce(hidden, false)         AS is_hidden
FROM hubspot_raw.property_options
