import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caregraph.settings")

app = Celery("caregraph")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery task modules are named workers.py, so the clinical Task (apps.tasks) and a
# Celery task are never confused.
app.autodiscover_tasks(related_name="workers")
