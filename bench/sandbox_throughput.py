"""Sandbox throughput: startup time, resident memory, full-width contact pages/s and search pages/s.

    .venv/bin/python bench/sandbox_throughput.py --scale small|medium|large|<contacts> [--seconds 5] [--threads 2]

Starts a sandbox subprocess (tier unlimited, URL limit raised so a full property list fits in a GET), then:
- full-width pages: `GET /crm/v3/objects/contacts?limit=100&properties=<all ~330>` paging through contacts;
- search pages: `POST .../contacts/search` sorted by hs_object_id with `hs_object_id > last` (the fast path an
  incremental reader uses) and a property filter search (the general path);
and prints requests/s per client thread count, startup seconds and the server's RSS.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import threading
import time
from pathlib import Path

import orjson
import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hubspot_assets.sandbox.config import SandboxConfig  # noqa: E402
from hubspot_assets.sandbox.server import SandboxServer  # noqa: E402


def run_for(seconds: float, threads: int, work) -> tuple[int, float]:
    """Run `work(session, state)` repeatedly in `threads` threads for `seconds`; returns (requests, elapsed)."""
    count = [0] * threads
    stop = time.monotonic() + seconds

    def loop(k: int) -> None:
        session = requests.Session()
        state: dict = {}
        while time.monotonic() < stop:
            work(session, state)
            count[k] += 1

    start = time.monotonic()
    pool = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(count), time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=2, help="concurrent client threads (also runs 1)")
    args = parser.parse_args()

    config = SandboxConfig(scale=args.scale, tier="unlimited", max_url_length=1_000_000)
    started = time.monotonic()
    server = SandboxServer(config, startup_timeout=300).start()
    startup = time.monotonic() - started
    proc = psutil.Process(server.pid)
    rss_start = proc.memory_info().rss
    headers = server.headers
    try:
        names = [p["name"] for p in requests.get(f"{server.url}/crm/v3/properties/contacts",
                                                 headers=headers, timeout=60).json()["results"]]
        url = f"{server.url}/crm/v3/objects/contacts"
        props = ",".join(names)

        host, port = server.url.removeprefix("http://").split(":")
        list_path = "/crm/v3/objects/contacts?limit=100&properties=" + props

        def full_page(session: requests.Session, state: dict) -> None:
            # A lean HTTP client, to measure the sandbox rather than the client library.
            conn = state.get("conn") or http.client.HTTPConnection(host, int(port), timeout=60)
            state["conn"] = conn
            conn.request("GET", list_path + (f"&after={state['after']}" if state.get("after") else ""),
                         headers=headers)
            answer = conn.getresponse()
            raw = answer.read()
            assert answer.status == 200, raw[:300]
            at = raw.rfind(b'"after":"')  # the cursor is in the tail; no need to parse 1.5 MB
            state["after"] = raw[at + 9:raw.index(b'"', at + 9)].decode() if at > 0 else None

        def full_page_parsed(session: requests.Session, state: dict) -> None:
            params = {"limit": 100, "properties": props}
            if state.get("after"):
                params["after"] = state["after"]
            answer = session.get(url, params=params, headers=headers, timeout=60)
            assert answer.status_code == 200, answer.text[:300]
            body = orjson.loads(answer.content)
            assert len(body["results"][0]["properties"]) == len(names)
            state["after"] = body.get("paging", {}).get("next", {}).get("after")

        def search_page(session: requests.Session, state: dict) -> None:
            body = {"filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "GT",
                                                    "value": state.get("last", "0")}]}],
                    "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                    "properties": names[:40], "limit": 100}
            answer = session.post(url + "/search", json=body, headers=headers, timeout=60)
            assert answer.status_code == 200, answer.text[:300]
            results = answer.json()["results"]
            state["last"] = results[-1]["id"] if results else "0"

        def filter_search(session: requests.Session, state: dict) -> None:
            body = {"filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ",
                                                    "value": "customer"}]}],
                    "properties": ["email", "lifecyclestage"], "limit": 100, "after": str(state.get("after", 0))}
            answer = session.post(url + "/search", json=body, headers=headers, timeout=120)
            assert answer.status_code == 200, answer.text[:300]
            nxt = answer.json().get("paging", {}).get("next", {}).get("after")
            state["after"] = int(nxt) if nxt and int(nxt) + 100 <= 10_000 else 0

        print(f"scale {config.scale} ({config.contact_count:,} contacts): startup {startup:.2f} s, "
              f"RSS after start {rss_start / 2**20:.0f} MiB, contact properties {len(names)}, "
              f"full property list {len(props)} chars")
        for label, work in (("full-width contact pages (100 x all properties)", full_page),
                            ("full-width contact pages, requests client parsing the JSON", full_page_parsed),
                            ("search pages (hs_object_id > last, sorted; 100 x 40 properties)", search_page),
                            ("search pages (property filter lifecyclestage = customer, offset paging)", filter_search)):
            for threads in sorted({1, args.threads}):
                n, elapsed = run_for(args.seconds, threads, work)
                print(f"  {label}, {threads} client thread(s): {n / elapsed:7.1f} requests/s")
        print(f"RSS at end {proc.memory_info().rss / 2**20:.0f} MiB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
