-- One row per live deal and stage it entered, from the stage timing properties, with the time spent there.
-- A stage the portal no longer has keeps its row (its id from the property name, no label).
WITH stages AS (
    SELECT * FROM hubspot_staging.stg_pipeline_stages WHERE object_type = 'deals'
)
SELECT
    timing.deal_id,
    coalesce(stage.stage_id, timing.stage_key) AS stage_id,
    stage.stage_label,
    stage.pipeline_id,
    stage.pipeline_label,
    stage.display_order AS stage_display_order,
    timing.entered_at,
    timing.exited_at,
    -- null while the deal is still in the stage (deals.days_in_current_stage has the running count)
    (epoch(timing.exited_at) - epoch(timing.entered_at)) / 86400 AS days_in_stage,
    coalesce(stage.stage_id = deal.stage_id, false) AS is_current_stage
FROM hubspot_staging.int_deal_stage_timings AS timing
JOIN hubspot_staging.stg_deals AS deal ON deal.deal_id = timing.deal_id
LEFT JOIN stages AS stage ON lower(replace(stage.stage_id, '-', '_')) = timing.stage_key
