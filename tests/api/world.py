"""One patient with something behind every kind of id a URL can carry, and the map from
URL keyword names to those ids, shared by the generated door tests."""

from datetime import time, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.careplans.models import CarePlan
from apps.huddles.services import huddle_item_add, huddle_series_create
from apps.measures.billing_services import consent_record, time_entry_create
from apps.patients.models import Patient
from apps.patients.services.clinical import condition_add, patient_area_deprivation_set
from tests import factories
from tests.careplans.factories import make_barrier, make_goal, make_intervention, make_plan
from tests.huddles.factories import make_huddle
from tests.referrals import factories as referral_factories
from tests.tasks.factories import make_task
from tests.transitions.access import reconciliation_world

# The apps that hold patient data: a refused request must leave every row of them as it was.
CLINICAL_APPS = (
    "patients",
    "tasks",
    "careplans",
    "transitions",
    "referrals",
    "huddles",
    "measures",
)


def clinical_world(patient: Patient, *, nurse: User, chw: User) -> dict[str, Any]:
    """Builds the objects; returns URL keyword name -> id (the API and pages share names,
    except `item_id`, which the transitions pages and API use for checklist items)."""
    task = make_task(patient, chw, actor=nurse, title="Call about the inhaler")
    plan: CarePlan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    intervention = make_intervention(goal, nurse, owner=chw)
    barrier = make_barrier(plan, nurse)
    food = referral_factories.make_service(patient.organisation, actor=nurse)
    referral = referral_factories.make_referral(patient, actor=nurse, service=food, owner=chw)
    transitions = reconciliation_world(patient, nurse)
    huddle = make_huddle(patient.care_team, nurse)
    agenda_item = huddle_item_add(actor=nurse, huddle=huddle, patient=patient, title="Discharge")
    series = huddle_series_create(
        actor=nurse, team=patient.care_team, weekday=1, start_time=time(9, 0)
    )
    condition = condition_add(actor=nurse, patient=patient, code="E11.9")
    patient_area_deprivation_set(
        actor=nurse, patient=patient, national_percentile=85, state_decile=9
    )
    entry = time_entry_create(
        actor=nurse,
        patient=patient,
        started_at=timezone.now() - timedelta(hours=1),
        minutes=25,
        activity="coordination",
    )
    consent = consent_record(
        actor=nurse,
        patient=patient,
        method="verbal",
        given_on=timezone.localdate() - timedelta(days=1),
        given_by="patient",
    )
    factories.make_api_token(nurse)
    return {
        "patient_id": patient.pk,
        "task_id": task.pk,
        "plan_id": plan.pk,
        "goal_id": goal.pk,
        "intervention_id": intervention.pk,
        "barrier_id": barrier.pk,
        "number": 1,
        "referral_id": referral.pk,
        "episode_id": transitions["episode"].pk,
        "handoff_id": transitions["discharge"].pk,
        "line_id": transitions["line"].pk,
        "follow_up_id": transitions["follow_up"].pk,
        "checklist_item_id": transitions["item"].pk,
        "huddle_id": huddle.pk,
        "item_id": agenda_item.pk,
        "series_id": series.pk,
        "condition_id": condition.pk,
        "user_id": nurse.pk,
        # The nurse's own API token: another person revoking it gets "not found".
        "token_id": ApiToken.objects.get(user=nurse).pk,
        "organisation_id": food.resource_organisation_id,
        "service_id": food.pk,
        "entry_id": entry.pk,
        "consent_id": consent.pk,
    }


def _clinical_models() -> list[type[Model]]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in CLINICAL_APPS and not model._meta.proxy
    ]


def clinical_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every clinical table, to prove a refused request changed nothing."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in _clinical_models()
    }
