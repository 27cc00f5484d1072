from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import mfa, tokens
from apps.accounts.admin_base import OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.accounts.models import ApiToken, Organisation, OrganisationClosure, User
from apps.core.exceptions import ApplicationError

# Second-factor devices hold their secrets: no admin page shows them. An organisation
# admin resets a member's second factor with the user list's action instead.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


class ClosureInline(admin.TabularInline):
    model = OrganisationClosure
    extra = 0
    fields = ["date", "name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "country",
        "subdivision",
        "observe_subdivision_holidays",
        "time_zone",
        "require_mfa",
    ]
    search_fields = ["name"]
    inlines = [ClosureInline]


class UserAdmin(DjangoUserAdmin):
    """Team access is granted by team memberships, never by editing groups here.

    Registered by apps.teams.admin, whose subclass sends (de)activation through
    the teams services: deactivating an account changes who owns work.
    """

    list_display = [
        "username",
        "first_name",
        "last_name",
        "profession",
        "organisation",
        "is_staff",
        "is_active",
        "is_interface",
    ]
    list_filter = ["profession", "organisation", "is_staff", "is_active", "is_interface"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "organisation", "profession")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "is_interface")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "organisation", "profession", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Subclasses (apps.teams' account admin) name their own actions; this one stays.
        actions: dict[str, Any] = super().get_actions(request)
        action = self.get_action("reset_second_factor")
        if action is not None:
            actions["reset_second_factor"] = action
        return actions

    @admin.action(description="Reset second factor (they enrol again at next sign-in)")
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request_actor(request)
        done = 0
        for user in queryset:
            try:
                mfa.second_factor_reset(actor=actor, user=user)
            except PermissionDenied:
                self.message_user(
                    request, f"You may not reset {user.username}'s second factor.", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, f"Second factor reset for {done} account(s).")


class ApiTokenAdminForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=1,
        initial=settings.API_TOKEN_DAYS,
        help_text=(
            f"Days until it stops working: at most {settings.API_TOKEN_DAYS} for a person, "
            f"{settings.API_TOKEN_INTERFACE_MAX_DAYS} for an interface account."
        ),
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "allowed_source_cidrs"]


@admin.register(ApiToken)
class ApiTokenAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """An organisation admin makes tokens for members and interface accounts (the secret is
    shown once, on the page after saving) and revokes them; no page shows a secret."""

    organisation_path = "user__organisation_id"
    related = ("user",)
    form = ApiTokenAdminForm
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "allowed_source_cidrs",
    ]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["user", "name", "days", "allowed_source_cidrs"]
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user" and field is not None:
            # The mixin keeps the list to the admin's organisation; a token is for a live account.
            field.queryset = field.queryset.filter(is_active=True)  # type: ignore[union-attr]
        return field

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        token, key = tokens.api_token_create(
            actor=request_actor(request),
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            allowed_source_cidrs=form.cleaned_data.get("allowed_source_cidrs", ""),
        )
        obj.pk = token.pk
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if not k.startswith("_")})
        self.message_user(
            request,
            f"Copy this token now, it is shown only once: {key}",
            messages.WARNING,
        )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        actor = request_actor(request)
        for token in queryset.select_related("user"):
            try:
                tokens.api_token_revoke(actor=actor, token=token)
            except (PermissionDenied, ApplicationError) as error:
                self.message_user(request, str(error), messages.ERROR)
        self.message_user(request, "The selected tokens no longer work.")
