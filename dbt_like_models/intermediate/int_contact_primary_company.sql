-- Each live contact's primary company (HubSpot's "Primary" contact -> company link), when that company is live.
-- A link to a company merged away counts for its survivor. Should folding leave two primary companies, the
-- lowest id wins, so the answer is stable from build to build.
WITH primary_links AS (
    SELECT
        link.object_id AS contact_id,
        coalesce(merged.survivor_id, link.related_id) AS company_id
    FROM hubspot_staging.stg_associations AS link
    LEFT JOIN hubspot_staging.int_merged_records AS merged
        ON merged.object_type = 'companies' AND merged.merged_id = link.related_id
    WHERE link.object_type = 'contacts' AND link.related_type = 'companies' AND link.is_primary
)
SELECT
    primary_links.contact_id,
    min(company.company_id) AS company_id,
    arg_min(company.name, company.company_id) AS company_name
FROM primary_links
JOIN hubspot_staging.stg_contacts AS contact ON contact.contact_id = primary_links.contact_id
JOIN hubspot_staging.stg_companies AS company ON company.company_id = primary_links.company_id
GROUP BY primary_links.contact_id
