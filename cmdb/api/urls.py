"""The CMDB's API routes, under /api/v1/ (wired in otrs/urls.py)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("config-items", views.ConfigItemViewSet, basename="api-config-item")

urlpatterns = router.urls
