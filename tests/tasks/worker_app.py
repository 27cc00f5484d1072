"""The project's Celery app sending to CG_TEST_QUEUE by default, for real workers in tests.

A sweep in a worker queues its emails on the default queue; with this app they
stay on the test's private queue, where that test's workers take them.
"""

import os

from caregraph.celery import app

app.conf.task_default_queue = os.environ["CG_TEST_QUEUE"]

__all__ = ["app"]
