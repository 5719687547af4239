"""Probes for load balancers and orchestrators: no sign-in, no session, no details beyond
what each component's state is."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import checks, metrics


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. It asks nothing of the database (a database outage
    must not make an orchestrator restart every web process)."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: database, cache and broker answer. 200 or 503, one line per component with
    its state only (errors can name hosts and users; the operator reads them in
    ``manage.py checkenvironment``)."""
    results = checks.readiness()
    body = "".join(f"{result.name} {'ok' if result.ok else 'failed'}\n" for result in results)
    status = 200 if all(result.ok for result in results) else 503
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics for a scraper holding ``METRICS_TOKEN``; to anyone else (and with
    no token configured) the address does not exist."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Http404
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)
