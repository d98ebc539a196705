-- A live deal's stage is one of its pipeline's stages: otherwise its stage label, is_closed and is_won are unknown.
SELECT deal_id, pipeline_id, stage_id
FROM hubspot.deals
WHERE stage_id IS NOT NULL AND stage_label IS NULL
