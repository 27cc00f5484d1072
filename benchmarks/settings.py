"""Settings for the web server that bench_patients starts: the app's, plus a bare baseline view.

Production-like when run with DJANGO_DEBUG=0 (as the benchmark does), except
that static files are served unhashed, so no collectstatic is needed.
"""

import warnings

from caregraph.settings import *  # noqa: F403

# WhiteNoise warns once per worker when STATIC_ROOT was never collected; nothing is missing.
warnings.filterwarnings("ignore", "No directory at", UserWarning)

ROOT_URLCONF = "benchmarks.urls"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
