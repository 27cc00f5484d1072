import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caregraph.settings")

app = Celery("caregraph")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
