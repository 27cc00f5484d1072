"""In real Chromium: an organisation's admin sets up the second factor at first sign-in,
keeps the recovery codes shown once, and later signs in with one of them (typed as
people type them) when the phone is not at hand."""

import base64
import time

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken

from tests import factories
from tests.browser import login


def _code_from_key(shown_key: str) -> str:
    """What the authenticator app shows for the key typed from the page."""
    key = base64.b32decode(shown_key.replace(" ", ""))
    return f"{totp(key, step=30, t0=0, digits=6, drift=0):06d}"


@pytest.mark.browser
@pytest.mark.mfa_unverified
def test_an_admin_enrols_then_signs_in_with_a_recovery_code_typed_loosely(
    browser_page, live_server, org_admin
):
    page = browser_page
    login(page, live_server, "orgadmin", factories.PASSWORD)
    page.wait_for_url(lambda url: "/accounts/mfa/enrol/" in url)
    assert page.locator(".qr svg").count() == 1
    page.fill("input[name=token]", _code_from_key(page.inner_text("#totp-secret")))
    page.get_by_role("button", name="Confirm").click()
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    # Kept only as hashes: not one of the codes on the screen is in the database.
    assert not StaticToken.objects.filter(token__in=codes).exists()
    page.get_by_role("link", name="Continue").click()
    page.get_by_role("button", name="Sign out").click()

    time.sleep(1)  # a fresh sign-in, as on another day
    login(page, live_server, "orgadmin", factories.PASSWORD)
    page.goto(f"{live_server.url}/accounts/mfa/verify/?next=/admin/")
    typed = codes[3].upper()[:4] + "-" + codes[3].upper()[4:]
    page.fill("input[name=token]", typed)
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin"))
    assert page.get_by_role("heading", name="Site administration").count() == 1
    assert StaticToken.objects.filter(device__user=org_admin).count() == 9
