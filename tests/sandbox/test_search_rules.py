"""HubSpot's search rules in the sandbox's pure search module (validation, matching, sorting, paging).

The same behaviour is proven over HTTP in test_search_http.py; these tests pin the edge cases cheaply.
"""

from __future__ import annotations

import pytest

from hubspot_assets.sandbox.errors import HubSpotError
from hubspot_assets.sandbox.search import parse_search_request, to_number


def rec(i: int, **props: str | None) -> dict:
    return {"id": str(i), "properties": {"hs_object_id": str(i), **props}, "archived": False}


def f(name: str, op: str, **kw) -> dict:
    return {"propertyName": name, "operator": op, **kw}


def ids(request, records) -> list[str]:
    return [r["id"] for r in records if request.matches(r)]


def bad(body: dict, *needles: str) -> HubSpotError:
    with pytest.raises(HubSpotError) as info:
        parse_search_request(body)
    err = info.value
    assert err.status == 400 and err.category == "VALIDATION_ERROR"
    for needle in needles:
        assert needle in err.message, err.message
    return err


# ------------------------------------------------------------------------------------------------ limits

def test_search_rejects_six_filter_groups():
    bad({"filterGroups": [{"filters": [f("a", "HAS_PROPERTY")]}] * 6}, "filter groups", "6", "5")


def test_search_rejects_seven_filters_in_one_group():
    bad({"filterGroups": [{"filters": [f("a", "HAS_PROPERTY")] * 7}]}, "filterGroups[0]", "7", "6")


def test_search_rejects_nineteen_filters_in_all():
    groups = [{"filters": [f("a", "HAS_PROPERTY")] * 6}] * 3 + [{"filters": [f("a", "HAS_PROPERTY")]}]
    bad({"filterGroups": groups}, "19", "18")
    parse_search_request({"filterGroups": groups[:3]})  # 18 is fine


def test_search_rejects_two_sorts():
    bad({"sorts": [{"propertyName": "a"}, {"propertyName": "b"}]}, "sorts", "2")


def test_search_rejects_query_over_3000_characters():
    bad({"query": "x" * 3001}, "query", "3001", "3000")
    assert parse_search_request({"query": "x" * 3000}).query


def test_search_limit_defaults_to_10_and_rejects_201():
    assert parse_search_request({}).limit == 10
    assert parse_search_request({"limit": 200}).limit == 200
    bad({"limit": 201}, "limit", "200")
    bad({"limit": "ten"}, "limit")


def test_search_rejects_unknown_operator_naming_it():
    bad({"filterGroups": [{"filters": [f("a", "LIKE", value="x")]}]}, "LIKE", "filterGroups[0].filters[0]")


@pytest.mark.parametrize(
    ("flt", "needle"),
    [
        (f("a", "EQ"), "'value'"),
        (f("a", "IN", value="x"), "'values'"),
        (f("a", "NOT_IN", values=[]), "'values'"),
        (f("a", "BETWEEN", value="1"), "highValue"),
        (f("a", "GT", value={"x": 1}), "value"),
        ({"operator": "EQ", "value": "x"}, "propertyName"),
    ],
)
def test_search_rejects_value_of_wrong_shape(flt, needle):
    bad({"filterGroups": [{"filters": [flt]}]}, needle)


def test_search_after_is_a_stringified_offset():
    assert parse_search_request({"after": "200"}).offset == 200
    assert parse_search_request({"after": 30}).offset == 30
    bad({"after": "abc"}, "after", "abc")
    bad({"after": "-5"}, "after")


def test_search_refuses_to_page_past_10000_results():
    assert parse_search_request({"after": "9800", "limit": 200}).offset == 9800
    err = bad({"after": "10000", "limit": 10}, "10000")
    assert err.context == {"after": ["10000"], "limit": ["10"]}
    bad({"after": "9950", "limit": 100}, "10000")


def test_search_rejects_unknown_properties_when_the_caller_knows_them():
    with pytest.raises(HubSpotError, match="nope"):
        parse_search_request({"filterGroups": [{"filters": [f("nope", "EQ", value="1")]}]}, known_properties={"email"})
    with pytest.raises(HubSpotError, match="nosort"):
        parse_search_request({"sorts": [{"propertyName": "nosort"}]}, known_properties={"email"})


# ------------------------------------------------------------------------------------------------ matching

RECORDS = [
    rec(1, email="Alice@HubSpot.com", amount="100", closedate="2025-01-15T10:00:00Z", colors="red;green",
        firstname="Alice", lastname="Zed"),
    rec(2, email="bob@example.org", amount="20", closedate="2025-03-01T00:00:00.000Z", colors="blue",
        firstname="Bob", lastname="Young Müller"),
    rec(3, email=None, amount="", closedate=None, colors=None, firstname="Çelik", lastname=None),
    rec(4, email="carol@hubspot.com", amount="3.5", closedate="2024-12-31", colors="green",
        firstname="carol ann", lastname="Xu"),
]


def run(filters: list[dict], records=RECORDS, **body) -> list[str]:
    return ids(parse_search_request({"filterGroups": [{"filters": filters}], **body}), records)


def test_search_eq_is_case_insensitive_and_numeric_for_numbers():
    assert run([f("email", "EQ", value="alice@hubspot.COM")]) == ["1"]
    assert run([f("amount", "EQ", value="100.0")]) == ["1"]
    assert run([f("amount", "EQ", value=20)]) == ["2"]


def test_search_compares_numbers_numerically_not_as_text():
    # As text "100" < "20"; numerically 100 > 20.
    assert run([f("amount", "GT", value="20")]) == ["1"]
    assert run([f("amount", "LT", value="20")]) == ["4"]
    assert run([f("amount", "LTE", value="20")]) == ["2", "4"]
    assert run([f("amount", "BETWEEN", value="3", highValue="50")]) == ["2", "4"]


def test_search_compares_dates_given_as_epoch_ms_or_iso():
    jan_31 = int(to_number("2025-01-31T00:00:00Z"))
    assert jan_31 == 1738281600000
    assert run([f("closedate", "GTE", value=str(jan_31))]) == ["2"]
    assert run([f("closedate", "GTE", value="2025-01-31T00:00:00.000Z")]) == ["2"]
    assert run([f("closedate", "LT", value="2025-01-01")]) == ["4"]  # date-only value = midnight UTC
    assert run([f("closedate", "EQ", value=str(int(to_number("2025-03-01T00:00:00Z"))))]) == ["2"]


def test_search_neq_and_not_in_include_records_without_a_value():
    assert run([f("email", "NEQ", value="bob@example.org")]) == ["1", "3", "4"]
    assert run([f("colors", "NOT_IN", values=["green"])]) == ["2", "3"]


def test_search_in_matches_any_option_of_a_multi_select():
    assert run([f("colors", "IN", values=["GREEN"])]) == ["1", "4"]
    assert run([f("colors", "EQ", value="red")]) == ["1"]
    assert run([f("colors", "IN", values=["blue", "red"])]) == ["1", "2"]


def test_search_has_property_means_non_empty():
    assert run([f("amount", "HAS_PROPERTY")]) == ["1", "2", "4"]
    assert run([f("amount", "NOT_HAS_PROPERTY")]) == ["3"]
    assert run([f("never_set", "NOT_HAS_PROPERTY")]) == ["1", "2", "3", "4"]


def test_search_contains_token_matches_words_not_substrings():
    assert run([f("lastname", "CONTAINS_TOKEN", value="müller")]) == ["2"]
    assert run([f("lastname", "CONTAINS_TOKEN", value="mull")]) == []
    assert run([f("firstname", "CONTAINS_TOKEN", value="carol ann")]) == ["4"]
    assert run([f("firstname", "NOT_CONTAINS_TOKEN", value="ann")]) == ["1", "2", "3"]


def test_search_contains_token_wildcards():
    assert run([f("email", "CONTAINS_TOKEN", value="*@hubspot.com")]) == ["1", "4"]
    assert run([f("firstname", "CONTAINS_TOKEN", value="car*")]) == ["4"]
    assert run([f("lastname", "CONTAINS_TOKEN", value="*ller")]) == ["2"]


def test_search_groups_are_ored_and_filters_anded():
    body = {"filterGroups": [
        {"filters": [f("email", "CONTAINS_TOKEN", value="*@hubspot.com"), f("amount", "GT", value="50")]},
        {"filters": [f("colors", "EQ", value="blue")]},
    ]}
    assert ids(parse_search_request(body), RECORDS) == ["1", "2"]


def test_search_filters_on_hs_object_id_fall_back_to_the_record_id():
    records = [{"id": str(i), "properties": {"email": f"{i}@x.org"}} for i in range(1, 6)]
    assert run([f("hs_object_id", "GT", value="3")], records) == ["4", "5"]


def test_search_query_matches_word_prefixes_in_default_searchable_properties():
    request = parse_search_request({"query": "ali hubspot"}, object_type="contacts")
    assert ids(request, RECORDS) == ["1"]
    assert ids(parse_search_request({"query": "çel"}, object_type="contacts"), RECORDS) == ["3"]
    # amount is not a default searchable property of contacts
    assert ids(parse_search_request({"query": "100"}, object_type="contacts"), RECORDS) == []


# ------------------------------------------------------------------------------------------------ sort and page

def test_search_sorts_numerically_descending_with_nulls_last():
    request = parse_search_request({"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}]})
    assert [r["id"] for r in request.sort(RECORDS)] == ["1", "2", "4", "3"]
    request = parse_search_request({"sorts": [{"propertyName": "amount", "direction": "ASCENDING"}]})
    assert [r["id"] for r in request.sort(RECORDS)] == ["4", "2", "1", "3"]


def test_search_rejects_a_bad_sort_direction():
    bad({"sorts": [{"propertyName": "amount", "direction": "UP"}]}, "ASCENDING", "UP")


def test_search_pages_with_total_and_stringified_offsets():
    records = [rec(i, n=str(i % 7)) for i in range(1, 51)]
    body = {"filterGroups": [{"filters": [f("n", "GTE", value="3")]}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}], "limit": 12}
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        request = parse_search_request({**body, **({"after": after} if after else {})})
        total, page, after = request.page(records)
        seen.extend(r["id"] for r in page)
        pages += 1
        if after is None:
            break
        assert isinstance(after, str) and after == str(12 * pages)
    expected = [str(i) for i in range(50, 0, -1) if i % 7 >= 3]
    assert total == len(expected) == 28
    assert seen == expected
    assert pages == 3


def test_search_page_offers_next_after_up_to_10000_then_the_parser_refuses():
    records = [rec(i) for i in range(1, 10_101)]
    total, page, after = parse_search_request({"limit": 200, "after": "9800"}).page(records, presorted_by_id=True)
    assert total == 10_100 and page[0]["id"] == "9801" and after == "10000"
    with pytest.raises(HubSpotError):
        parse_search_request({"limit": 200, "after": after})
