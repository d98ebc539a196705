-- One row per live company, codes turned into labels, with the companies merged into it and its live contacts
-- and deals counted (records merged away count for their survivor).
WITH merged_into AS (
    SELECT survivor_id AS company_id, list(merged_id ORDER BY merged_id) AS merged_company_ids
    FROM hubspot_staging.int_merged_records
    WHERE object_type = 'companies'
    GROUP BY survivor_id
),
links AS (
    SELECT
        coalesce(company_merge.survivor_id, link.object_id) AS company_id,
        link.related_type,
        coalesce(related_merge.survivor_id, link.related_id) AS related_id
    FROM hubspot_staging.stg_associations AS link
    LEFT JOIN hubspot_staging.int_merged_records AS company_merge
        ON company_merge.object_type = 'companies' AND company_merge.merged_id = link.object_id
    LEFT JOIN hubspot_staging.int_merged_records AS related_merge
        ON related_merge.object_type = link.related_type AND related_merge.merged_id = link.related_id
    WHERE link.object_type = 'companies' AND link.related_type IN ('contacts', 'deals')
),
counts AS (
    SELECT
        company_id,
        count(DISTINCT related_id) FILTER (WHERE related_type = 'contacts'
            AND related_id IN (SELECT contact_id FROM hubspot_staging.stg_contacts)) AS contact_count,
        count(DISTINCT related_id) FILTER (WHERE related_type = 'deals'
            AND related_id IN (SELECT deal_id FROM hubspot_staging.stg_deals)) AS deal_count
    FROM links
    GROUP BY company_id
),
company_options AS (
    SELECT property_name, value, label
    FROM hubspot_staging.stg_property_options
    WHERE object_type = 'companies' AND property_name IN ('industry', 'lifecyclestage')
)
SELECT
    company.company_id,
    company.name,
    company.domain,
    company.industry,
    industry.label AS industry_label,
    company.phone,
    company.city,
    company.country,
    company.number_of_employees,
    company.annual_revenue,
    company.lifecycle_stage,
    lifecycle.label AS lifecycle_stage_label,
    company.owner_id,
    owner.owner_name,
    coalesce(merged_into.merged_company_ids, [])::BIGINT[] AS merged_company_ids,
    coalesce(counts.contact_count, 0) AS contact_count,
    coalesce(counts.deal_count, 0) AS deal_count,
    company.created_at,
    company.updated_at
FROM hubspot_staging.stg_companies AS company
LEFT JOIN merged_into ON merged_into.company_id = company.company_id
LEFT JOIN counts ON counts.company_id = company.company_id
LEFT JOIN hubspot_staging.stg_owners AS owner ON owner.owner_id = company.owner_id
LEFT JOIN company_options AS industry
    ON industry.property_name = 'industry' AND industry.value = company.industry
LEFT JOIN company_options AS lifecycle
    ON lifecycle.property_name = 'lifecyclestage' AND lifecycle.value = company.lifecycle_stage
