"""The second factor: enrolment, verification, recovery codes, policy and resets."""

import importlib
import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import mfa
from apps.accounts.mfa import recovery_code_digest
from apps.core.models import AuditAction, AuditEvent
from tests import factories

pytestmark = pytest.mark.mfa_unverified


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def signed_in(username: str) -> Client:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": username, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    return client


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def test_staff_password_alone_opens_no_page_but_the_second_factor_enrolment(org_admin, patient):
    client = signed_in("orgadmin")
    page = client.get(reverse("patients:list"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:mfa_verify"))
    # Not enrolled yet: the verify page sends on to enrolment.
    verify = client.get(page["Location"])
    assert verify.status_code == 302
    assert verify["Location"].startswith(reverse("accounts:mfa_enrol"))
    assert "Garcia" not in client.get(reverse("patients:list"), follow=True).content.decode()


def test_enrolment_shows_a_qr_code_and_secret_then_ten_recovery_codes_once(org_admin, patient):
    client = signed_in("orgadmin")
    page = client.get(reverse("accounts:mfa_enrol"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert re.search(r'id="totp-secret">[A-Z2-7 ]{20,}<', html)
    device = TOTPDevice.objects.get(user=org_admin, confirmed=False)

    done = client.post(reverse("accounts:mfa_enrol"), {"token": code_for(device), "next": "/"})
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert set(
        StaticToken.objects.filter(device__user=org_admin).values_list("token", flat=True)
    ) == {recovery_code_digest(code) for code in codes}
    assert client.get(reverse("patients:list")).status_code == 200
    # Shown once: enrolling again is not offered, the page sends to verification.
    assert client.get(reverse("accounts:mfa_enrol")).status_code == 302
    assert AuditEvent.objects.filter(
        actor=org_admin, action=AuditAction.CREATE, detail__event="mfa_enrolled"
    ).exists()


def test_a_wrong_code_is_refused_and_audited(org_admin):
    enrolled(org_admin)
    client = signed_in("orgadmin")
    response = client.post(reverse("accounts:mfa_verify"), {"token": "000000"})
    assert response.status_code == 200
    assert "does not match" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    assert AuditEvent.objects.filter(
        actor=org_admin, action=AuditAction.DENIED, detail__event="mfa_verify_failed"
    ).exists()


def test_a_good_code_opens_the_admin(org_admin):
    device = enrolled(org_admin)
    client = signed_in("orgadmin")
    response = client.post(
        reverse("accounts:mfa_verify"), {"token": code_for(device), "next": reverse("admin:index")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_refuses_an_unverified_staff_session_and_sends_to_verify(org_admin):
    enrolled(org_admin)
    client = Client()
    client.force_login(org_admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa_verify"))
    admin_login = client.get(reverse("admin:login"))
    assert admin_login["Location"].startswith(reverse("accounts:mfa_verify"))


def test_a_recovery_code_signs_in_once(org_admin):
    enrolled(org_admin)
    client = signed_in("orgadmin")
    code = mfa._recovery_codes_replace(org_admin)[0]
    assert client.post(reverse("accounts:mfa_verify"), {"token": code}).status_code == 302
    again = signed_in("orgadmin")
    assert again.post(reverse("accounts:mfa_verify"), {"token": code}).status_code == 200
    assert again.get(reverse("admin:index")).status_code == 302


def test_a_member_needs_no_second_factor_unless_the_organisation_requires_it(
    nurse, patient, organisation
):
    client = signed_in("nurse")
    assert client.get(reverse("patients:list")).status_code == 200
    organisation.require_mfa = True
    organisation.save()
    refused = client.get(reverse("patients:list"))
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("accounts:mfa_verify"))


def test_an_unverified_staff_session_gets_403_from_the_api(org_admin, patient):
    client = Client()
    client.force_login(org_admin)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 403
    assert "Garcia" not in response.content.decode()


def test_an_organisation_admin_resets_a_members_second_factor_audited(org_admin, nurse):
    enrolled(nurse)
    client = Client()
    client.force_login(org_admin)
    from tests.conftest import verify_second_factor

    verify_second_factor(client, org_admin)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [nurse.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert AuditEvent.objects.filter(
        actor=org_admin, object_id=str(nurse.pk), detail__event="mfa_reset"
    ).exists()


def test_an_admin_of_another_organisation_may_not_reset_a_members_second_factor(nurse):
    from django.core.exceptions import PermissionDenied

    from apps.accounts.mfa import second_factor_reset

    enrolled(nurse)
    stranger = factories.make_user(factories.make_organisation(), is_staff=True)
    with pytest.raises(PermissionDenied):
        second_factor_reset(actor=stranger, user=nurse)
    assert TOTPDevice.objects.filter(user=nurse).exists()


def test_a_person_resets_their_own_authenticator_from_a_verified_session(org_admin):
    device = enrolled(org_admin)
    client = signed_in("orgadmin")
    client.post(reverse("accounts:mfa_verify"), {"token": code_for(device)})
    response = client.post(reverse("accounts:mfa_reset"))
    assert response["Location"] == reverse("accounts:mfa_enrol")
    assert not TOTPDevice.objects.filter(user=org_admin, confirmed=True).exists()
    assert AuditEvent.objects.filter(actor=org_admin, detail__event="mfa_reset").exists()


def test_no_admin_page_shows_second_factor_secrets(org_admin):
    from django.contrib import admin

    from tests.conftest import verify_second_factor

    client = Client()
    client.force_login(org_admin)
    verify_second_factor(client, org_admin)
    assert not admin.site.is_registered(TOTPDevice)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_recovery_codes_are_stored_only_as_a_keyed_hash_that_is_no_code_itself(org_admin):
    """A copy of the database gives no code away: the stored value does not sign in."""
    enrolled(org_admin)
    code = mfa._recovery_codes_replace(org_admin)[0]
    tokens = StaticToken.objects.filter(device__user=org_admin)
    stored = list(tokens.values_list("token", flat=True))

    assert code not in stored
    refused = signed_in("orgadmin").post(reverse("accounts:mfa_verify"), {"token": stored[0]})
    assert refused.status_code == 200
    assert "does not match" in refused.content.decode()
    StaticDevice.objects.filter(user=org_admin).update(throttling_failure_count=0)  # waited
    typed = code.upper()[:4] + "-" + code.upper()[4:]  # as people type it
    accepted = signed_in("orgadmin").post(reverse("accounts:mfa_verify"), {"token": typed})
    assert accepted.status_code == 302


def test_a_recovery_code_still_signs_in_after_the_secret_key_is_rotated(org_admin, settings):
    enrolled(org_admin)
    code = mfa._recovery_codes_replace(org_admin)[0]
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-this-site-0123456789abcdefghijkl"

    response = signed_in("orgadmin").post(reverse("accounts:mfa_verify"), {"token": code})

    assert response.status_code == 302


def test_recovery_codes_stored_in_plain_text_are_hashed_by_the_migration_and_still_work(
    org_admin,
):
    from django.apps import apps as current_apps
    from django.db import connection

    enrolled(org_admin)
    device = StaticDevice.objects.create(user=org_admin, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    migration = importlib.import_module(
        "apps.accounts.migrations.0006_hash_existing_recovery_codes"
    )

    migration.hash_recovery_codes(current_apps, SimpleNamespace(connection=connection))
    migration.hash_recovery_codes(current_apps, SimpleNamespace(connection=connection))

    assert list(device.token_set.values_list("token", flat=True)) == [
        recovery_code_digest("abcd2345")
    ]
    assert (
        signed_in("orgadmin")
        .post(reverse("accounts:mfa_verify"), {"token": "abcd2345"})
        .status_code
        == 302
    )
