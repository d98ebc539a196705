-- Call transcript utterances. The table exists only when the credentials hold the transcripts scope (an OAuth
-- app): the YAML lists it under `optional_inputs`, so without it this model is empty instead of failing.
SELECT
    call_id,
    transcript_id,
    position,
    speaker_name,
    speaker_email,
    text,
    start_time_ms,
    end_time_ms
FROM hubspot_raw.call_transcript_utterances
