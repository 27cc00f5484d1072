"""The project's Celery app with a one-entry beat schedule, for running real beats in tests.

CG_TEST_QUEUE names the queue the sweep is sent to; CG_TEST_BEAT_SECONDS how often.
"""

import os

from caregraph.celery import app

app.conf.beat_schedule = {
    "transitions-follow-up-sweep": {
        "task": "apps.transitions.workers.transitions_sweep_task",
        "schedule": float(os.environ.get("CG_TEST_BEAT_SECONDS", "1")),
        "options": {"queue": os.environ.get("CG_TEST_QUEUE", "celery")},
    }
}

__all__ = ["app"]
