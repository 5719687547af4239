"""The client's address: X-Forwarded-For believed only through the trusted proxies, read from
the right."""

from __future__ import annotations

import logging

import pytest
from django.test import RequestFactory

from otrs.accounts.client_address import UNKNOWN, client_address


def address(remote_addr: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "::1/128"]


def test_it_ignores_the_header_when_no_proxy_is_trusted(settings):
    settings.TRUSTED_PROXIES = []
    assert address("127.0.0.1", "203.0.113.9") == "127.0.0.1"
    assert address("198.51.100.4", "203.0.113.9") == "198.51.100.4"


def test_it_ignores_the_header_from_a_peer_that_is_not_trusted(behind_nginx):
    assert address("198.51.100.4", "203.0.113.9") == "198.51.100.4"


def test_it_believes_the_entry_the_trusted_proxy_wrote(behind_nginx):
    assert address("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert address("::1", "2001:db8::7") == "2001:db8::7"
    # No header from the proxy: the proxy itself is the client.
    assert address("127.0.0.1") == "127.0.0.1"


def test_it_never_believes_what_the_client_put_in_front(behind_nginx):
    # nginx with $proxy_add_x_forwarded_for appends the address it saw to the client's own.
    assert address("127.0.0.1", "10.0.0.1, 192.0.2.55, 203.0.113.9") == "203.0.113.9"


def test_it_skips_every_trusted_hop_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/24"]
    # client -> load balancer 10.0.0.2 -> nginx 10.0.0.7 -> gunicorn (peer 127.0.0.1)
    assert address("127.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.2, 10.0.0.7") == "203.0.113.9"
    # Only trusted hops: the leftmost is the client.
    assert address("127.0.0.1", "10.0.0.5, 10.0.0.2") == "10.0.0.5"


def test_it_reads_ports_brackets_repeated_headers_and_mapped_addresses(behind_nginx):
    assert address("127.0.0.1", "203.0.113.9:51234") == "203.0.113.9"
    assert address("127.0.0.1", "[2001:db8::7]:443") == "2001:db8::7"
    assert address("127.0.0.1", " 198.51.100.1 ,203.0.113.9 ") == "203.0.113.9"
    assert address("::ffff:127.0.0.1", "::ffff:203.0.113.9") == "203.0.113.9"


def test_it_stops_at_an_entry_that_is_no_address(behind_nginx, settings):
    assert address("127.0.0.1", "203.0.113.9, unknown") == "127.0.0.1"
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/24"]
    assert address("127.0.0.1", "203.0.113.9, garbage, 10.0.0.2") == "10.0.0.2"


def test_a_unix_socket_peer_is_a_proxy_of_this_host(settings):
    settings.TRUSTED_PROXIES = []
    assert address("", "203.0.113.9") == "203.0.113.9"
    assert address("") == UNKNOWN


def test_it_says_once_why_a_local_proxys_header_is_ignored(settings, caplog):
    settings.TRUSTED_PROXIES = []
    with caplog.at_level(logging.WARNING, logger="otrs.accounts.client_address"):
        assert address("127.0.0.53", "203.0.113.9") == "127.0.0.53"
        assert address("127.0.0.53", "203.0.113.10") == "127.0.0.53"
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "X-Forwarded-For from 127.0.0.53 is ignored" in warning
    assert "TRUSTED_PROXIES" in warning
