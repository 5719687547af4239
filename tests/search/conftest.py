"""An Elasticsearch-compatible server for the search tests: noida-db (PyPI), started once per
test session on a free port, spoken to over real HTTP with the official client. Missing, it
skips the tests, or fails them under ``make test`` (OTRS_TESTS_STRICT), like dovecot."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.missing import missing

STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _noida() -> str | None:
    beside = Path(sys.executable).with_name("noida-db")
    return str(beside) if beside.exists() else shutil.which("noida-db")


@pytest.fixture(scope="session")
def elasticsearch_server(tmp_path_factory):
    """The URL of a running server (its data in a temporary directory)."""
    binary = _noida()
    if binary is None:
        missing("noida-db (the Elasticsearch-compatible test server) is not installed")
    port = _free_port()
    data = tmp_path_factory.mktemp("noida")
    log = (data / "server.log").open("wb")
    process = subprocess.Popen(
        [
            *(binary, "start", "--data-dir", str(data / "data"), "--host", "127.0.0.1"),
            *("--only", "elasticsearch", "--elasticsearch-port", str(port)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        # The console script starts the server binary as its child: stop them as a group.
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if requests.get(url, timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"noida-db did not start: {(data / 'server.log').read_text()[-2000:]}")
        time.sleep(0.05)  # waiting for a server to listen, not a timed assertion
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def es(settings, elasticsearch_server):
    """The Elasticsearch backend for this test, with indexes of its own (a fresh prefix),
    dropped afterwards."""
    # Imported here: the client module is needed only by these tests.
    from otrs.search.elastic import client

    prefix = f"t{uuid.uuid4().hex[:10]}-"
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.SEARCH_ELASTICSEARCH_URL = elasticsearch_server
    settings.SEARCH_INDEX_PREFIX = prefix
    es_client = client()
    yield es_client
    found = es_client.indices.get(index=f"{prefix}*", allow_no_indices=True)
    for index in found.body:
        es_client.indices.delete(index=index)
