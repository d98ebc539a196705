-- Bodies are plain text: no tag and none of the entities the mart decodes is left.
SELECT interaction_id, left(body, 200) AS body
FROM hubspot.interactions
WHERE regexp_matches(body, '<(p|div|br|span|a|b|i|ul|ol|li|table|tr|td|h[1-6])\b[^>]*>', 'i')
   OR regexp_matches(body, '&(amp|lt|gt|quot|nbsp|#39);')
