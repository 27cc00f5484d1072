from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from apps.accounts.models import Organisation, OrganisationClosure


class ClosureInline(admin.TabularInline):
    model = OrganisationClosure
    extra = 0
    fields = ["date", "name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "subdivision", "observe_subdivision_holidays", "time_zone"]
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
