-- One row per live contact: the customer. Contacts merged into another are archived, so they have no row of
-- their own; their ids are listed on their survivor (`merged_contact_ids`), and their interactions count there.
WITH merged_into AS (
    SELECT survivor_id AS customer_id, list(merged_id ORDER BY merged_id) AS merged_contact_ids
    FROM hubspot_staging.int_merged_records
    WHERE object_type = 'contacts'
    GROUP BY survivor_id
),
activity AS (
    -- every interaction linked to the contact (or to a contact merged into it), per channel
    SELECT
        contact_id AS customer_id,
        min(occurred_at) AS first_interaction_at,
        max(occurred_at) AS last_interaction_at,
        count(*) AS interaction_count,
        count(*) FILTER (WHERE channel = 'conversation') AS conversation_message_count,
        count(*) FILTER (WHERE channel = 'email') AS email_count,
        count(*) FILTER (WHERE channel = 'call') AS call_count,
        count(*) FILTER (WHERE channel = 'note') AS note_count,
        count(*) FILTER (WHERE channel = 'meeting') AS meeting_count,
        count(*) FILTER (WHERE channel = 'task') AS task_count,
        count(*) FILTER (WHERE channel = 'communication') AS communication_count
    FROM hubspot_staging.int_interaction_contacts
    GROUP BY contact_id
),
contact_options AS (
    SELECT property_name, value, label
    FROM hubspot_staging.stg_property_options
    WHERE object_type = 'contacts' AND property_name IN ('lifecyclestage', 'hs_lead_status')
)
SELECT
    contact.contact_id AS customer_id,
    contact.email,
    contact.first_name,
    contact.last_name,
    nullif(trim(concat_ws(' ', contact.first_name, contact.last_name)), '') AS full_name,
    contact.phone,
    contact.job_title,
    primary_company.company_id AS primary_company_id,
    primary_company.company_name AS primary_company_name,
    contact.owner_id,
    owner.owner_name,
    contact.lifecycle_stage,
    lifecycle.label AS lifecycle_stage_label,
    contact.lead_status,
    lead_status.label AS lead_status_label,
    coalesce(merged_into.merged_contact_ids, [])::BIGINT[] AS merged_contact_ids,
    activity.first_interaction_at,
    activity.last_interaction_at,
    coalesce(activity.interaction_count, 0) AS interaction_count,
    coalesce(activity.conversation_message_count, 0) AS conversation_message_count,
    coalesce(activity.email_count, 0) AS email_count,
    coalesce(activity.call_count, 0) AS call_count,
    coalesce(activity.note_count, 0) AS note_count,
    coalesce(activity.meeting_count, 0) AS meeting_count,
    coalesce(activity.task_count, 0) AS task_count,
    coalesce(activity.communication_count, 0) AS communication_count,
    contact.created_at,
    contact.updated_at
FROM hubspot_staging.stg_contacts AS contact
LEFT JOIN merged_into ON merged_into.customer_id = contact.contact_id
LEFT JOIN activity ON activity.customer_id = contact.contact_id
LEFT JOIN hubspot_staging.int_contact_primary_company AS primary_company
    ON primary_company.contact_id = contact.contact_id
LEFT JOIN hubspot_staging.stg_owners AS owner ON owner.owner_id = contact.owner_id
LEFT JOIN contact_options AS lifecycle
    ON lifecycle.property_name = 'lifecyclestage' AND lifecycle.value = contact.lifecycle_stage
LEFT JOIN contact_options AS lead_status
    ON lead_status.property_name = 'hs_lead_status' AND lead_status.value = contact.lead_status
