-- Every interaction whose contact is a customer is counted on that customer: the timeline and the counts agree
-- (a customer's count may be higher: an email to three contacts counts for each, its row names one).
SELECT customer.customer_id, customer.interaction_count, count(interaction.interaction_id) AS timeline_rows
FROM hubspot.customers AS customer
JOIN hubspot.interactions AS interaction ON interaction.contact_id = customer.customer_id
GROUP BY customer.customer_id, customer.interaction_count
HAVING count(interaction.interaction_id) > customer.interaction_count
