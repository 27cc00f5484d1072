"""Writes of the FHIR app that are not the referral loop: client accounts, tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.fhir.models import FhirAccessToken, FhirClient

TOKEN_LIFETIME = timedelta(minutes=5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def fhir_client_account(client: FhirClient) -> User:
    """The client's interface account, made the first time it is needed: the audit trail
    names it for the client's steps, and it documents a partner's reported result."""
    if client.account_id is not None:
        return client.account  # type: ignore[return-value]
    client = FhirClient.objects.select_for_update().get(pk=client.pk)
    if client.account_id is None:
        account = User(
            username=f"fhir-client-{client.pk}",
            first_name=client.name[:150],
            organisation_id=client.organisation_id,
            is_interface=True,
        )
        account.set_unusable_password()
        account.save()
        client.account = account
        client.save(update_fields=["account", "updated_at"])
    return client.account  # type: ignore[return-value]


def fhir_token_issue(*, client: FhirClient, scopes: list[str]) -> tuple[str, FhirAccessToken]:
    """A fresh bearer token for `client` with `scopes`; only its hash is kept."""
    fhir_client_account(client)
    token = secrets.token_urlsafe(32)
    row = FhirAccessToken.objects.create(
        client=client,
        token_hash=token_hash(token),
        scopes=" ".join(scopes),
        expires_at=timezone.now() + TOKEN_LIFETIME,
    )
    return token, row
