"""Associations are read alongside the records they belong to, block by block, not after the slowest type."""

from __future__ import annotations

import queue
import threading

from hubspot_assets.hubspot.client import HubSpotClient
from hubspot_assets.sources.associations import association_tasks
from hubspot_assets.sources.catalog import discover_catalog
from hubspot_assets.sources.changes import Changes
from hubspot_assets.sources.extraction import Extraction
from tests.sources.sandbox_warehouse import settings_for


def test_links_of_a_type_still_being_read_are_read_block_by_block_as_its_ids_arrive(sandbox, tmp_path):
    client = HubSpotClient.from_settings(settings_for(sandbox, tmp_path))
    try:
        catalog = discover_catalog(client, ["contacts", "companies", "deals"])
        run = Extraction(client, catalog, mode="full", lookback_s=300)
        run._selected = frozenset({"contacts"})  # the contacts resource is part of this extraction, still running
        plan = catalog.association_plan()
        assert "companies" in plan["contacts"] and "companies" in plan
        contacts = run.stream("contacts", Changes(complete=True, since_ms=None))
        pages = [page for page in client.list_records("contacts", ["hs_object_id"])]
        records = [r for page in pages for r in page]
        assert len(records) > 600

        tasks: queue.Queue = queue.Queue()

        def produce() -> None:
            try:
                for task in association_tasks(run, plan, {}, complete=True, block=300):
                    tasks.put(task)
            except BaseException as error:  # handed to the test
                tasks.put(error)
            tasks.put(None)

        threading.Thread(target=produce, daemon=True).start()

        def next_task(timeout: float = 30.0) -> tuple:
            task = tasks.get(timeout=timeout)
            assert not isinstance(task, BaseException), task
            return task

        # Companies are not read by this extraction: their links come once `run.changes` has read them.
        # Contacts: 400 ids arrive while the read goes on -> one block of 300 is handed out at once.
        contacts.add(records[:400])
        seen: list[tuple] = []
        while not any(t[0] == "links" and t[1] == "contacts" for t in seen):
            seen.append(next_task())
        first = next(t for t in seen if t[1] == "contacts")
        assert first[2] == sorted(int(r["id"]) for r in records[:300])
        assert set(plan["contacts"]) >= {first[3]}
        assert not contacts.closed, "a block was handed out while the contacts read was still open"
        assert not any(t[0] == "done" and t[1] == "contacts" for t in seen)

        # The rest comes when the read closes, then the type is done (stale links are computed only then).
        contacts.add(records[400:])
        contacts.close()
        while (task := next_task()) is not None:
            seen.append(task)
        contact_ids = [i for t in seen if t[0] == "links" and t[1] == "contacts" and t[3] == first[3] for i in t[2]]
        assert sorted(contact_ids) == sorted(int(r["id"]) for r in records), "every contact's links, once each"
        done = [t[1] for t in seen if t[0] == "done"]
        assert sorted(done) == ["companies", "contacts"]
        contacts_done = seen.index(("done", "contacts", contacts, seen[-1][3] if seen[-1][1] == "contacts" else
                                    next(t[3] for t in seen if t[0] == "done" and t[1] == "contacts")))
        assert all(i < contacts_done for i, t in enumerate(seen) if t[0] == "links" and t[1] == "contacts")
        assert any(t[0] == "links" and t[1] == "companies" for t in seen)
    finally:
        client.close()


def test_a_failed_record_read_stops_the_association_reads_instead_of_waiting_forever(sandbox, tmp_path):
    client = HubSpotClient.from_settings(settings_for(sandbox, tmp_path))
    try:
        catalog = discover_catalog(client, ["contacts", "companies"])
        run = Extraction(client, catalog, mode="full", lookback_s=300)
        run._selected = frozenset({"contacts"})
        run.stream("contacts", Changes(complete=True, since_ms=None))
        run.aborted.set()  # the contacts resource failed
        tasks = association_tasks(run, catalog.association_plan(), {}, complete=True)
        try:
            next(tasks)
        except RuntimeError as error:
            assert "another resource of this run failed" in str(error)
        else:
            raise AssertionError("the association reads went on without the contacts read")
    finally:
        client.close()
