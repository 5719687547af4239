"""Webhooks: administrators register endpoints that receive chosen events as signed JSON.

Apps name what can be sent in ``<app>/api/webhooks.py`` with :func:`register` (see
:mod:`otrs.webhooks.registry`); the durable outbox drives the deliveries
(:mod:`otrs.webhooks.delivery`); the signature headers are described in
:mod:`otrs.webhooks.signing`. This package imports no domain app.
"""

from __future__ import annotations

from .registry import Filter, Source, register

__all__ = ["Filter", "Source", "register"]
