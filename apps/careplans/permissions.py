"""Who may change which part of a care plan, and who may sign it.

Rights are the team object permissions of apps.teams (ROLE_PERMISSIONS): one
codename per goal domain, `edit_care_plan` for the patient's voice, barriers
and interventions, and `sign_care_plan` for the PCP's signature. Work under a
goal (its interventions, and barriers addressed by them) needs both
`edit_care_plan` and the goal's domain right.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from apps.accounts.models import Actor, Role, User
from apps.careplans.models import Goal, GoalDomain, Intervention
from apps.core.actors import JobActor
from apps.core.exceptions import Refused
from apps.patients.models import Patient
from apps.patients.permissions import (
    can_view_patient,
    has_patient_permission,
    is_organisation_admin,
    person_acting,
)
from apps.teams.permissions import held_by, team_permissions_for_user
from apps.teams.selectors import membership_active

EDIT_CARE_PLAN = "edit_care_plan"
SIGN_CARE_PLAN = "sign_care_plan"
GOAL_DOMAIN_PERMISSIONS: dict[str, str] = {
    GoalDomain.MEDICAL: "edit_medical_goals",
    GoalDomain.BEHAVIORAL: "edit_behavioral_goals",
    GoalDomain.SOCIAL: "edit_social_goals",
    GoalDomain.FUNCTIONAL: "edit_functional_goals",
}


@dataclass(frozen=True)
class CarePlanRights:
    """What one user may do on one patient's plan, for templates and API output."""

    edit_plan: bool
    goal_domains: frozenset[str]
    sign: bool
    # Whose role map the "why unavailable" lines read (the organisation's tuning).
    organisation_id: int | None = None

    @property
    def edit_any_goal(self) -> bool:
        return bool(self.goal_domains)

    @property
    def start_plan(self) -> bool:
        return self.edit_plan or self.edit_any_goal

    def can_edit_goal(self, domain: str) -> bool:
        return domain in self.goal_domains

    def can_edit_goal_work(self, domain: str) -> bool:
        """Interventions under a goal of `domain` (the rule of can_edit_goal_work)."""
        return self.edit_plan and domain in self.goal_domains

    @property
    def request_signoff(self) -> bool:
        """The rule of can_request_care_plan_signoff: whoever edits the plan."""
        return self.edit_plan

    @property
    def return_plan(self) -> bool:
        """The rule of can_return_care_plan: whoever signs it."""
        return self.sign

    def why_not_edit_goal(self, domain: str) -> str | None:
        """The line the page shows where a domain's goals may not be edited (the refusal's
        text, from goal_domain_held_by)."""
        if self.can_edit_goal(domain):
            return None
        return goal_domain_held_by(domain, self.organisation_id)

    @property
    def why_not_sign(self) -> str | None:
        return None if self.sign else SIGN_HELD_BY


def has_plan_permission(actor: Actor, patient: Patient, codename: str) -> bool:
    user = person_acting(actor)
    return user is not None and has_patient_permission(user, patient, codename)


def can_edit_care_plan(user: Actor, patient: Patient) -> bool:
    return has_plan_permission(user, patient, EDIT_CARE_PLAN)


def require_can_edit_care_plan(user: Actor, patient: Patient) -> None:
    if not can_edit_care_plan(user, patient):
        raise Refused(
            "Your role on this patient's team does not allow editing the plan.",
            patient_id=patient.pk,
        )


def can_edit_goal_domain(user: Actor, patient: Patient, domain: str) -> bool:
    codename = GOAL_DOMAIN_PERMISSIONS.get(domain)
    return codename is not None and has_plan_permission(user, patient, codename)


def goal_domain_held_by(domain: str, organisation_id: int | None = None) -> str:
    """Who edits goals of `domain`, in one line: "Social goals are edited by the team's
    social workers." (the text of the refusal and of the page's "why unavailable")."""
    codename = GOAL_DOMAIN_PERMISSIONS.get(domain)
    if codename is None:
        return "Choose a medical, behavioral, social or functional goal."
    return f"{GoalDomain(domain).label} goals are edited by {held_by(codename, organisation_id)}."


def why_not_edit_goal_domain(user: Actor, patient: Patient, domain: str) -> str | None:
    """None when `user` edits goals of `domain`; else why not, in one line."""
    if can_edit_goal_domain(user, patient, domain):
        return None
    return goal_domain_held_by(domain, patient.organisation_id)


def require_can_edit_goal_domain(user: Actor, patient: Patient, domain: str) -> None:
    reason = why_not_edit_goal_domain(user, patient, domain)
    if reason is not None:
        raise Refused(reason, patient_id=patient.pk)


def require_can_edit_any_goal(user: User, patient: Patient) -> CarePlanRights:
    """The user's plan rights, refused when they edit goals of no domain at all."""
    rights = care_plan_rights(user, patient)
    if not rights.edit_any_goal:
        raise Refused(
            "Your role on this patient's team does not edit goals.",
            patient_id=patient.pk,
        )
    return rights


def can_edit_goal_work(user: Actor, patient: Patient, goal: Goal) -> bool:
    """Interventions under a goal (and barriers they address) need the plan right *and*
    the goal's domain right: a social worker plans social work, not medication changes."""
    return can_edit_care_plan(user, patient) and can_edit_goal_domain(user, patient, goal.domain)


def require_can_edit_goal_work(user: Actor, patient: Patient, goal: Goal) -> None:
    require_can_edit_care_plan(user, patient)
    require_can_edit_goal_domain(user, patient, goal.domain)


def require_can_edit_barrier(
    user: Actor, patient: Patient, interventions: "list[Intervention | None]"
) -> None:
    """A barrier is plan-wide unless it points at an intervention: then it sits under that
    intervention's goal, and the goal's domain right is needed (for the old and the new one)."""
    require_can_edit_care_plan(user, patient)
    for intervention in interventions:
        if intervention is not None:
            require_can_edit_goal_domain(user, patient, intervention.goal.domain)


def can_start_care_plan(user: Actor, patient: Patient) -> bool:
    return can_edit_care_plan(user, patient) or any(
        can_edit_goal_domain(user, patient, domain) for domain in GoalDomain.values
    )


def can_sign_care_plan(user: Actor, patient: Patient) -> bool:
    """A PCP who is a current member of this patient's team, holding the sign right there."""
    person = person_acting(user)
    if person is None or not has_patient_permission(person, patient, SIGN_CARE_PLAN):
        return False
    membership = membership_active(team_id=patient.care_team_id, user_id=person.pk)
    return membership is not None and membership.role == Role.PCP


SIGN_HELD_BY = "The plan is signed by a primary care physician on the patient's team."


def why_not_sign_care_plan(user: Actor, patient: Patient) -> str | None:
    """None when `user` signs this plan; else why not, in one line."""
    return None if can_sign_care_plan(user, patient) else SIGN_HELD_BY


def require_can_sign_care_plan(user: Actor, patient: Patient) -> None:
    reason = why_not_sign_care_plan(user, patient)
    if reason is not None:
        raise Refused(reason, patient_id=patient.pk)


def can_request_care_plan_signoff(user: Actor, patient: Patient) -> bool:
    """Whoever may edit the plan may send its changes to the PCP."""
    return can_edit_care_plan(user, patient)


def require_can_request_care_plan_signoff(user: Actor, patient: Patient) -> None:
    if not can_request_care_plan_signoff(user, patient):
        raise PermissionDenied(
            "Your role on this patient's team does not edit the plan, so it cannot send it "
            "for sign-off."
        )


def can_return_care_plan(user: Actor, patient: Patient) -> bool:
    """Returning a plan with comments is the signer's alternative to signing it."""
    return can_sign_care_plan(user, patient)


def require_can_return_care_plan(user: Actor, patient: Patient) -> None:
    if not can_return_care_plan(user, patient):
        raise PermissionDenied(
            "Only a primary care physician on the patient's team returns the plan."
        )


def can_administer_care_plan(user: Actor, patient: Patient) -> bool:
    """The admin door: staff of the patient's organisation with the model permission."""
    person = person_acting(user)
    return person is not None and is_organisation_admin(
        person, patient, "careplans.change_careplan"
    )


def can_retire_care_plan(user: Actor, patient: Patient) -> bool:
    return can_edit_care_plan(user, patient) or can_administer_care_plan(user, patient)


def can_request_care_plan_review(actor: Actor, patient: Patient) -> bool:
    """Flagging a plan for review (after a transition of care): someone who sees the
    patient, the admin, or a job or interface account working for the patient's
    organisation (an ADT feed reporting a discharge)."""
    if isinstance(actor, JobActor):
        return actor.organisation_id in (None, patient.organisation_id)
    if actor.is_interface:
        return actor.is_active and actor.organisation_id in (None, patient.organisation_id)
    return can_view_patient(actor, patient) or can_administer_care_plan(actor, patient)


def care_plan_rights(user: User, patient: Patient) -> CarePlanRights:
    """All of a user's plan rights in one lookup (plus one for the PCP check)."""
    held = team_permissions_for_user(user).get(patient.care_team_id, frozenset())
    return CarePlanRights(
        edit_plan=EDIT_CARE_PLAN in held,
        goal_domains=frozenset(
            domain for domain, codename in GOAL_DOMAIN_PERMISSIONS.items() if codename in held
        ),
        sign=SIGN_CARE_PLAN in held and can_sign_care_plan(user, patient),
        organisation_id=patient.organisation_id,
    )
