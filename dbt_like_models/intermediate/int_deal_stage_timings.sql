-- When each live deal entered and left each stage, from HubSpot's stage timing properties
-- `hs_v2_date_entered_<stage>` / `hs_v2_date_exited_<stage>`: one row per deal and stage entered.
-- This reads raw deals directly because it needs every such column, whatever stages the portal has: the columns
-- are unpivoted by pattern, so a stage added in HubSpot needs no change here. UNPIVOT leaves out null values,
-- so stages a deal never entered give no row.
WITH entered AS (
    UNPIVOT (
        SELECT id, COLUMNS('^hs_v2_date_entered_')
        FROM hubspot_raw.deals
        WHERE NOT coalesce(archived, false)
    )
    ON COLUMNS(* EXCLUDE (id))
    INTO NAME property VALUE entered_at
),
exited AS (
    UNPIVOT (
        SELECT id, COLUMNS('^hs_v2_date_exited_')
        FROM hubspot_raw.deals
        WHERE NOT coalesce(archived, false)
    )
    ON COLUMNS(* EXCLUDE (id))
    INTO NAME property VALUE exited_at
)
SELECT
    entered.id AS deal_id,
    -- the stage part of the property name: HubSpot writes stage ids in property names in lower case, `-` as `_`
    substr(entered.property, length('hs_v2_date_entered_') + 1) AS stage_key,
    entered.entered_at,
    exited.exited_at
FROM entered
LEFT JOIN exited
    ON exited.id = entered.id
    AND substr(exited.property, length('hs_v2_date_exited_') + 1)
        = substr(entered.property, length('hs_v2_date_entered_') + 1)
