"""The customer portal's FAQ under /customer/faq/ (namespace ``customer``)."""

from django.urls import path

from .views import faq

urlpatterns = [
    path("", faq.index, name="faq"),
    path("<int:pk>/", faq.item, name="faq_item"),
    path("<int:pk>/vote/", faq.vote, name="faq_vote"),
    path("<int:pk>/attachments/<int:attachment_id>/", faq.attachment, name="faq_attachment"),
]
