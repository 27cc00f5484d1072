"""Second factors: a TOTP authenticator app plus ten one-time recovery codes (django-otp).

Recovery codes are shown once and stored only as a keyed hash (`recovery_code_digest`):
a copy of the database alone does not give them away.

Who must use one: staff and superusers, every member of an organisation whose policy
says so, and anyone breaking the glass. A session counts as verified once a code from
one of the person's confirmed devices was accepted (django_otp's OTPMiddleware then
sets `request.user.otp_device`). Enrolment, failed codes and resets are audited.
"""

import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.permissions import require_can_reset_second_factor
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def second_factor_required(user: Any) -> bool:
    """Whether this person must verify a second factor before using a signed-in session."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    organisation = user.organisation if user.organisation_id else None
    return bool(organisation and organisation.require_mfa)


def session_verified(request: HttpRequest) -> bool:
    """Whether this request's session passed a second factor (OTPMiddleware's view)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def authenticator_pending(*, actor: User) -> TOTPDevice:
    """The unconfirmed authenticator a person is enrolling (made on first sight). A
    person who already has a confirmed one resets it first."""
    if has_authenticator(actor):
        raise ApplicationError("You already have an authenticator app; reset it to enrol again.")
    device = TOTPDevice.objects.devices_for_user(actor, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def authenticator_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (no image library needed)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    # Drop the XML declaration: the SVG is inlined in an HTML page.
    return svg[svg.index("<svg") :]


def authenticator_secret(device: TOTPDevice) -> str:
    """The secret in base32, for typing into an app that cannot scan the code."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def authenticator_confirm(*, actor: User, request: HttpRequest, token: str) -> list[str]:
    """Confirms the pending authenticator with a code from the app, marks this session
    verified and returns ten fresh recovery codes (shown once, never again)."""
    device = authenticator_pending(actor=actor)
    if not device.verify_token(_digits(token)):
        audit_record(
            actor=actor,
            action=AuditAction.DENIED,
            object_type=User,
            object_id=actor.pk,
            detail={"event": "mfa_enrol_failed"},
        )
        raise ApplicationError(
            "That code does not match. Check the time on your phone and try the newest code.",
            field_errors={"token": ["That code does not match."]},
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(actor)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type=User,
            object_id=actor.pk,
            detail={"event": "mfa_enrolled"},
        )
    otp_login(request, device)
    return codes


def second_factor_verify(*, actor: User, request: HttpRequest, token: str) -> None:
    """Accepts a code from the authenticator app or one unused recovery code (which is
    then spent) and marks this session verified; a wrong code is audited."""
    token = token.strip()
    for device in TOTPDevice.objects.devices_for_user(actor, confirmed=True):
        if device.verify_token(_digits(token)):
            otp_login(request, device)
            return
    digests = [recovery_code_digest(token, secret) for secret in _secrets()]
    for static in StaticDevice.objects.devices_for_user(actor, confirmed=True):
        # One attempt, whichever key made the code: django-otp throttles each failure.
        held = static.token_set.filter(token__in=digests).values_list("token", flat=True)
        if static.verify_token(next(iter(held), digests[0])):
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                object_type=User,
                object_id=actor.pk,
                detail={"event": "mfa_recovery_code_used", "left": static.token_set.count()},
            )
            otp_login(request, static)
            return
    audit_record(
        actor=actor,
        action=AuditAction.DENIED,
        object_type=User,
        object_id=actor.pk,
        detail={"event": "mfa_verify_failed"},
    )
    raise ApplicationError(
        "That code does not match.", field_errors={"token": ["That code does not match."]}
    )


@transaction.atomic
def second_factor_reset(*, actor: User, user: User) -> None:
    """Removes a person's authenticator and recovery codes: they enrol again at their next
    sign-in. The person themself (from a verified session) or their organisation's
    admin may do it; an admin never sees the secret."""
    require_can_reset_second_factor(actor, user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=User,
        object_id=user.pk,
        detail={"event": "mfa_reset", "by_self": actor.pk == user.pk},
    )


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=static, token=recovery_code_digest(code)) for code in codes]
    )
    return codes


def recovery_code_digest(code: str, secret: str | None = None) -> str:
    """What is stored of a recovery code: an HMAC of it under the site's secret key, cut to
    the 16 characters django-otp's token column holds (64 bits). Spaces, dashes and
    case, as people type them, do not count."""
    typed = code.lower().replace(" ", "").replace("-", "")
    key = secret if secret is not None else settings.SECRET_KEY
    return salted_hmac(
        "caregraph.mfa.recovery-code", typed, secret=key, algorithm="sha256"
    ).hexdigest()[:16]


def _secrets() -> list[str]:
    """The secret key and the retired ones still honoured (SECRET_KEY_FALLBACKS), so
    rotating the key does not void the recovery codes people hold."""
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def _digits(token: str) -> str:
    return "".join(character for character in token if not character.isspace())
