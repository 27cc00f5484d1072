from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organisation, Role
from apps.core.models import BaseModel


class CareTeam(BaseModel):
    """Named people in roles who together look after a panel of patients.

    What a member may do for the team's patients is an object permission on
    the team, granted to the team's per-role group (see teams/permissions.py).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="team_name_unique_in_org"
            ),
        ]
        permissions = [
            ("view_patient_record", "View the team's patients' records"),
            ("change_patient_record", "Edit the team's patients' demographics"),
            ("record_clinical_data", "Record conditions and encounters"),
            ("record_sdoh_screen", "Run social needs screens"),
            ("manage_tasks", "Create, do and complete tasks"),
            ("reassign_tasks", "Reassign any task on the team"),
            ("edit_care_plan", "Edit the care plan's patient voice, barriers and interventions"),
            ("edit_medical_goals", "Edit medical goals"),
            ("edit_behavioral_goals", "Edit behavioral goals"),
            ("edit_social_goals", "Edit social goals"),
            ("edit_functional_goals", "Edit functional goals"),
            ("sign_care_plan", "Sign a care plan version"),
            ("manage_transitions", "Record transitions of care and their checklists"),
            ("reconcile_medications", "Perform a medication reconciliation"),
            ("verify_medication_reconciliation", "Verify a medication reconciliation"),
            ("manage_referrals", "Create and move referrals"),
            ("run_huddles", "Schedule and run team huddles"),
            ("manage_team", "Manage the team's membership"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["TeamMembership"]):
    """What "member" means, in one place for every app that asks."""

    def open(self) -> "MembershipQuerySet":
        """Memberships not ended (the person may have been deactivated since)."""
        return self.filter(ended_at__isnull=True)

    def live(self) -> "MembershipQuerySet":
        """Live members who may own work on the team: an open membership of an active
        account that is a person, not an interface account. Every place that picks or
        accepts an owner, or looks for orphaned work, asks this."""
        return self.filter(ended_at__isnull=True, user__is_active=True, user__is_interface=False)

    def leads(self) -> "MembershipQuerySet":
        """The live lead coordinator's membership (none when the lead was deactivated)."""
        return self.live().filter(is_lead=True)


class TeamMembership(BaseModel):
    """A person's place on a team. Ending it revokes their access at once; the row stays."""

    objects = MembershipQuerySet.as_manager()

    team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    is_lead = models.BooleanField(default=False, help_text="The team's lead coordinator")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                condition=Q(ended_at__isnull=True),
                name="one_active_membership_per_team",
            ),
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(is_lead=True, ended_at__isnull=True),
                name="one_lead_coordinator_per_team",
            ),
            models.CheckConstraint(
                condition=Q(is_lead=False) | Q(ended_at__isnull=True),
                name="lead_is_an_active_member",
            ),
        ]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) on {self.team}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class RoleRights(BaseModel):
    """An organisation's tuning of one role's team rights (apps.teams.permissions keeps the
    ceiling: a PCP's or a pharmacist's own rights are never given to another role).

    One row per (organisation, role); without a row the role has the default map.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=24, choices=Role.choices)
    rights = models.JSONField(
        default=list, blank=True, help_text="Codenames of the team rights the role holds"
    )

    class Meta:
        verbose_name = "role rights"
        verbose_name_plural = "role rights"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "role"], name="one_role_rights_row_per_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} rights"


# Guardian's direct-FK permission tables live with the permission code; importing
# them here registers them as models of this app.
from apps.teams.permissions.tables import (  # noqa: E402
    CareTeamGroupObjectPermission,
    CareTeamUserObjectPermission,
)

__all__ = [
    "CareTeam",
    "CareTeamGroupObjectPermission",
    "CareTeamUserObjectPermission",
    "RoleRights",
    "TeamMembership",
]
