-- Live companies with their standard properties (archived and merged-away companies left out).
SELECT
    id                              AS company_id,
    name,
    lower(domain)                   AS domain,
    industry,
    phone,
    city,
    country,
    CAST(numberofemployees AS BIGINT) AS number_of_employees,
    annualrevenue                   AS annual_revenue,
    lifecyclestage                  AS lifecycle_stage,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    coalesce(createdate, created_at) AS created_at,
    updated_at
FROM hubspot_raw.companies
WHERE NOT coalesce(archived, false)
