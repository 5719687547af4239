"""Probes for load balancers and orchestrators: no sign-in, no session, no details beyond
what each component's state is."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import checks


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
