"""The public FAQ, mounted at /public/faq/ (namespace ``faq_public``) by :mod:`otrs.urls`."""

from django.urls import path

from . import public_views

app_name = "faq_public"

urlpatterns = [
    path("", public_views.index, name="index"),
    path("feed/", public_views.feed, name="feed"),
    path("<int:pk>/", public_views.item, name="item"),
    path("<int:pk>/vote/", public_views.vote, name="vote"),
    path("<int:pk>/attachments/<int:attachment_id>/", public_views.attachment, name="attachment"),
]
