"""The plain-language summary a patient takes home."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from apps.accounts.models import Role, User
from apps.careplans.models import (
    DEFAULT_AFTER_HOURS_ADVICE,
    CarePlan,
    CarePlanSettings,
    GoalDomain,
    GoalStatus,
)
from apps.careplans.selectors.plans import (
    DEFAULT_SETTINGS,
    audit_plan_view,
    care_plan_content,
    care_plan_open_for_user,
)
from apps.core.models import AuditAction
from apps.patients.languages import patient_language_code
from apps.patients.models import Patient
from apps.teams.selectors import team_active_members

# Words a patient uses: no codes, no internal terms. Lazy, so each summary gets
# them in the patient's language (see care_plan_summary_for_user).
PLAIN_AREAS = {
    GoalDomain.MEDICAL: pgettext_lazy("goal area", "My health"),
    GoalDomain.BEHAVIORAL: pgettext_lazy("goal area", "My habits and feelings"),
    GoalDomain.SOCIAL: pgettext_lazy("goal area", "My home, money and support"),
    GoalDomain.FUNCTIONAL: pgettext_lazy("goal area", "Everyday activities"),
}
PLAIN_ROLES = {
    Role.PCP: gettext_lazy("your doctor"),
    Role.SPECIALIST: gettext_lazy("your specialist doctor"),
    Role.RN_CARE_COORDINATOR: gettext_lazy("your nurse"),
    Role.PHARMACIST: gettext_lazy("your pharmacist"),
    Role.SOCIAL_WORKER: gettext_lazy("your social worker"),
    Role.CHW: gettext_lazy("your community health worker"),
    Role.NAVIGATOR: gettext_lazy("your patient navigator"),
    Role.CASE_MANAGER: gettext_lazy("your case manager"),
    Role.BEHAVIORAL_HEALTH: gettext_lazy("your counselor"),
    Role.ADMIN: gettext_lazy("the office team"),
}
SUMMARY_GOAL_STATUSES = (GoalStatus.PROPOSED, GoalStatus.ACTIVE, GoalStatus.ON_HOLD)


@dataclass(frozen=True)
class SummaryGoal:
    area: str
    goal: str
    how_we_know: str
    by_when: date
    my_steps: list[str]


@dataclass(frozen=True)
class SummaryAction:
    what: str
    who: str
    role: str
    by_when: date | None


@dataclass(frozen=True)
class SummaryContact:
    name: str
    role: str
    is_lead: bool


@dataclass
class PatientSummary:
    """The plain-language take-home summary: what matters to me, what I will do,
    what my team will do, who to call."""

    patient: Patient
    plan: CarePlan
    what_matters: str
    priorities: list[str]
    goals: list[SummaryGoal]
    my_steps: list[str]
    team_actions: list[SummaryAction]
    lead: SummaryContact | None
    contacts: list[SummaryContact]
    phone: str
    after_hours_advice: str
    advance_directive_date: date | None
    has_advance_directive: bool
    large_print: bool
    generated_on: date
    # The translation the patient reads (from their preferred language), and
    # whether the plan holds changes the PCP has not signed yet.
    language: str
    has_unsigned_changes: bool
    last_signed_on: date | None


def _steps(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def _plain_word(words: Mapping[Any, object], key: str, default: str = "") -> str:
    return str(words[key]) if key in words else default


def care_plan_summary_for_user(
    *, user: User, patient_id: int | str, export: bool = False
) -> PatientSummary:
    """The patient's summary in the patient's preferred language (the plan's own
    words stay as staff typed them); a PDF download is audited as an export."""
    plan = care_plan_open_for_user(user=user, patient_id=patient_id, what=None)
    patient = plan.patient
    audit_plan_view(user, plan, "summary", AuditAction.EXPORT if export else AuditAction.VIEW)
    language = patient_language_code(patient.preferred_language)
    with translation.override(language):
        return _summary(plan, patient, language)


def _summary(plan: CarePlan, patient: Patient, language: str) -> PatientSummary:
    goals, interventions, _ = care_plan_content(plan)
    members = list(team_active_members(team_ids=[patient.care_team_id]))
    roles = {member.user_id: member.role for member in members}
    plan_settings = (
        CarePlanSettings.objects.filter(organisation_id=patient.organisation_id).first()
        or DEFAULT_SETTINGS
    )
    shown_goals = [goal for goal in goals if goal.status in SUMMARY_GOAL_STATUSES]
    contacts = [
        SummaryContact(
            member.user.display_name, _plain_word(PLAIN_ROLES, member.role), member.is_lead
        )
        for member in members
    ]
    return PatientSummary(
        patient=patient,
        plan=plan,
        what_matters=plan.what_matters,
        priorities=plan.priority_list,
        goals=[
            SummaryGoal(
                area=_plain_word(PLAIN_AREAS, goal.domain),
                goal=goal.description,
                how_we_know=goal.target,
                by_when=goal.target_date,
                my_steps=_steps(goal.patient_steps),
            )
            for goal in shown_goals
        ],
        my_steps=[step for goal in shown_goals for step in _steps(goal.patient_steps)],
        team_actions=[
            SummaryAction(
                what=item.description,
                who=item.owner.display_name if item.owner else "",
                role=_plain_word(
                    PLAIN_ROLES, roles.get(item.owner_id or 0, ""), gettext("your care team")
                ),
                by_when=timezone.localtime(item.due_at).date() if item.due_at else None,
            )
            for item in interventions
            if item.is_open and item.goal.status in SUMMARY_GOAL_STATUSES
        ],
        lead=next((contact for contact in contacts if contact.is_lead), None),
        contacts=contacts,
        phone=plan_settings.patient_phone,
        after_hours_advice=(
            gettext(DEFAULT_AFTER_HOURS_ADVICE)
            if plan_settings.after_hours_advice == DEFAULT_AFTER_HOURS_ADVICE
            else plan_settings.after_hours_advice
        ),
        advance_directive_date=plan.advance_directive_date,
        has_advance_directive=bool(plan.advance_directive_reference),
        large_print=plan.health_literacy_limited,
        generated_on=timezone.localdate(),
        language=language,
        has_unsigned_changes=plan.unsigned_since is not None,
        last_signed_on=timezone.localtime(plan.last_signed_at).date()
        if plan.last_signed_at
        else None,
    )
