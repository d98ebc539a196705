"""Number properties named `*_id` hold whatever a user typed: a value past 64 bits or a decimal loads intact."""

from __future__ import annotations

from decimal import Decimal

import requests

from hubspot_assets.sources.pipeline import run_sync
from tests.sources.sandbox_warehouse import query, settings_for


def test_number_id_property_larger_than_64_bits_or_decimal_loads_intact(sandbox_factory, tmp_path):
    server = sandbox_factory()
    settings = settings_for(server, tmp_path, objects="line_items")
    first, second = [r["id"] for r in server.admin("truth/line_items")["results"] if not r["archived"]][:2]
    for record_id, value in ((first, "99999999999999999999"), (second, "12.5")):
        answer = requests.patch(f"{server.url}/crm/v3/objects/line_items/{record_id}", headers=server.headers,
                                json={"properties": {"hs_product_id": value}}, timeout=30)
        assert answer.status_code == 200, answer.text

    report = run_sync(settings, mode="incremental", resources=["line_items"])

    assert report.row_counts.get("line_items", 0) > 0
    stored = dict(query(settings, "SELECT id, hs_product_id FROM hubspot_raw.line_items WHERE id IN (?, ?)",
                        int(first), int(second)))
    assert stored == {int(first): Decimal("99999999999999999999"), int(second): Decimal("12.5")}
