"""The FAQ's API routes, under /api/v1/ (wired in otrs/urls.py)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("faq-items", views.FaqItemViewSet, basename="api-faq-item")

urlpatterns = router.urls
