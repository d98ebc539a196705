-- Each property of a contact has one current value at most: validity ranges follow each other without overlap.
SELECT contact_id, property_name, count(*) AS current_values
FROM hubspot.contact_history
WHERE is_current
GROUP BY contact_id, property_name
HAVING count(*) > 1
