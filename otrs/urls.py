"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from otrs.ops.views import healthz, metrics_view, readyz
from otrs.web.site import favicon

urlpatterns = [
    path("admin/", admin.site.urls),
    # The REST API: its own routes (schema, docs, profile, tokens), then each domain app's.
    path("api/v1/", include("otrs.api.urls")),
    path("api/v1/", include("tickets.api.urls")),
    path("api/v1/", include("customers.api.urls")),
    path("api/v1/", include("faq.api.urls")),
    path("api/v1/", include("cmdb.api.urls")),
    path("agent/", include("otrs.agent.urls")),
    path("customer/", include("customer_portal.urls")),
    path("public/faq/", include("faq.public_urls")),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", RedirectView.as_view(pattern_name="agent:home", permanent=False)),
]
