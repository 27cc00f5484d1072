"""Organisation admins register partner systems (FHIR clients) with a public key and scopes."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from jwt.algorithms import RSAAlgorithm

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.fhir.models import FhirClient
from apps.fhir.services import fhir_client_save
from tests.factories import make_organisation, make_staff
from tests.referrals import factories as referral_factories

pytestmark = pytest.mark.django_db


def public_jwk() -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return json.loads(RSAAlgorithm.to_jwk(key.public_key()))


def private_jwk() -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return json.loads(RSAAlgorithm.to_jwk(key))


@pytest.fixture
def client_admin(organisation):
    return make_staff(
        organisation,
        Permission.objects.filter(
            codename__in=["add_fhirclient", "change_fhirclient", "view_fhirclient"]
        ),
        username="clientadmin",
    )


def values(**changes):
    return {
        "name": "Food bank system",
        "client_id": "food-bank",
        "jwks": {"keys": [public_jwk()]},
        "scopes": "system/Task.read system/Task.write",
        "resource_organisation": None,
        "is_active": True,
        **changes,
    }


def test_an_organisation_admin_registers_a_client_and_it_is_audited(client_admin, organisation):
    client = fhir_client_save(
        actor=client_admin, client=FhirClient(organisation=organisation), values=values()
    )

    assert client.pk is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="fhir.fhirclient", actor=client_admin
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"jwks": {"keys": [{"kty": "RSA"}]}}, "jwks"),
        ({"jwks": {"keys": [private_jwk()]}}, "jwks"),
        ({"scopes": "patient/*.read"}, "scopes"),
        ({"scopes": ""}, "scopes"),
    ],
)
def test_a_bad_key_or_scope_is_refused_and_nothing_saved(
    client_admin, organisation, changes, field
):
    with pytest.raises(ApplicationError) as refused:
        fhir_client_save(
            actor=client_admin,
            client=FhirClient(organisation=organisation),
            values=values(**changes),
        )

    assert field in refused.value.field_errors
    assert not FhirClient.objects.exists()


def test_a_partner_from_another_organisation_is_refused(client_admin, organisation, org_admin):
    elsewhere = make_organisation("Elsewhere")
    foreign = referral_factories.make_partner(elsewhere, actor=org_admin, name="Foreign agency")

    with pytest.raises(ApplicationError) as refused:
        fhir_client_save(
            actor=client_admin,
            client=FhirClient(organisation=organisation),
            values=values(resource_organisation=foreign),
        )

    assert "resource_organisation" in refused.value.field_errors


def test_another_organisations_admin_may_not_register_one(organisation):
    elsewhere_admin = make_staff(
        make_organisation("Elsewhere"),
        Permission.objects.filter(codename__in=["add_fhirclient", "change_fhirclient"]),
    )

    with pytest.raises(PermissionDenied):
        fhir_client_save(
            actor=elsewhere_admin, client=FhirClient(organisation=organisation), values=values()
        )
    assert not FhirClient.objects.exists()


def test_the_admin_page_lists_only_the_own_organisations_clients(
    client_for, client_admin, organisation
):
    fhir_client_save(
        actor=client_admin, client=FhirClient(organisation=organisation), values=values()
    )
    other_admin = make_staff(
        make_organisation("Elsewhere"),
        Permission.objects.filter(codename__in=["view_fhirclient", "change_fhirclient"]),
    )

    own = client_for(client_admin).get("/admin/fhir/fhirclient/")
    other = client_for(other_admin).get("/admin/fhir/fhirclient/")

    assert b"food-bank" in own.content
    assert b"food-bank" not in other.content


def test_the_add_form_registers_a_client_and_shows_a_bad_key_on_the_form(
    client_for, client_admin, organisation
):
    http = client_for(client_admin)
    form = {
        "organisation": organisation.pk,
        "name": "Housing system",
        "client_id": "housing",
        "scopes": "system/*.read",
        "is_active": "on",
    }

    refused = http.post("/admin/fhir/fhirclient/add/", {**form, "jwks": json.dumps({"kty": "RSA"})})
    created = http.post(
        "/admin/fhir/fhirclient/add/", {**form, "jwks": json.dumps({"keys": [public_jwk()]})}
    )

    assert refused.status_code == 200
    assert b"public key" in refused.content
    assert created.status_code == 302
    assert FhirClient.objects.get().client_id == "housing"
