"""The Celery application: the daemon that fetches mail and runs recurring jobs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

app = Celery("otrs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
