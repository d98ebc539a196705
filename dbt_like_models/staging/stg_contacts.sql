-- Live contacts with the standard HubSpot properties under analyst-friendly names.
-- Archived contacts (merged ones included: HubSpot archives the record merged away) are left out here, so every
-- model downstream sees live records only; GDPR-deleted contacts are already gone from raw.
-- Properties are named one by one: raw contacts carry hundreds of portal-defined columns that come and go.
SELECT
    id                              AS contact_id,
    lower(trim(email))              AS email,
    firstname                       AS first_name,
    lastname                        AS last_name,
    phone,
    mobilephone                     AS mobile_phone,
    company                         AS company_name,
    jobtitle                        AS job_title,
    city,
    country,
    lifecyclestage                  AS lifecycle_stage,
    hs_lead_status                  AS lead_status,
    TRY_CAST(hubspot_owner_id AS BIGINT) AS owner_id,
    coalesce(createdate, created_at) AS created_at,
    updated_at
FROM hubspot_raw.contacts
WHERE NOT coalesce(archived, false)
