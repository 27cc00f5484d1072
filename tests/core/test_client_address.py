"""The client address comes from our own proxies, never from what the client claims."""

from django.test import RequestFactory
from django.urls import reverse

from apps.core.client_address import client_address
from apps.core.models import AuditEvent
from tests import factories


def chart_read_address(client, patient, **headers: str) -> str | None:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(reverse("patients:chart", args=[patient.pk]), **headers)
    assert response.status_code == 200
    return AuditEvent.objects.filter(pk__gt=last, patient_id=patient.pk).get().ip_address


def test_a_forged_left_most_forwarded_for_does_not_reach_the_audit_trail(
    client_for, settings, nurse, patient
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = 1
    recorded = chart_read_address(
        client_for(nurse),
        patient,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5",
    )
    assert recorded == "203.0.113.5"


def test_without_trusted_proxies_forwarded_for_is_ignored(client_for, settings, nurse, patient):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = 0
    recorded = chart_read_address(
        client_for(nurse), patient, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert recorded == "10.0.0.1"


def test_the_address_is_counted_from_the_right_and_never_a_claim(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 10.0.0.1"
    )
    assert client_address(request) == "198.51.100.7"
    too_few = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_address(too_few) == "10.0.0.2"
    not_an_address = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>, 10.0.0.1"
    )
    assert client_address(not_an_address) == "10.0.0.2"


def test_failures_from_one_address_do_not_lock_the_user_out_from_another(client, settings, nurse):
    settings.TRUSTED_PROXY_COUNT = 1
    url = reverse("accounts:login")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            url,
            {"username": "nurse", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR="203.0.113.5",
            **proxy,
        )
    # The attacker stays locked out, whatever they put in front of their address.
    locked = client.post(
        url,
        {"username": "nurse", "password": factories.PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5",
        **proxy,
    )
    assert locked.status_code == 429
    # The nurse, from her own address through the same proxy, signs in.
    signed_in = client.post(
        url,
        {"username": "nurse", "password": factories.PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        **proxy,
    )
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(nurse.pk)
