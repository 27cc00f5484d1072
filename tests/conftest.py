"""Shared fixtures: one organisation, two care teams, a member in every role."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.models import Organisation, Role, User
from apps.patients.models import Patient
from apps.teams.models import CareTeam
from tests import factories, workers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On the embedded SQLite (`scripts/check.sh sqlite`), the tests that need PostgreSQL are
    skipped, saying why: those that commit (real workers, live servers, second
    connections: SQLite cannot empty the append-only audit table between tests) and those
    marked `postgresql_only`. Everything else runs on both."""
    if connection.vendor != "sqlite":
        return
    commits = pytest.mark.skip(reason="commits its data: run on PostgreSQL")
    postgresql = pytest.mark.skip(reason="a PostgreSQL behaviour")
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        if (
            (marker is not None and marker.kwargs.get("transaction"))
            or "transactional_db" in fixtures
            or "live_server" in fixtures
        ):
            item.add_marker(commits)
        elif item.get_closest_marker("postgresql_only"):
            item.add_marker(postgresql)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Lets the flush between transactional tests empty the audit trail: on PostgreSQL
    the trail refuses TRUNCATE unless its owner's session allows it on purpose
    (apps/core/migrations/0005_audit_refuses_truncate.py). Only the test database
    says so, for every session the suite opens (workers and the live server too)."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} SET caregraph.allow_audit_truncate = 'on'")
            cursor.execute("SET caregraph.allow_audit_truncate = 'on'")


@pytest.fixture(autouse=True)
def _own_cache(settings: pytest.FixtureRequest, request: pytest.FixtureRequest) -> None:
    """Each test counts rate limits in its own in-process cache: no test inherits another's
    requests, and runs sharing one Redis server never count each other's."""
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture(autouse=True)
def _fresh_permission_caches(request: pytest.FixtureRequest) -> Iterator[None]:
    """A transactional test starts on a database that an earlier one flushed: content types
    and permissions were re-created with new ids, so process-wide caches holding the old
    ids (Django's, guardian's, the team permission ids) are emptied first. Its own flush,
    at its end, re-creates them once more: the next test, transactional or not, must not
    read the ids cached during it either."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if transactional:
        workers.forget_permission_caches()
    yield
    if transactional:
        workers.forget_permission_caches()


def verify_second_factor(client: Client, user: User) -> None:
    """Marks `client`'s signed-in session as having passed a second factor (as the verify
    page does after a good code), enrolling `user` an authenticator app if needed."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _second_factor_for_test_logins(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test clients that sign in someone who must use a second factor (staff, superusers,
    members of an organisation requiring it) get a verified session, as the person would
    after the verify page; tests of the second factor itself opt out with
    `@pytest.mark.mfa_unverified` and sign in through the real steps."""
    if request.node.get_closest_marker("mfa_unverified"):
        return
    original = Client._login

    def login_verified(self: Client, user: Any, backend: str | None = None) -> None:
        from apps.accounts.mfa import second_factor_required

        original(self, user, backend)
        if second_factor_required(user):
            verify_second_factor(self, user)

    monkeypatch.setattr(Client, "_login", login_verified)


@pytest.fixture
def organisation(db: None) -> Organisation:
    return factories.make_organisation()


@pytest.fixture
def team(organisation: Organisation) -> CareTeam:
    return factories.make_team(organisation, "Northside")


@pytest.fixture
def other_team(organisation: Organisation) -> CareTeam:
    return factories.make_team(organisation, "Harbor")


@pytest.fixture
def nurse(team: CareTeam) -> User:
    """The team's lead RN care coordinator."""
    return factories.make_member(team, Role.RN_CARE_COORDINATOR, is_lead=True, username="nurse")


@pytest.fixture
def pcp(team: CareTeam) -> User:
    return factories.make_member(team, Role.PCP, username="pcp")


@pytest.fixture
def social_worker(team: CareTeam) -> User:
    return factories.make_member(team, Role.SOCIAL_WORKER, username="socialworker")


@pytest.fixture
def chw(team: CareTeam) -> User:
    return factories.make_member(team, Role.CHW, username="chw")


@pytest.fixture
def pharmacist(team: CareTeam) -> User:
    return factories.make_member(team, Role.PHARMACIST, username="pharmacist")


@pytest.fixture
def specialist(team: CareTeam) -> User:
    return factories.make_member(team, Role.SPECIALIST, username="specialist")


@pytest.fixture
def outsider(other_team: CareTeam) -> User:
    """A nurse on another team of the same organisation."""
    return factories.make_member(other_team, Role.RN_CARE_COORDINATOR, username="outsider")


@pytest.fixture
def org_admin(organisation: Organisation) -> User:
    return factories.make_user(
        organisation, username="orgadmin", is_staff=True, is_superuser=True, profession=Role.ADMIN
    )


@pytest.fixture
def patient(team: CareTeam, org_admin: User) -> Patient:
    return factories.make_patient(
        team, actor=org_admin, given_name="Rosa", family_name="Garcia", mrn="MRN0001"
    )


@pytest.fixture
def other_patient(other_team: CareTeam, org_admin: User) -> Patient:
    return factories.make_patient(
        other_team, actor=org_admin, given_name="Walter", family_name="Kowalski", mrn="MRN0002"
    )


@pytest.fixture
def client_for():
    """A logged-in browser client for a user."""

    def login(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    """An API client authenticated as a user."""

    def authenticate(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return authenticate


@pytest.fixture
def verified_client_for():
    """A browser client for a user whose session passed the second factor (what
    break-the-glass needs, whatever the user's role)."""

    def login(user: User) -> Client:
        client = Client()
        client.force_login(user)
        verify_second_factor(client, user)
        return client

    return login


@pytest.fixture
def verified_api_for():
    """An API client signed in by session with the second factor verified (a token or
    forced authentication carries no second factor)."""

    def login(user: User) -> APIClient:
        client = APIClient()
        client.force_login(user)
        verify_second_factor(client, user)
        return client

    return login


@pytest.fixture
def processes(transactional_db: None) -> Iterator[workers.Processes]:
    """Real Celery worker (and beat) processes on the test database; all stopped after."""
    started = workers.Processes()
    yield started
    started.stop_all()


pytest_plugins = ["tests.browser"]
