-- One row per interaction and contact: customers counts these rows, so a duplicate would count twice.
SELECT interaction_id, contact_id, count(*) AS n
FROM hubspot_staging.int_interaction_contacts
GROUP BY interaction_id, contact_id
HAVING count(*) > 1
