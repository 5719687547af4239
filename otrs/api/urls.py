"""The API's own routes under ``/api/v1/``: the OpenAPI schema, its documentation pages (Swagger
UI and Redoc, their assets from drf-spectacular-sidecar, served by the project: no CDN) and
the caller's own tokens. The domain apps' routes are added in ``otrs/urls.py``."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from . import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the site's CSP allows no inline one.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("tokens/", views.TokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", views.TokenDetailView.as_view(), name="api-token"),
]
