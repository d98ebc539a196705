"""Search within the cap: text query, filters, paging by small pages equal to one big page."""

from __future__ import annotations

from tests.client.clients import flatten, make_client


def test_query_filters_and_small_pages(sandbox, tmp_path):
    client = make_client(sandbox, tmp_path)
    by_filter = flatten(
        client.search_records(
            "contacts",
            filter_groups=[[{"propertyName": "lastname", "operator": "EQ", "value": "Smith"}]],
            properties=["lastname"],
        )
    )
    assert by_filter and {r["properties"]["lastname"] for r in by_filter} == {"Smith"}
    pages = list(client.search_records("contacts", query="Smith", properties=["lastname"], page_size=5))
    assert len(pages) > 1 and all(len(p) <= 5 for p in pages[:-1])
    by_query = [r["id"] for r in flatten(pages)]
    assert len(by_query) == len(set(by_query))
    assert {r["id"] for r in by_filter} <= set(by_query)
    one_page = [r["id"] for r in flatten(client.search_records("contacts", query="Smith", page_size=200))]
    assert by_query == one_page
