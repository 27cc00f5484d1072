"""Enrolment by benefit: the worklist orders by predicted benefit, allocates each
coordinator's free places by need, and enrol / decline / disenrol are recorded."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.measures import enrolment, priorities
from apps.measures.models import CoordinatorPanel, Enrolment, EnrolmentStatus
from apps.patients.models import PatientComplexity, RiskTier
from apps.teams.models import TeamMembership
from tests import factories


def _risk(patient, probability, tier):
    """A patient's stored risk, as the complexity job leaves it."""
    PatientComplexity.objects.update_or_create(
        patient=patient,
        defaults={
            "organisation_id": patient.organisation_id,
            "risk_probability": Decimal(probability),
            "risk_tier": tier,
            "as_of": timezone.localdate(),
            "computed_at": timezone.now(),
        },
    )


@pytest.fixture
def panel(team, nurse):
    """Rising 15 % (benefit 0.25 x 0.15 = 3.75 points), very high 60 % (0.1 x 0.6 = 6),
    high 30 % (0.2 x 0.3 = 6 points, lower risk than very high), low 5 % (not eligible)."""
    rows = {}
    for mrn, probability, tier in (
        ("RISING", "0.15", RiskTier.RISING),
        ("VHIGH", "0.60", RiskTier.VERY_HIGH),
        ("HIGH", "0.35", RiskTier.HIGH),
        ("LOW", "0.05", RiskTier.LOW),
    ):
        rows[mrn] = factories.make_patient(team, mrn=mrn)
        _risk(rows[mrn], probability, tier)
    return rows


def _mrns(worklist):
    return [row.patient.mrn for row in worklist.rows]


def test_worklist_orders_by_predicted_benefit_not_raw_risk(nurse, panel):
    worklist = enrolment.enrolment_worklist_for_user(user=nurse)
    # HIGH: 0.35 x 0.2 = 7 points; VHIGH: 0.6 x 0.1 = 6; RISING: 0.15 x 0.25 = 3.75.
    assert _mrns(worklist) == ["HIGH", "VHIGH", "RISING"]
    assert [row.benefit_points for row in worklist.rows] == ["7.0", "6.0", "3.8"]


def test_segment_reductions_are_the_organisations_own(nurse, panel, organisation):
    settings = priorities.priority_settings_for(organisation)
    settings.reduction_very_high = Decimal("0.5")
    settings.save()
    assert _mrns(enrolment.enrolment_worklist_for_user(user=nurse))[0] == "VHIGH"


def test_capacity_goes_to_the_largest_benefit_first(nurse, chw, team, panel, organisation):
    settings = priorities.priority_settings_for(organisation)
    settings.default_panel_size = 1
    settings.save()
    worklist = enrolment.enrolment_worklist_for_user(user=nurse)
    suggested = [(row.patient.mrn, row.suggested) for row in worklist.rows]
    # Two coordinators with one free place each: the two largest benefits get them.
    assert {user for _, user in suggested[:2]} == {nurse, chw}
    assert suggested[2] == ("RISING", None)


def test_a_coordinators_own_panel_size_and_enrolled_patients_count(nurse, chw, team, panel):
    CoordinatorPanel.objects.create(
        membership=TeamMembership.objects.get(user=chw, team=team), panel_size=0
    )
    worklist = enrolment.enrolment_worklist_for_user(user=nurse)
    assert {row.suggested for row in worklist.rows} == {nurse}


def test_enrol_records_date_coordinator_risk_and_benefit_and_leaves_the_worklist(nurse, chw, panel):
    patient = panel["HIGH"]
    row = enrolment.enrolment_enrol(actor=nurse, patient=patient, coordinator=chw)
    assert row.status == EnrolmentStatus.ENROLLED
    assert row.enrolled_on == timezone.localdate()
    assert row.coordinator == chw
    assert (row.risk_probability, row.benefit) == (Decimal("0.35"), Decimal("0.07"))
    assert "HIGH" not in _mrns(enrolment.enrolment_worklist_for_user(user=nurse))
    assert AuditEvent.objects.filter(
        object_type="measures.enrolment", action=AuditAction.UPDATE, patient_id=patient.pk
    ).exists()


def test_decline_needs_a_reason_and_disenrol_only_follows_enrolment(nurse, chw, panel):
    patient = panel["RISING"]
    with pytest.raises(ApplicationError) as error:
        enrolment.enrolment_decline(actor=nurse, patient=patient, reason="  ")
    assert "reason" in error.value.field_errors
    assert not Enrolment.objects.exists()
    with pytest.raises(ApplicationError):
        enrolment.enrolment_disenrol(actor=nurse, patient=patient, reason="Moved away")
    row = enrolment.enrolment_decline(actor=nurse, patient=patient, reason="Prefers not to")
    assert (row.status, row.declined_on, row.reason) == (
        EnrolmentStatus.DECLINED,
        timezone.localdate(),
        "Prefers not to",
    )
    with pytest.raises(ApplicationError) as refused:
        enrolment.enrolment_disenrol(actor=nurse, patient=patient, reason="Moved away")
    assert "Declined" in refused.value.message
    assert Enrolment.objects.get().status == EnrolmentStatus.DECLINED


def test_disenrol_frees_the_coordinators_place(nurse, chw, panel, organisation):
    settings = priorities.priority_settings_for(organisation)
    settings.default_panel_size = 1
    settings.save()
    enrolment.enrolment_enrol(actor=nurse, patient=panel["HIGH"], coordinator=chw)
    assert chw not in {
        row.suggested for row in enrolment.enrolment_worklist_for_user(user=nurse).rows
    }
    row = enrolment.enrolment_disenrol(actor=nurse, patient=panel["HIGH"], reason="Moved away")
    assert (row.status, row.disenrolled_on) == (EnrolmentStatus.DISENROLLED, timezone.localdate())
    assert chw in {row.suggested for row in enrolment.enrolment_worklist_for_user(user=nurse).rows}


def test_enrol_refuses_a_coordinator_from_another_team_and_a_non_coordinator(
    nurse, pcp, outsider, panel
):
    for wrong in (outsider, pcp, None):
        with pytest.raises(ApplicationError) as error:
            enrolment.enrolment_enrol(actor=nurse, patient=panel["HIGH"], coordinator=wrong)
        assert "coordinator" in error.value.field_errors
    assert not Enrolment.objects.exists()


def test_only_the_teams_coordinators_or_lead_enrol(pcp, outsider, nurse, panel):
    for user in (pcp, outsider):
        with pytest.raises(PermissionDenied):
            enrolment.enrolment_enrol(actor=user, patient=panel["HIGH"], coordinator=nurse)
    assert not Enrolment.objects.exists()


def test_page_lists_the_worklist_with_suggested_coordinator_and_audits(client_for, nurse, panel):
    response = client_for(nurse).get(reverse("measures:enrolment"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("HIGH") < body.index("VHIGH") < body.index("RISING")
    assert ">LOW<" not in body
    listed = AuditEvent.objects.filter(actor=nurse, action=AuditAction.LIST)
    worklist_event = listed.get(detail__list="enrolment_worklist")
    assert set(worklist_event.patient_ids) == {panel[mrn].pk for mrn in ("HIGH", "VHIGH", "RISING")}


def test_page_actions_enrol_decline_and_disenrol(client_for, nurse, chw, panel):
    client = client_for(nurse)
    high, rising = panel["HIGH"], panel["RISING"]
    response = client.post(reverse("measures:enrol", args=[high.pk]), {"coordinator": chw.pk})
    assert response.status_code == 302
    client.post(reverse("measures:decline", args=[rising.pk]), {"reason": "Not now"})
    client.post(reverse("measures:disenrol", args=[high.pk]), {"reason": "Moved away"})
    states = dict(Enrolment.objects.values_list("patient__mrn", "status"))
    assert states == {"HIGH": EnrolmentStatus.DISENROLLED, "RISING": EnrolmentStatus.DECLINED}


def test_a_refused_action_is_shown_where_the_user_clicked_and_nothing_changes(
    client_for, nurse, panel
):
    response = client_for(nurse).post(
        reverse("measures:decline", args=[panel["HIGH"].pk]),
        {"reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert response["X-Refusal"] == "1"
    assert "Say why the patient declined" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_role_matrix_another_teams_patient_is_not_found_and_never_listed(
    client, client_for, outsider, pcp, nurse, panel, other_patient
):
    _risk(other_patient, "0.5", RiskTier.VERY_HIGH)
    url = reverse("measures:enrolment")
    assert client.get(url).status_code == 302
    assert client.post(reverse("measures:enrol", args=[panel["HIGH"].pk])).status_code == 302
    outsider_body = client_for(outsider).get(url).content.decode()
    assert "HIGH" not in outsider_body
    assert other_patient.mrn in outsider_body
    assert other_patient.mrn not in client_for(nurse).get(url).content.decode()
    response = client_for(outsider).post(
        reverse("measures:enrol", args=[panel["HIGH"].pk]), {"coordinator": outsider.pk}
    )
    assert response.status_code == 404
    response = client_for(pcp).post(
        reverse("measures:decline", args=[panel["HIGH"].pk]),
        {"reason": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    assert not Enrolment.objects.exists()


def test_worklist_query_count_is_fixed(client_for, nurse, team, django_assert_max_num_queries):
    factories.make_member(team, Role.CHW, username="chw2")
    for number in range(12):
        person = factories.make_patient(team, mrn=f"Q{number}")
        _risk(person, "0.3", RiskTier.HIGH)
    client = client_for(nurse)
    client.get(reverse("measures:enrolment"))
    with django_assert_max_num_queries(16):
        body = client.get(reverse("measures:enrolment")).content.decode()
    assert body.count('id="worklist-') == 12


def _settings_form(settings):
    return {name: getattr(settings, name) for name in priorities.PRIORITY_FIELDS}


def test_admin_sets_segment_reductions_and_they_are_audited(client_for, org_admin, organisation):
    settings = priorities.priority_settings_for(organisation)
    response = client_for(org_admin).post(
        reverse("admin:measures_prioritysettings_change", args=[settings.pk]),
        _settings_form(settings) | {"reduction_high": "0.3", "eligible_from": "high"},
    )
    assert response.status_code == 302
    settings.refresh_from_db()
    assert (settings.reduction_high, settings.eligible_from) == (Decimal("0.3"), "high")
    assert AuditEvent.objects.filter(
        object_type="measures.prioritysettings", action=AuditAction.UPDATE
    ).exists()


def test_admin_reduction_above_one_is_a_form_error_and_nothing_changes(
    client_for, org_admin, organisation
):
    settings = priorities.priority_settings_for(organisation)
    response = client_for(org_admin).post(
        reverse("admin:measures_prioritysettings_change", args=[settings.pk]),
        _settings_form(settings) | {"reduction_low": "1.5"},
    )
    assert response.status_code == 200
    assert "Give a fraction from 0 to 1" in response.content.decode()
    settings.refresh_from_db()
    assert settings.reduction_low == Decimal("0.05")


def test_priority_settings_are_for_the_organisation_admin_only(nurse, organisation):
    with pytest.raises(PermissionDenied):
        priorities.priority_settings_update(
            actor=nurse,
            settings=priorities.priority_settings_for(organisation),
            default_panel_size=5,
        )


def test_admin_sets_a_coordinators_own_panel_size(client_for, org_admin, chw, team):
    membership = TeamMembership.objects.get(user=chw, team=team)
    response = client_for(org_admin).post(
        reverse("admin:measures_coordinatorpanel_add"),
        {"membership": membership.pk, "panel_size": 12},
    )
    assert response.status_code == 302
    assert CoordinatorPanel.objects.get().panel_size == 12


def test_an_account_of_no_organisation_gets_empty_pages_not_an_error(client_for, organisation):
    root = factories.make_user(organisation, username="root", is_staff=True, is_superuser=True)
    root.organisation = None
    root.save(update_fields=["organisation"])
    for name in ("measures:enrolment", "measures:equity", "measures:triage"):
        response = client_for(root).get(reverse(name))
        assert response.status_code == 200


def test_the_nightly_job_ends_the_enrolment_of_a_patient_who_died_dated_the_day_of_death(
    nurse, chw, panel
):
    from datetime import datetime, timedelta

    from apps.measures.workers import measure_snapshots_nightly_task

    died, alive = panel["HIGH"], panel["RISING"]
    for patient in (died, alive):
        enrolment.enrolment_enrol(actor=nurse, patient=patient, coordinator=chw)
    death_day = timezone.localdate() - timedelta(days=2)
    died.deceased = True
    died.deceased_at = timezone.make_aware(datetime.combine(death_day, datetime.min.time()))
    died.save(update_fields=["deceased", "deceased_at"])
    measure_snapshots_nightly_task.apply()
    row = Enrolment.objects.get(patient=died)
    assert (row.status, row.disenrolled_on, row.reason) == (
        EnrolmentStatus.DISENROLLED,
        death_day,
        "Died",
    )
    assert Enrolment.objects.get(patient=alive).status == EnrolmentStatus.ENROLLED
    event = AuditEvent.objects.filter(patient_id=died.pk, object_type="measures.enrolment").latest(
        "pk"
    )
    assert (event.action, event.detail["job"]) == (
        AuditAction.UPDATE,
        enrolment.DEATH_JOB,
    )
    assert died.pk not in {row.patient_id for row in enrolment.enrolled_list_for_user(user=nurse)}


def test_a_patient_who_died_cannot_be_enrolled(nurse, chw, panel):
    patient = panel["VHIGH"]
    patient.deceased = True
    patient.save(update_fields=["deceased"])
    with pytest.raises(ApplicationError) as refused:
        enrolment.enrolment_enrol(actor=nurse, patient=patient, coordinator=chw)
    assert "died" in refused.value.message
    assert not Enrolment.objects.filter(patient=patient).exists()
