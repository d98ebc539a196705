-- An option value is listed once per property: labels are looked up by (object type, property, value), so a
-- duplicate would multiply the rows of every mart that joins it.
SELECT object_type, property_name, value, count(*) AS n
FROM hubspot_staging.stg_property_options
GROUP BY object_type, property_name, value
HAVING count(*) > 1
