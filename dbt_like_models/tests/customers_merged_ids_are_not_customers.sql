-- A contact merged into another is folded into its survivor: its id is listed there and has no row of its own.
SELECT customer.customer_id, merged.merged_id
FROM hubspot.customers AS customer, unnest(customer.merged_contact_ids) AS merged(merged_id)
WHERE merged.merged_id IN (SELECT customer_id FROM hubspot.customers)
