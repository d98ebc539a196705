-- At most one current stage per deal (a deal is in one stage at a time).
SELECT deal_id, count(*) AS current_stages
FROM hubspot.deal_stage_history
WHERE is_current_stage
GROUP BY deal_id
HAVING count(*) > 1
