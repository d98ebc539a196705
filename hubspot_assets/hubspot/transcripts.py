"""Call transcripts (`GET /crm/v3/extensions/calling/transcripts/{id}`).

The transcript id is a call's `hs_call_transcription_id` property. Reading needs an OAuth token with the scope
`crm.extensions_calling_transcripts.read`; private-app tokens cannot hold it, so they get
`MissingScopesError`.
"""

from __future__ import annotations

from typing import Any

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.errors import MissingScopesError
from hubspot_assets.hubspot.models import Transcript
from hubspot_assets.hubspot.responses import body_object, parse_model

TRANSCRIPTS_SCOPE = "crm.extensions_calling_transcripts.read"


class TranscriptsApi(ApiArea):
    def transcript(self, transcript_id: str | int) -> dict[str, Any]:
        """One call transcript as HubSpot returns it (`transcriptUtterances` with speaker, text, times).

        Raises `MissingScopesError` naming the scope when the token lacks it, `NotFoundError` when absent.
        """
        path, endpoint = self.paths.transcript(str(transcript_id))
        try:
            response = self.transport.request("GET", path, endpoint=endpoint)
        except MissingScopesError as exc:
            scopes = exc.missing_scopes or [TRANSCRIPTS_SCOPE]
            raise MissingScopesError(
                f"reading call transcripts needs the scope {', '.join(scopes)}, "
                "which only OAuth apps can hold",
                missing_scopes=scopes,
                status=exc.status,
                category=exc.category,
                sub_category=exc.sub_category,
                correlation_id=exc.correlation_id,
                method=exc.method,
                endpoint=exc.endpoint,
                hint=f"authorize an OAuth app with {', '.join(scopes)} (`hubspot-elt auth login`), "
                "or leave transcripts out of the load",
            ) from exc
        data = body_object(response, "GET", endpoint)
        parse_model(Transcript, data, response, "GET", endpoint)
        return data
