"""API tokens: hashed, shown once, expiring, revocable, limited to an interface's networks."""

import hashlib
import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.accounts.tokens import api_token_create
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from tests import factories

LIST = "/api/v1/patients/"


def call(key: str, address: str = "127.0.0.1"):
    return Client().get(LIST, HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR=address)


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client_for, nurse, patient):
    client = client_for(nurse)
    page = client.post(reverse("accounts:security"), {"name": "my script", "days": 30})
    html = page.content.decode()
    key = html.split('id="new-token">')[1].split("<")[0]
    token = ApiToken.objects.get(user=nurse)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values()))
    assert key not in client.get(reverse("accounts:security")).content.decode()
    assert call(key).json()["results"][0]["id"] == patient.pk
    assert AuditEvent.objects.filter(
        actor=nurse, action=AuditAction.CREATE, object_type="accounts.apitoken"
    ).exists()


def test_an_expired_token_is_refused_with_401_and_audited(nurse, patient):
    key = factories.make_api_token(nurse)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = call(key)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "Garcia" not in response.content.decode()
    assert AuditEvent.objects.filter(
        actor=nurse, action=AuditAction.DENIED, detail__reason="expired"
    ).exists()


def test_the_owner_revokes_a_token_and_it_stops_working_at_once(client_for, nurse, patient):
    key = factories.make_api_token(nurse)
    assert call(key).status_code == 200
    token = ApiToken.objects.get(user=nurse)
    client_for(nurse).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert call(key).status_code == 401
    assert AuditEvent.objects.filter(actor=nurse, detail__event="revoked").exists()


def test_a_person_may_not_revoke_someone_elses_token(client_for, nurse, pcp):
    factories.make_api_token(nurse)
    token = ApiToken.objects.get(user=nurse)
    response = client_for(pcp).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_interface_token_works_only_from_its_allowed_networks(organisation, patient, nurse):
    interface = factories.make_user(organisation, username="feed", is_interface=True)
    key = factories.make_api_token(interface, allowed_source_cidrs="10.20.0.0/16")
    assert call(key, address="10.20.3.4").status_code != 401
    refused = call(key, address="192.0.2.7")
    assert refused.status_code == 401
    assert AuditEvent.objects.filter(actor=interface, detail__reason="address").exists()


def test_a_persons_token_may_not_outlive_the_limit_but_an_interface_token_may(
    settings, organisation, org_admin, nurse
):
    settings.API_TOKEN_DAYS = 90
    settings.API_TOKEN_INTERFACE_MAX_DAYS = 730
    with pytest.raises(ApplicationError) as refused:
        api_token_create(actor=nurse, user=nurse, name="long", days=365)
    assert "days" in refused.value.field_errors
    interface = factories.make_user(organisation, is_interface=True)
    token, _key = api_token_create(actor=org_admin, user=interface, name="ADT feed", days=365)
    assert token.expires_at > timezone.now() + timedelta(days=364)


def test_only_interface_tokens_are_limited_to_networks(nurse):
    with pytest.raises(ApplicationError) as refused:
        api_token_create(actor=nurse, user=nurse, name="x", allowed_source_cidrs="10.0.0.0/8")
    assert "allowed_source_cidrs" in refused.value.field_errors
    assert not ApiToken.objects.exists()


def test_an_organisation_admin_revokes_a_members_token_but_never_reads_it(
    client_for, org_admin, nurse
):
    key = factories.make_api_token(nurse)
    token = ApiToken.objects.get(user=nurse)
    client = client_for(org_admin)
    page = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert page.status_code == 200
    assert key not in page.content.decode()
    assert token.key_hash not in page.content.decode()
    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(actor=org_admin, detail__event="revoked").exists()


def test_an_organisation_admin_makes_an_interface_token_shown_once(
    client_for, org_admin, organisation
):
    interface = factories.make_user(organisation, username="adt", is_interface=True)
    client = client_for(org_admin)
    response = client.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": interface.pk, "name": "ADT feed", "days": 365, "allowed_source_cidrs": ""},
        follow=True,
    )
    html = response.content.decode()
    assert "shown only once" in html
    key = html.split("shown only once: ")[1].split("<")[0].strip()
    token = ApiToken.objects.get(user=interface)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()


def test_an_admin_of_another_organisation_may_not_make_a_members_token(nurse):
    stranger = factories.make_user(factories.make_organisation(), is_staff=True)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_create(actor=stranger, user=nurse, name="x")


def test_existing_drf_tokens_become_hashed_tokens_with_the_same_secret(nurse, patient):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, "
            "created timestamp with time zone)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", ["a" * 40, nurse.pk, timezone.now()]
        )
    migration = importlib.import_module("apps.accounts.migrations.0005_hash_existing_drf_tokens")
    migration.hash_drf_tokens(apps, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    assert call("a" * 40).status_code == 200


def test_the_shell_command_prints_an_interface_token_once_made_by_a_named_admin(
    organisation, org_admin, patient
):
    from io import StringIO

    from django.core.management import call_command

    factories.make_user(organisation, username="hl7", is_interface=True)
    out, err = StringIO(), StringIO()
    call_command("api_token_create", "hl7", by="orgadmin", days=365, stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert (
        ApiToken.objects.get(user__username="hl7").key_hash
        == hashlib.sha256(key.encode()).hexdigest()
    )
    assert AuditEvent.objects.filter(actor=org_admin, object_type="accounts.apitoken").exists()
