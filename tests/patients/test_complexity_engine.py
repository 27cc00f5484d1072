"""The set-wise recomputation: constant queries, idempotent, percentile, thresholds."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.actors import JobActor
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditEvent
from apps.patients import complexity
from apps.patients.complexity import RECOMPUTE_ALL_JOB
from apps.patients.models import (
    Condition,
    Encounter,
    EncounterKind,
    PatientComplexity,
)
from apps.patients.services.complexity import complexity_thresholds_update
from tests import factories
from tests.patients.factories import days_ago, make_complex

NIGHTLY = JobActor(job=RECOMPUTE_ALL_JOB)


def _panel(team, admin, size, start=0):
    patients = [factories.make_patient(team, actor=admin) for _ in range(size)]
    Condition.objects.bulk_create(
        Condition(patient=patient, code=code)
        for index, patient in enumerate(patients, start=start)
        for code in (["I50.9", "N18.4", "E11.22"] if index % 3 == 0 else ["I10"])
    )
    Encounter.objects.bulk_create(
        Encounter(
            patient=patient,
            kind=EncounterKind.ED,
            admit_date=days_ago(5 + index % 30),
            cost=Decimal(100 * (index + 1)),
        )
        for index, patient in enumerate(patients, start=start)
    )
    return patients


def _queries(organisation_id) -> int:
    with CaptureQueriesContext(connection) as captured:
        complexity.complexity_recompute(organisation_id=organisation_id, actor=NIGHTLY)
    return len(captured)


@pytest.mark.postgresql_only  # SQLite splits a bulk write at its 999 parameters
def test_whole_organisation_recompute_uses_the_same_queries_for_3_or_40_patients(
    organisation, team, org_admin
):
    complexity.thresholds_for(organisation)
    complexity.risk_model_for(organisation)
    _panel(team, org_admin, 3)
    small = _queries(organisation.pk)
    _panel(team, org_admin, 37, start=3)
    PatientComplexity.objects.all().delete()
    large = _queries(organisation.pk)
    assert small == large
    assert large <= 12
    assert PatientComplexity.objects.count() == 40


def test_a_second_run_changes_nothing(organisation, team, org_admin):
    _panel(team, org_admin, 12)
    first = complexity.complexity_recompute(organisation_id=organisation.pk, actor=NIGHTLY)
    assert len(first.changed) == 12
    events = AuditEvent.objects.count()
    stamps = dict(PatientComplexity.objects.values_list("patient_id", "computed_at"))
    second = complexity.complexity_recompute(organisation_id=organisation.pk, actor=NIGHTLY)
    assert second.changed == []
    assert second.patients == 12
    assert AuditEvent.objects.count() == events
    assert dict(PatientComplexity.objects.values_list("patient_id", "computed_at")) == stamps


def test_cost_percentile_is_the_share_of_patients_with_lower_cost(organisation, team, org_admin):
    patients = _panel(team, org_admin, 20)
    without_cost = factories.make_patient(team, actor=org_admin)
    complexity.complexity_recompute(organisation_id=organisation.pk, actor=NIGHTLY)
    rows = dict(PatientComplexity.objects.values_list("patient_id", "cost_percentile"))
    # 21 patients; the costliest has 20 below it: 95th percentile.
    assert rows[patients[-1].pk] == 95
    assert rows[patients[-2].pk] == 90
    assert rows[patients[0].pk] == 4  # only the patient without cost is below
    assert rows[without_cost.pk] == 0


def test_a_single_patient_recompute_places_them_among_the_stored_costs(
    organisation, team, org_admin, nurse
):
    patients = _panel(team, org_admin, 20)
    complexity.complexity_recompute(organisation_id=organisation.pk, actor=NIGHTLY)
    target = patients[0]
    from apps.patients.services import clinical

    clinical.encounter_add(
        actor=nurse, patient=target, kind="inpatient", admit_date=days_ago(3), cost="999999"
    )
    assert PatientComplexity.objects.get(patient=target).cost_percentile == 95


def test_top_five_percent_cost_alone_crosses_utilization(organisation, team, org_admin):
    patients = _panel(team, org_admin, 20)
    Encounter.objects.filter(kind=EncounterKind.ED).update(kind=EncounterKind.OUTPATIENT)
    complexity.complexity_recompute(organisation_id=organisation.pk, actor=NIGHTLY)
    top = PatientComplexity.objects.get(patient=patients[-1])
    assert top.utilization_met is True
    assert "95th percentile reaches the 95th" in top.reasons["utilization"]["text"]
    assert PatientComplexity.objects.filter(utilization_met=True).count() == 1


def test_blank_thresholds_switch_evidence_off(organisation, team, org_admin, nurse):
    patient = factories.make_patient(team, actor=org_admin)
    make_complex(nurse, patient)
    thresholds = complexity.thresholds_for(organisation)
    thresholds.acute_events_min = None
    thresholds.save()
    complexity.complexity_recompute(organisation_id=organisation.pk, actor=NIGHTLY)
    row = PatientComplexity.objects.get(patient=patient)
    assert row.is_complex is False
    assert "needs the 95th" in row.reasons["utilization"]["text"]


def test_changing_thresholds_recomputes_the_organisation_after_commit(
    organisation, team, org_admin, nurse, django_capture_on_commit_callbacks
):
    patient = factories.make_patient(team, actor=org_admin)
    make_complex(nurse, patient)
    assert PatientComplexity.objects.get(patient=patient).is_complex
    thresholds = complexity.thresholds_for(organisation)
    with django_capture_on_commit_callbacks() as callbacks:
        complexity_thresholds_update(actor=org_admin, thresholds=thresholds, cci_min=6)
    assert len(callbacks) == 1
    from apps.patients.workers import complexity_recompute_organisation_task

    assert complexity_recompute_organisation_task(organisation.pk) == 1
    row = PatientComplexity.objects.get(patient=patient)
    assert row.is_complex is False
    assert "Charlson index 5 is below 6" in row.summary


def test_thresholds_are_validated_and_only_admins_change_them(organisation, org_admin, nurse):
    thresholds = complexity.thresholds_for(organisation)
    with pytest.raises(PermissionDenied):
        complexity_thresholds_update(actor=nurse, thresholds=thresholds, cci_min=1)
    with pytest.raises(ApplicationError) as refused:
        complexity_thresholds_update(actor=org_admin, thresholds=thresholds, adi_percentile_min=0)
    assert refused.value.field_errors == {
        "adi_percentile_min": ["Give a whole number from 1 to 100."]
    }
    thresholds.refresh_from_db()
    assert (thresholds.cci_min, thresholds.adi_percentile_min) == (3, 80)


def test_inactive_patients_are_left_out_of_the_population(organisation, team, org_admin):
    patients = _panel(team, org_admin, 10)
    patients[0].is_active = False
    patients[0].save()
    result = complexity.complexity_recompute(organisation_id=organisation.pk, actor=NIGHTLY)
    assert result.patients == 9
    assert not PatientComplexity.objects.filter(patient=patients[0]).exists()
