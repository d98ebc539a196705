-- One row per live deal with its pipeline and stage labels, the stage's closed / won meaning, its owner and primary
-- company, and how long it has been in its current stage.
WITH stages AS (
    SELECT * FROM hubspot_staging.stg_pipeline_stages WHERE object_type = 'deals'
),
deal_companies AS (
    -- the primary company (HubSpot's "Primary" deal -> company link), else the lowest live linked company
    SELECT
        link.object_id AS deal_id,
        coalesce(min(company.company_id) FILTER (WHERE link.is_primary), min(company.company_id)) AS company_id
    FROM hubspot_staging.stg_associations AS link
    LEFT JOIN hubspot_staging.int_merged_records AS merged
        ON merged.object_type = 'companies' AND merged.merged_id = link.related_id
    JOIN hubspot_staging.stg_companies AS company
        ON company.company_id = coalesce(merged.survivor_id, link.related_id)
    WHERE link.object_type = 'deals' AND link.related_type = 'companies'
    GROUP BY link.object_id
),
deal_options AS (
    SELECT property_name, value, label
    FROM hubspot_staging.stg_property_options
    WHERE object_type = 'deals' AND property_name IN ('dealtype', 'hs_priority')
)
SELECT
    deal.deal_id,
    deal.deal_name,
    deal.amount,
    deal.close_date,
    deal.pipeline_id,
    stage.pipeline_label,
    deal.stage_id,
    stage.stage_label,
    stage.probability AS stage_probability,
    coalesce(stage.is_closed, false) AS is_closed,
    -- HubSpot has no "won" flag: a won stage is a closed stage with probability 1
    coalesce(stage.is_closed AND stage.probability = 1, false) AS is_won,
    deal.deal_type,
    deal_type.label AS deal_type_label,
    deal.priority,
    priority.label AS priority_label,
    deal.owner_id,
    owner.owner_name,
    deal_companies.company_id,
    timing.entered_at AS stage_entered_at,
    -- whole days since the deal entered its current stage, as of this build
    CAST(floor((epoch(current_timestamp) - epoch(timing.entered_at)) / 86400) AS BIGINT) AS days_in_current_stage,
    deal.created_at,
    deal.updated_at
FROM hubspot_staging.stg_deals AS deal
LEFT JOIN stages AS stage ON stage.pipeline_id = deal.pipeline_id AND stage.stage_id = deal.stage_id
LEFT JOIN hubspot_staging.int_deal_stage_timings AS timing
    ON timing.deal_id = deal.deal_id AND timing.stage_key = lower(replace(deal.stage_id, '-', '_'))
LEFT JOIN deal_companies ON deal_companies.deal_id = deal.deal_id
LEFT JOIN hubspot_staging.stg_owners AS owner ON owner.owner_id = deal.owner_id
LEFT JOIN deal_options AS deal_type ON deal_type.property_name = 'dealtype' AND deal_type.value = deal.deal_type
LEFT JOIN deal_options AS priority ON priority.property_name = 'hs_priority' AND priority.value = deal.priority
