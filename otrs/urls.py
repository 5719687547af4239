"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("agent/", include("tickets.agent_urls")),
    path("customer/", include("customer_portal.urls")),
    path("", RedirectView.as_view(pattern_name="agent:dashboard", permanent=False)),
]
