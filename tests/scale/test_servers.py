"""The gunicorn helper of the tests (``tests/servers.py``): it serves the migrated test
database with several workers; ``kill_server`` stops master and workers at once, and a new
server can take the same port at once."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.servers import gunicorn_server, kill_server, server_pids

pytestmark = pytest.mark.db


def test_gunicorn_serves_and_can_be_killed(migrated_url) -> None:
    with gunicorn_server(migrated_url, workers=2) as base:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            assert json.load(response) == {"status": "ok"}
        _master, workers = server_pids(base)
        assert len(workers) == 2
        kill_server(base)
        with pytest.raises((urllib.error.URLError, ConnectionResetError)):  # refused, or reset
            urllib.request.urlopen(base + "/healthz", timeout=5)
    port = int(base.rsplit(":", 1)[1])
    with gunicorn_server(migrated_url, workers=1, port=port) as again:  # the port is free again
        assert again == base
        with urllib.request.urlopen(again + "/healthz", timeout=10) as response:
            assert response.status == 200
