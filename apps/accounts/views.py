from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts import mfa, tokens
from apps.accounts.forms import ApiTokenForm, LoginForm, SecondFactorForm
from apps.accounts.http import request_actor
from apps.accounts.models import ApiToken
from apps.core.exceptions import ApplicationError
from apps.core.form_actions import form_write
from apps.core.lookups import one_or_not_found
from apps.core.throttles import rate_limited


@method_decorator(rate_limited("login"), name="post")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["timed_out"] = self.request.GET.get("timeout") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    pass


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@rate_limited("login")
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the authenticator app (or a recovery code)."""
    user = request_actor(request)
    if not mfa.has_authenticator(user):
        return redirect(f"{_url('accounts:mfa_enrol')}?next={_quoted(_next_url(request))}")
    if mfa.session_verified(request):
        return redirect(_next_url(request))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form_write(
        form,
        lambda data: mfa.second_factor_verify(actor=user, request=request, token=data["token"]),
    ):
        request.session.cycle_key()
        return redirect(_next_url(request))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@login_required
@rate_limited("login")
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), confirm with a code, then see the ten
    recovery codes: once, on the page that answers the confirmation."""
    user = request_actor(request)
    if mfa.has_authenticator(user):
        return redirect(f"{_url('accounts:mfa_verify')}?next={_quoted(_next_url(request))}")
    device = mfa.authenticator_pending(actor=user)
    form = SecondFactorForm(request.POST or None)
    codes: list[str] = []
    if request.method == "POST" and form_write(
        form,
        lambda data: codes.extend(
            mfa.authenticator_confirm(actor=user, request=request, token=data["token"])
        ),
    ):
        request.session.cycle_key()
        return render(
            request, "accounts/mfa_codes.html", {"codes": codes, "next": _next_url(request)}
        )
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "qr_svg": mfa.authenticator_qr_svg(device),
            "secret": mfa.authenticator_secret(device),
            "next": _next_url(request),
        },
    )


@login_required
@require_POST
def mfa_reset(request: HttpRequest) -> HttpResponseBase:
    """A person resets their own authenticator from a verified session, then enrols anew."""
    user = request_actor(request)
    if not mfa.session_verified(request):
        return redirect(f"{_url('accounts:mfa_verify')}?next={_quoted(_url('accounts:security'))}")
    mfa.second_factor_reset(actor=user, user=user)
    return redirect(_url("accounts:mfa_enrol"))


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The person's own second factor and API tokens; a new token's secret is shown once."""
    user = request_actor(request)
    form = ApiTokenForm(request.POST or None)
    created: dict[str, str] = {}
    if request.method == "POST":

        def make(data: dict[str, Any]) -> None:
            _token, key = tokens.api_token_create(
                actor=user, user=user, name=data["name"], days=data["days"]
            )
            created["key"] = key

        if form_write(form, make):
            form = ApiTokenForm()
    now = timezone.now()
    return render(
        request,
        "accounts/security.html",
        {
            "form": form,
            "new_key": created.get("key"),
            "tokens": [tokens.token_summary(token, now) for token in tokens.api_tokens_of(user)],
            "has_authenticator": mfa.has_authenticator(user),
            "verified": mfa.session_verified(request),
            "may_have_tokens": not user.is_interface,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponseBase:
    user = request_actor(request)
    token = one_or_not_found(ApiToken.objects.filter(user=user), token_id, noun="API token")
    try:
        tokens.api_token_revoke(actor=user, token=token)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect(_url("accounts:security"))


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


def _quoted(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")
