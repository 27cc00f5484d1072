"""Writes of the FHIR app that are not the referral loop: client accounts, tokens."""

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

import jwt
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.actors import JobActor
from apps.core.audit import audit_record
from apps.core.changes import record_change, record_create
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditSource
from apps.fhir.callers import client_job_name
from apps.fhir.models import FhirAccessToken, FhirClient
from apps.fhir.permissions import require_can_manage_fhir_clients

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
    account = fhir_client_account(client)
    now = timezone.now()
    FhirAccessToken.objects.filter(expires_at__lt=now - TOKEN_LIFETIME).delete()
    token = secrets.token_urlsafe(32)
    row = FhirAccessToken.objects.create(
        client=client,
        token_hash=token_hash(token),
        scopes=" ".join(scopes),
        expires_at=now + TOKEN_LIFETIME,
    )
    audit_record(
        actor=JobActor(
            job=client_job_name(client), for_user=account, organisation_id=client.organisation_id
        ),
        action=AuditAction.CREATE,
        object_type=row,
        object_id=row.pk,
        source=AuditSource.FHIR,
        detail={"client_id": client.client_id, "scopes": scopes},
    )
    return token, row


CLIENT_FIELDS = ("name", "client_id", "jwks", "scopes", "resource_organisation", "is_active")
SCOPE_SHAPE = re.compile(r"system/(\*|[A-Z][A-Za-z]+)\.(read|write|\*)")


def client_errors(client: FhirClient) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    keys = client.jwks.get("keys") if isinstance(client.jwks, dict) else None
    keys = keys if isinstance(keys, list) else [client.jwks]
    usable = 0
    for key in keys:
        try:
            jwt.PyJWK(key)
        except (jwt.PyJWKError, jwt.InvalidKeyError, TypeError, ValueError, KeyError):
            continue
        if isinstance(key, dict) and ("d" in key or "p" in key):
            errors["jwks"] = ["Register the public key only; this one holds private parts."]
        usable += 1
    if not usable:
        errors.setdefault("jwks", ["Give an RSA or EC public key as a JWK or a JWKS."])
    bad = [scope for scope in client.scopes.split() if not SCOPE_SHAPE.fullmatch(scope)]
    if bad or not client.scopes.split():
        errors["scopes"] = [
            "Scopes look like system/*.read or system/Task.write"
            + (f"; not {', '.join(bad)}." if bad else ".")
        ]
    partner = client.resource_organisation
    if partner is not None and partner.organisation_id != client.organisation_id:
        errors["resource_organisation"] = ["Choose a partner from your organisation's directory."]
    return errors


@transaction.atomic
def fhir_client_save(*, actor: User, client: FhirClient, values: dict[str, Any]) -> FhirClient:
    """Registers a client, or changes one, for the actor's organisation; the public key
    must parse, scopes must be SMART system scopes, the partner must be the organisation's."""
    require_can_manage_fhir_clients(actor, client.organisation_id)
    for name, value in values.items():
        setattr(client, name, value)
    errors = client_errors(client)
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], field_errors=errors)
    if client.pk is None:
        return record_create(actor=actor, instance=client)
    current = FhirClient.objects.select_for_update().get(pk=client.pk)
    record_change(actor=actor, instance=current, values=values)
    return current
