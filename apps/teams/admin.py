from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts.http import request_actor
from apps.teams import services
from apps.teams.models import CareTeam, TeamMembership


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


@admin.register(CareTeam)
class CareTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def save_model(
        self, request: HttpRequest, obj: CareTeam, form: ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.care_team_create(
            actor=request_actor(request),
            organisation=obj.organisation,
            name=obj.name,
            description=obj.description,
        )
        obj.pk = created.pk


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    """Adding grants access, ending (or deleting) revokes it, at once, through the services."""

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
