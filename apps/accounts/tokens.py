"""API tokens: named, expiring, revocable keys of which only a SHA-256 hash is stored.

A token is `cg_` followed by 40 random characters; its first characters (the prefix)
tell tokens apart on the pages that list them. The secret is returned once, by
`api_token_create`, and never again: an organisation admin may revoke a member's
token but can never read it. Interface accounts may have longer-lived tokens,
restricted to the networks they call from.
"""

import hashlib
import ipaddress
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.models import ApiToken, User
from apps.accounts.permissions import require_can_manage_api_token
from apps.core.audit import audit_record
from apps.core.client_address import client_address
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditSource

TOKEN_PREFIX = "cg_"  # noqa: S105 (a label, not a secret)
PREFIX_SHOWN = 10
LAST_USED_PRECISION = timedelta(minutes=1)


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_days_allowed(user: User) -> int:
    return settings.API_TOKEN_INTERFACE_MAX_DAYS if user.is_interface else settings.API_TOKEN_DAYS


def source_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks in a comma- or line-separated list; ValueError names a bad entry."""
    networks = []
    for entry in text.replace(",", "\n").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ValueError(f"{entry!r} is not an address or network (CIDR).") from error
    return networks


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    user: User,
    name: str,
    days: int | None = None,
    allowed_source_cidrs: str = "",
) -> tuple[ApiToken, str]:
    """Makes a token for `user` (themself, or a member by their organisation's admin) and
    returns it with its secret: the only time the secret exists outside the caller."""
    require_can_manage_api_token(actor, user)
    longest = token_days_allowed(user)
    days = settings.API_TOKEN_DAYS if days is None else days
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Give the token a name that says what it is for."]
    if not 1 <= days <= longest:
        errors["days"] = [f"A token for this account lives between 1 and {longest} days."]
    if allowed_source_cidrs.strip():
        if not user.is_interface:
            errors["allowed_source_cidrs"] = [
                "Only interface accounts' tokens are limited to source addresses."
            ]
        else:
            try:
                source_networks(allowed_source_cidrs)
            except ValueError as error:
                errors["allowed_source_cidrs"] = [str(error)]
    if errors:
        raise ApplicationError("The token was not made.", field_errors=errors)
    key = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=key[:PREFIX_SHOWN],
        key_hash=token_hash(key),
        expires_at=timezone.now() + timedelta(days=days),
        allowed_source_cidrs=allowed_source_cidrs.strip(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=ApiToken,
        object_id=token.pk,
        detail={"user_id": user.pk, "expires_at": token.expires_at.isoformat()},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revokes a token at once (revoking twice changes nothing)."""
    require_can_manage_api_token(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=ApiToken,
            object_id=token.pk,
            detail={"event": "revoked", "user_id": token.user_id},
        )
    return token


def api_tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))


def api_token_refusal(token: ApiToken, *, now: datetime, address: str | None) -> str | None:
    """Why this token may not be used now from this address, or None."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    if not token.user.is_active:
        return "inactive"
    if token.allowed_source_cidrs:
        try:
            parsed = ipaddress.ip_address(address or "")
        except ValueError:
            return "address"
        if not any(parsed in network for network in source_networks(token.allowed_source_cidrs)):
            return "address"
    return None


class TokenRefused(Exception):
    """A presented API token that does not let its bearer in; the message says why."""


def api_token_authenticate(key: str, http_request: HttpRequest) -> tuple[User, ApiToken]:
    """The person behind an API token presented at any door (REST API, FHIR): wrong,
    expired, revoked or out-of-network tokens are refused, a refused use of a known
    token is audited, and a good one's last use is noted."""
    token = (
        ApiToken.objects.select_related("user", "user__organisation")
        .filter(key_hash=token_hash(key))
        .first()
    )
    if token is None:
        raise TokenRefused("Invalid token.")
    now = timezone.now()
    refusal = api_token_refusal(token, now=now, address=client_address(http_request))
    if refusal is not None:
        audit_record(
            actor=token.user,
            action=AuditAction.DENIED,
            object_type=ApiToken,
            object_id=token.pk,
            source=AuditSource.API,
            detail={"event": "token_refused", "reason": refusal},
        )
        raise TokenRefused(f"Token {_REFUSALS[refusal]}.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`. A missing header leaves the call anonymous (401 with
    `WWW-Authenticate: Token`); a wrong, expired, revoked or out-of-network token is
    refused with 401, and a refused use of a known token is audited."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            key = header[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token.") from error
        try:
            return api_token_authenticate(key, request._request)
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from refused

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


_REFUSALS: dict[str, str] = {
    "revoked": "revoked",
    "expired": "expired",
    "inactive": "of an inactive account",
    "address": "not allowed from this address",
}


def token_summary(token: ApiToken, now: datetime) -> dict[str, Any]:
    """What a list of tokens shows: never the secret."""
    state = "revoked" if token.revoked_at else ("expired" if token.expires_at <= now else "active")
    return {"token": token, "state": state}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Publishes the token scheme in the OpenAPI schema, as DRF's TokenAuthentication was."""

    target_class = "apps.accounts.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }
