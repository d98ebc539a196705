-- One row per deal and stage.
SELECT deal_id, stage_id, count(*) AS n
FROM hubspot.deal_stage_history
GROUP BY deal_id, stage_id
HAVING count(*) > 1
