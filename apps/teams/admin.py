from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts.admin import UserAdmin
from apps.accounts.admin_base import OrganisationSettingsAdminMixin, OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.accounts.models import Organisation, User
from apps.core.exceptions import ApplicationError
from apps.teams import permissions, selectors, services
from apps.teams.models import CareTeam, RoleRights, TeamMembership

ADMIN_DEACTIVATION_REASON = "Deactivated by an administrator in the admin site."
ADMIN_REACTIVATION_REASON = "Reactivated by an administrator in the admin site."


class MembershipInline(admin.TabularInline):
    """Read-only here: membership changes go through the membership admin and its services."""

    model = TeamMembership
    fields = ("user", "role", "is_lead", "ended_at")
    readonly_fields = ("user", "role", "is_lead", "ended_at")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NoLeadFilter(admin.SimpleListFilter):
    title = "lead coordinator"
    parameter_name = "no_lead"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "No lead coordinator")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[CareTeam]) -> QuerySet[CareTeam]:
        if self.value() != "yes":
            return queryset
        return queryset.filter(pk__in=selectors.teams_without_lead().values("pk"))


@admin.register(CareTeam)
class CareTeamAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    list_display = ["name", "organisation", "lead_coordinator"]
    list_filter = ["organisation", NoLeadFilter]
    search_fields = ["name"]
    inlines = [MembershipInline]
    related = ("organisation",)

    def get_readonly_fields(self, request: HttpRequest, obj: CareTeam | None = None) -> list[str]:
        return ["organisation"] if obj else []

    @admin.display(description="Lead coordinator")
    def lead_coordinator(self, obj: CareTeam) -> str:
        lead = selectors.team_lead(team_id=obj.pk)
        return lead.user.display_name if lead else "No lead coordinator: name one"

    def save_model(
        self, request: HttpRequest, obj: CareTeam, form: ModelForm, change: bool
    ) -> None:
        if change:
            # The form has already written its values onto `obj`; the service diffs them
            # against the stored row, so the audit names exactly what changed.
            services.care_team_update(
                actor=request_actor(request),
                team=CareTeam.objects.get(pk=obj.pk),
                name=obj.name,
                description=obj.description,
            )
            return
        created = services.care_team_create(
            actor=request_actor(request),
            organisation=obj.organisation,
            name=obj.name,
            description=obj.description,
        )
        obj.pk = created.pk


@admin.register(TeamMembership)
class TeamMembershipAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """Adding grants access, ending (or deleting) revokes it, at once, through the services."""

    organisation_path = "team__organisation_id"

    list_display = ["user", "team", "role", "is_lead", "ended_at"]
    list_filter = ["team", "role", "is_lead"]
    search_fields = ["user__username", "user__last_name", "team__name"]
    actions = ["end_memberships"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: TeamMembership | None = None
    ) -> list[str]:
        return ["team", "user", "ended_at"] if obj else ["ended_at"]

    def save_model(
        self, request: HttpRequest, obj: TeamMembership, form: ModelForm, change: bool
    ) -> None:
        if change:
            services.team_member_update(
                actor=request_actor(request), membership=obj, role=obj.role, is_lead=obj.is_lead
            )
            return
        created = services.team_member_add(
            actor=request_actor(request),
            team=obj.team,
            user=obj.user,
            role=obj.role,
            is_lead=obj.is_lead,
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: TeamMembership) -> None:
        services.team_member_remove(actor=request_actor(request), membership=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TeamMembership]) -> None:
        for membership in queryset:
            services.team_member_remove(actor=request_actor(request), membership=membership)

    @admin.action(description="End the selected memberships (revokes access now)")
    def end_memberships(self, request: HttpRequest, queryset: QuerySet[TeamMembership]) -> None:
        for membership in queryset:
            services.team_member_remove(actor=request_actor(request), membership=membership)
        self.message_user(request, "Memberships ended; access revoked.", messages.SUCCESS)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Ticking or unticking "active", and the actions, go through the account services:
    deactivation orphans the person's open work and leaves a team they led without a lead."""

    actions = ["deactivate_users", "reactivate_users"]

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        if not change or "is_active" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        wanted = obj.is_active
        # Other edits save as usual; the activation change is the service's to make.
        obj.is_active = not wanted
        super().save_model(request, obj, form, change)
        try:
            if wanted:
                services.user_reactivate(
                    actor=request_actor(request), user=obj, reason=ADMIN_REACTIVATION_REASON
                )
            else:
                services.user_deactivate(
                    actor=request_actor(request), user=obj, reason=ADMIN_DEACTIVATION_REASON
                )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        obj.is_active = wanted

    @admin.action(description="Deactivate the selected accounts (their open work is orphaned)")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset:
            try:
                services.user_deactivate(
                    actor=request_actor(request), user=user, reason=ADMIN_DEACTIVATION_REASON
                )
            except ApplicationError as error:
                self.message_user(request, f"{user}: {error.message}", messages.ERROR)
                continue
            done += 1
        self.message_user(request, f"{done} account(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Reactivate the selected accounts")
    def reactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_reactivate(
                actor=request_actor(request), user=user, reason=ADMIN_REACTIVATION_REASON
            )
        self.message_user(request, "Accounts reactivated.", messages.SUCCESS)


_RIGHT_LABELS = dict(CareTeam._meta.permissions)  # type: ignore[arg-type]


class RoleRightsForm(ModelForm):
    """The role's rights as boxes to tick, only those the ceiling allows for that role."""

    rights = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Rights on every team"
    )

    class Meta:
        model = RoleRights
        fields = ["rights"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.instance.role if self.instance is not None else ""
        self.fields["rights"].choices = [  # type: ignore[attr-defined]
            (codename, _RIGHT_LABELS[codename])
            for codename in permissions.TUNABLE_RIGHTS
            if codename in permissions.role_ceiling(role)
        ]


@admin.register(RoleRights)
class RoleRightsAdmin(OrganisationSettingsAdminMixin, admin.ModelAdmin):
    """Which rights each role has on every team of the organisation. The defaults are
    today's map; a PCP's and a pharmacist's own rights are never offered to other roles.
    Saving applies the change to every team at once (audited)."""

    form = RoleRightsForm
    list_display = ["role", "organisation", "rights_count"]
    fields = ["organisation", "role", "rights"]
    readonly_fields = ["organisation", "role"]

    def settings_for(self, organisation: Organisation) -> object:
        return services.role_rights_rows(organisation)

    @admin.display(description="Rights")
    def rights_count(self, obj: RoleRights) -> int:
        return len(obj.rights)

    def save_model(
        self, request: HttpRequest, obj: RoleRights, form: ModelForm, change: bool
    ) -> None:
        current = RoleRights.objects.get(pk=obj.pk)
        try:
            granted, revoked = services.role_rights_update(
                actor=request_actor(request), row=current, rights=form.cleaned_data["rights"]
            )
        except ApplicationError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return
        self.message_user(
            request,
            f"Saved for every team: {granted} right(s) granted, {revoked} revoked.",
        )
