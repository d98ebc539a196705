"""`hubspot-elt sandbox serve` starts a real server with the flags given, and refuses bad flags clearly."""

from __future__ import annotations

import subprocess
import sys
import threading

import requests

from hubspot_assets.sandbox.server import READY_PREFIX

CLI = [sys.executable, "-m", "hubspot_assets.cli", "sandbox", "serve"]


def test_cli_serve_listens_and_uses_the_given_seed_scale_and_tier():
    proc = subprocess.Popen([*CLI, "--port", "0", "--seed", "9", "--scale", "200", "--tier", "unlimited",
                             "--access-token", "pat-na1-cli-test"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(60)
        assert line and line[0].startswith(READY_PREFIX), proc.stderr.read() if proc.poll() is not None else line
        url = line[0][len(READY_PREFIX):].strip()
        assert url.startswith("http://127.0.0.1:")
        stats = requests.get(url + "/_sandbox/stats", timeout=30).json()
        assert stats["config"] == {"seed": 9, "scale": "200", "contacts": 200, "tier": "unlimited",
                                   "portalId": 62515}
        assert 190 <= stats["objects"]["contacts"]["total"] <= 200
        answer = requests.get(url + "/crm/v3/objects/contacts", params={"limit": 1},
                              headers={"Authorization": "Bearer pat-na1-cli-test"}, timeout=30)
        assert answer.status_code == 200 and len(answer.json()["results"]) == 1
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_cli_serve_rejects_an_unknown_scale_with_a_clear_message():
    done = subprocess.run([*CLI, "--port", "0", "--scale", "huge"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "scale must be small, medium, large or a contact count" in done.stderr
