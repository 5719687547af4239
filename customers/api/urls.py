"""The customers' API routes, under /api/v1/ (wired in otrs/urls.py)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("customer-users", views.CustomerUserViewSet, basename="api-customer-user")
router.register("companies", views.CompanyViewSet, basename="api-company")

urlpatterns = router.urls
