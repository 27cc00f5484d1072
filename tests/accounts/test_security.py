import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from apps.accounts.middleware import SESSION_KEY
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def test_wrong_passwords_lock_the_login_after_the_limit(client, settings, nurse):
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("accounts:login")
    for _ in range(3):
        client.post(url, {"username": "nurse", "password": "wrong-password"})
    locked = client.post(url, {"username": "nurse", "password": factories.PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_good_password_signs_in(client, nurse):
    response = client.post(
        reverse("accounts:login"), {"username": "nurse", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_an_idle_session_is_signed_out(client_for, settings, nurse, patient):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 15
    client = client_for(nurse)
    assert client.get(reverse("patients:list")).status_code == 200
    session = client.session
    session[SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    response = client.get(reverse("patients:chart", args=[patient.pk]))
    assert response.status_code == 302
    assert "timeout=1" in response["Location"]
    assert client.get(reverse("patients:list")).status_code == 302


def test_passwords_are_hashed_and_weak_ones_refused(organisation):
    from apps.accounts.services import user_create
    from apps.core.exceptions import ApplicationError

    user = factories.make_user(organisation)
    assert user.password.startswith(("md5$", "pbkdf2_sha256$"))
    with pytest.raises(ApplicationError) as refused:
        user_create(username="weak", password="password", organisation=organisation)
    assert "password" in refused.value.field_errors


def test_check_deploy_is_clean_with_production_settings():
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-123456",
        "DJANGO_ALLOWED_HOSTS": "caregraph.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
