"""`make run`, the demo a clinician tries: where it listens, DEBUG, static files, email links."""

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MAKE = shutil.which("make") or "/usr/bin/make"
BASH = shutil.which("bash") or "/bin/bash"

# Prints what the demo settings decide, and fetches a static file through the middleware.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
static = Client().get("/static/css/app.css")
missing = Client(raise_request_exception=False).get("/no-such-page/")
print(json.dumps({
    "debug": settings.DEBUG,
    "base_url": settings.CAREGRAPH_BASE_URL,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "secure_cookies": settings.SESSION_COOKIE_SECURE,
    "static_status": static.status_code,
    "missing_status": missing.status_code,
    "technical_page": "URLconf" in missing.content.decode(),
}))
"""


def _make_run_line(command: str, **variables: str) -> str:
    """The line `make run` would run for `command`, from make's own dry run."""
    result = subprocess.run(  # noqa: S603 - make's dry run of our own Makefile
        [MAKE, "-n", "run", *(f"{name}={value}" for name, value in variables.items())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return next(line for line in result.stdout.splitlines() if command in line)


def _demo_settings(tmp_path: Path, **extra: str) -> dict[str, object]:
    line = _make_run_line("honcho start")
    assignments = dict(word.split("=", 1) for word in shlex.split(line.split("honcho", 1)[0]))
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "CAREGRAPH_", "WEB_"))
    }
    env = {
        **clean,
        **assignments,
        "DJANGO_SETTINGS_MODULE": "caregraph.settings",
        "CAREGRAPH_VAR_DIR": str(tmp_path),
        **extra,
    }
    result = subprocess.run(  # noqa: S603 - our own settings probe
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_make_run_uses_settings_with_debug_off_that_still_serve_static_files(tmp_path):
    """No technical error page for a clinician; plain HTTP works; the CSS still loads."""
    demo = _demo_settings(tmp_path, WEB_PORT="8000")
    assert demo["debug"] is False
    assert demo["ssl_redirect"] is False
    assert demo["secure_cookies"] is False
    assert demo["static_status"] == 200
    assert demo["missing_status"] == 404
    assert demo["technical_page"] is False


def test_demo_email_links_point_at_the_port_make_run_listens_on(tmp_path):
    demo = _demo_settings(tmp_path, WEB_PORT="8123")
    assert demo["base_url"] == "http://127.0.0.1:8123"
    on_the_network = _demo_settings(tmp_path, WEB_HOST="0.0.0.0", WEB_PORT="9001")  # noqa: S104
    assert on_the_network["base_url"] == "http://localhost:9001"


def test_a_configured_site_address_wins_over_the_demo_default(tmp_path):
    demo = _demo_settings(tmp_path, WEB_PORT="8123", CAREGRAPH_BASE_URL="https://care.example.org/")
    assert demo["base_url"] == "https://care.example.org"


def _procfile_web_command(**variables: str) -> str:
    web = next(
        line.split(":", 1)[1]
        for line in (ROOT / "Procfile.dev").read_text().splitlines()
        if line.startswith("web:")
    )
    env = {"PATH": os.environ["PATH"], **variables}
    result = subprocess.run(  # noqa: S603 - expands our own Procfile line
        [BASH, "-c", f"echo {web}"], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_procfile_binds_the_web_app_to_web_host_and_only_this_machine_by_default():
    assert _procfile_web_command(WEB_PORT="8123").endswith("runserver 127.0.0.1:8123")
    assert _procfile_web_command(WEB_HOST="10.1.2.3", WEB_PORT="8123").endswith(
        "runserver 10.1.2.3:8123"
    )


def test_make_run_passes_its_web_host_to_the_web_app():
    result = subprocess.run(  # noqa: S603 - make's dry run of our own Makefile
        [MAKE, "-n", "run", "WEB_HOST=10.1.2.3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "export WEB_HOST" in (ROOT / "Makefile").read_text()
    assert "caregraph: http://10.1.2.3:" in result.stdout


def test_readme_documents_where_make_run_listens():
    readme = (ROOT / "README.md").read_text()
    assert "WEB_PORT" in readme
    assert "WEB_HOST" in readme
