"""What a run holds in memory once its extraction is over."""

from __future__ import annotations

from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, sync_session
from tests.sources.sandbox_warehouse import settings_for


def test_the_records_a_run_read_are_let_go_when_the_extraction_ends_before_the_load(sandbox, tmp_path):
    settings = settings_for(sandbox, tmp_path)
    with sync_session(settings, mode="full", snapshot=False) as session:
        extraction = session.prepared.extraction
        source = session.source.with_resources("contacts", "companies", "deals", "associations", "merges")
        session.pipeline.extract(source, loader_file_format=LOADER_FILE_FORMAT)
        # Every resource ended: the ids of the three types (reused by associations and merges) are gone.
        assert extraction.types_held == 0
        assert extraction.api_calls["contacts"] > 0 and extraction.api_calls["associations"] > 0
        session.pipeline.normalize()
        session.pipeline.load().raise_on_failed_jobs()
    assert session.report().row_counts["contacts"] > 0 and session.report().row_counts["associations"] > 0
