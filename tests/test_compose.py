"""docker-compose.yml, read as Docker Compose reads it (no Docker here to run it)."""

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_production_shape_has_every_service(compose):
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mllp"} <= set(services)
    assert "profiles" not in services["web"]  # `docker compose up` starts the core
    assert services["mllp"]["profiles"] == ["hl7"]
    assert "2575:2575" in services["mllp"]["ports"]


@pytest.mark.parametrize(
    ("mllp_user", "expected_tail"),
    [("", ["--port", "2575"]), ("hl7-general", ["--port", "2575", "--user", "hl7-general"])],
)
def test_the_mllp_service_runs_the_listener_with_prepared_statements(
    compose, tmp_path, mllp_user, expected_tail
):
    """The service's shell line, after Compose turns `$$` into `$`, run with a stand-in python."""
    shell, flag, line = compose["services"]["mllp"]["command"]
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "$DATABASE_PREPARE_THRESHOLD" "$@"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "MLLP_USER": mllp_user}
    ran = subprocess.run(  # noqa: S603 - the compose file's own command
        [shell, flag, line.replace("$$", "$")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    words = ran.stdout.split()
    assert words[:4] == ["2", "manage.py", "mllp_listen", "--host"]
    assert words[-len(expected_tail) :] == expected_tail


def test_web_worker_and_beat_have_health_checks_that_use_check_jobs(compose):
    services = compose["services"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["worker"]["healthcheck"]["test"][-2:] == ["check_jobs", "--worker"]
    assert services["beat"]["healthcheck"]["test"][-2:] == ["check_jobs", "--beat"]


def test_every_redis_keeps_its_queue_across_a_restart(compose):
    assert compose["services"]["redis"]["command"][-2:] == ["--appendonly", "yes"]
    services_script = (ROOT / "scripts" / "services.sh").read_text()
    assert "--appendonly yes" in services_script
    assert "--appendonly no" not in services_script


def test_migrations_run_once_as_the_owner_and_everything_else_as_the_app_role(compose):
    services = compose["services"]
    migrate = services["migrate"]
    steps = migrate["command"][-1]
    assert steps.index("migrate --noinput") < steps.index("audit_partitions")
    assert steps.index("audit_partitions") < steps.index("db_grant_app_role caregraph_app")
    assert "--create-password-env APP_DB_PASSWORD" in steps  # an older volume gets it too
    assert migrate["restart"] == "no"
    assert "postgres://caregraph:" in migrate["environment"]["DATABASE_URL"]  # the owner
    for name in ("web", "worker", "beat", "mllp"):
        service = services[name]
        assert "caregraph_app:" in service["environment"]["DATABASE_URL"], name
        assert "APP_DB_PASSWORD" not in service["environment"], name
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
        assert "migrate" not in " ".join(map(str, service.get("command", []))), name
