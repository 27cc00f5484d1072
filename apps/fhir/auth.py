"""SMART Backend Services: a client proves itself with a signed JWT and gets a bearer token.

Who is calling: a bearer token (a system client), an API token or a session (a
person, as on the rest of the API). The token endpoint answers OAuth 2 errors
(`{"error": ...}`); the FHIR endpoints answer OperationOutcomes.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone

from apps.accounts.tokens import TokenRefused, api_token_authenticate
from apps.core.throttles import CallerRateThrottle, person_scope, retry_after
from apps.fhir.api.outcome import FhirError
from apps.fhir.callers import FhirCaller
from apps.fhir.models import FhirAccessToken, FhirClient, FhirUsedAssertion
from apps.fhir.services import TOKEN_LIFETIME, fhir_token_issue, token_hash

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS384", "ES384"]
MAX_ASSERTION_SECONDS = 300
CLOCK_SKEW_SECONDS = 30
SUPPORTED_SCOPES = ("system/*.read", "system/*.write", "system/Task.write")
BEARER_CHALLENGE = 'Bearer realm="caregraph FHIR"'


@dataclass
class OAuthError(Exception):
    status: int
    error: str
    description: str


def _keys(jwks: Any) -> list[dict[str, Any]]:
    if isinstance(jwks, str):
        jwks = json.loads(jwks)
    if isinstance(jwks, dict) and "keys" in jwks:
        return [key for key in jwks["keys"] if isinstance(key, dict)]
    return [jwks] if isinstance(jwks, dict) else []


def _verified_claims(
    client: FhirClient, assertion: str, algorithm: str, kid: Any, audience: str
) -> dict[str, Any]:
    for key in _keys(client.jwks):
        if kid is not None and key.get("kid") not in (None, kid):
            continue
        try:
            public_key = jwt.PyJWK(key, algorithm=algorithm).key
            return jwt.decode(
                assertion,
                key=public_key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=client.client_id,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "sub", "aud", "jti"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise OAuthError(400, "invalid_grant", "The client assertion has expired.") from error
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as error:
            raise OAuthError(
                400, "invalid_grant", f"The client assertion is refused: {error}."
            ) from error
        except jwt.MissingRequiredClaimError as error:
            raise OAuthError(
                400, "invalid_grant", f"The client assertion lacks {error.claim}."
            ) from error
        except (jwt.PyJWKError, jwt.InvalidTokenError, ValueError, TypeError):
            continue
    raise OAuthError(
        401, "invalid_client", "The client assertion's signature does not match a registered key."
    )


def _covered(requested: str, allowed: frozenset[str]) -> bool:
    if requested in allowed:
        return True
    context, _, rest = requested.partition("/")
    kind, _, access = rest.partition(".")
    return context == "system" and any(
        f"system/{k}.{a}" in allowed for k in (kind, "*") for a in (access, "*")
    )


def token_exchange(data: Any, *, token_url: str) -> dict[str, Any]:
    """The token endpoint's rule: a registered, active client's fresh, signed, single-use
    assertion for this URL gets a 5-minute token with the asked scopes it may have."""
    if data.get("grant_type") != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "Use grant_type=client_credentials.")
    if data.get("client_assertion_type") != ASSERTION_TYPE:
        raise OAuthError(400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = data.get("client_assertion") or ""
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise OAuthError(400, "invalid_request", "client_assertion is not a JWT.") from error
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise OAuthError(400, "invalid_request", "Sign the assertion with RS384 or ES384.")
    client = (
        FhirClient.objects.select_related("account")
        .filter(client_id=str(unverified.get("iss", "")), is_active=True)
        .first()
    )
    if client is None:
        raise OAuthError(401, "invalid_client", "Unknown or inactive client.")
    claims = _verified_claims(client, assertion, algorithm, header.get("kid"), token_url)
    if claims.get("sub") != client.client_id:
        raise OAuthError(400, "invalid_grant", "The assertion's sub must be the client_id.")
    now = timezone.now()
    if int(claims["exp"]) - now.timestamp() > MAX_ASSERTION_SECONDS + CLOCK_SKEW_SECONDS:
        raise OAuthError(400, "invalid_grant", "The assertion may live at most 5 minutes.")
    requested = str(data.get("scope") or "").split()
    granted = [scope for scope in requested if _covered(scope, client.allowed_scopes)]
    if not granted:
        raise OAuthError(
            400, "invalid_scope", "None of the requested scopes is allowed for this client."
        )
    FhirUsedAssertion.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            FhirUsedAssertion.objects.create(
                client=client,
                jti=str(claims["jti"])[:200],
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
                + timedelta(seconds=CLOCK_SKEW_SECONDS),
            )
    except IntegrityError as error:
        raise OAuthError(400, "invalid_grant", "This assertion (jti) was used already.") from error
    token, _row = fhir_token_issue(client=client, scopes=granted)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "scope": " ".join(granted),
    }


def _unauthorised(message: str, error: str = "") -> FhirError:
    challenge = BEARER_CHALLENGE + (f', error="{error}"' if error else "")
    return FhirError(401, message, code="login", headers={"WWW-Authenticate": challenge})


def _require_csrf(request: HttpRequest) -> None:
    """A session (cookie) may change something only with its CSRF token, as on every
    page; token and bearer callers are not cookie-borne and need none."""
    refusal = CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(
        request, lambda _request: HttpResponse(), (), {}
    )
    if refusal is not None:
        raise FhirError(403, "CSRF check failed for a signed-in session.", code="forbidden")


def fhir_caller(request: HttpRequest) -> FhirCaller:
    """The caller, or a 401 OperationOutcome with a challenge (kept on the request for the
    door's audit of a refusal); a caller over its rate gets a 429 with Retry-After."""
    caller = _caller(request)
    request.fhir_caller = caller  # type: ignore[attr-defined]
    _within_rate(request, caller)
    return caller


def _within_rate(request: HttpRequest, caller: FhirCaller) -> None:
    """A system client counts under "fhir_client"; a person shares their API budget
    ("user", or "interface" for an interface account)."""
    if caller.client is not None:
        throttle = CallerRateThrottle("fhir_client", f"client-{caller.client.pk}")
    else:
        assert caller.user is not None  # noqa: S101 - a caller is one or the other
        throttle = CallerRateThrottle(person_scope(caller.user), caller.user.pk)
    if not throttle.allow_request(request, None):
        seconds = retry_after(throttle.wait())
        raise FhirError(
            429,
            f"Too many requests. Try again in {seconds} seconds.",
            code="throttled",
            headers={"Retry-After": str(seconds)},
        )


def _caller(request: HttpRequest) -> FhirCaller:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        row = (
            FhirAccessToken.objects.select_related("client__account")
            .filter(token_hash=token_hash(credentials), expires_at__gt=timezone.now())
            .first()
        )
        if row is None or not row.client.is_active:
            raise _unauthorised("The access token is unknown or has expired.", "invalid_token")
        return FhirCaller(client=row.client, scopes=frozenset(row.scopes.split()))
    if scheme.lower() == "token":
        try:
            person, _token = api_token_authenticate(credentials, request)
        except TokenRefused as refused:
            raise _unauthorised(str(refused), "invalid_token") from refused
        if not person.is_active:
            raise _unauthorised("Invalid API token.", "invalid_token")
        return FhirCaller(user=person)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            _require_csrf(request)
        return FhirCaller(user=user)
    raise _unauthorised("Sign in, or present a bearer token from the token endpoint.")
