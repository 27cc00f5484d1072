"""seed_scale on a small panel: coherent teams, members, grants, patients and audit."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.accounts.models import Organisation, User
from apps.core.actors import JobActor
from apps.core.models import AuditAction, AuditEvent
from apps.demo.seeders.scale import (
    IDENTIFIER_AUTHORITY,
    LEAD_ROLE,
    SCALE_PASSWORD,
    TEAM_ROLES,
    scale_organisation_name,
)
from apps.patients.complexity import RECOMPUTE_ALL_JOB, complexity_recompute
from apps.patients.models import Patient, PatientComplexity, PatientIdentifier
from apps.patients.permissions import has_patient_permission, visible_patients
from apps.patients.selectors import patient_page_for_user
from apps.teams.models import CareTeam, TeamMembership
from apps.teams.permissions import LEAD_PERMISSIONS, ROLE_PERMISSIONS, team_permissions_for_user

NIGHTLY = JobActor(job=RECOMPUTE_ALL_JOB)

PATIENTS = 45
TEAM_SIZE = 20


def _seed() -> str:
    out = StringIO()
    call_command("seed_scale", patients=PATIENTS, team_size=TEAM_SIZE, stdout=out)
    return out.getvalue()


@pytest.fixture
def panel(db: None) -> Organisation:
    _seed()
    return Organisation.objects.get(name=scale_organisation_name(PATIENTS))


def _teams(organisation: Organisation) -> list[CareTeam]:
    return list(CareTeam.objects.filter(organisation=organisation).order_by("name"))


def test_patients_fill_teams_of_the_given_size_in_order(panel: Organisation) -> None:
    teams = _teams(panel)
    sizes = [Patient.objects.filter(care_team=team).count() for team in teams]
    assert sizes == [20, 20, 5]
    assert Patient.objects.filter(organisation=panel).values("mrn").distinct().count() == PATIENTS


def test_every_patient_has_one_hospital_identifier(panel: Organisation) -> None:
    identifiers = PatientIdentifier.objects.filter(patient__organisation=panel)
    assert identifiers.count() == PATIENTS
    assert identifiers.values("patient").distinct().count() == PATIENTS
    assert set(identifiers.values_list("assigning_authority", flat=True)) == {IDENTIFIER_AUTHORITY}


def test_stored_complexity_is_what_the_engine_computes_for_no_evidence(
    panel: Organisation,
) -> None:
    assert PatientComplexity.objects.filter(organisation=panel).count() == PATIENTS
    result = complexity_recompute(organisation_id=panel.pk, actor=NIGHTLY)
    assert result.patients == PATIENTS
    assert result.changed == []


def test_each_team_has_one_member_per_role_and_the_coordinator_leads(
    panel: Organisation,
) -> None:
    for team in _teams(panel):
        members = TeamMembership.objects.filter(team=team, ended_at__isnull=True)
        assert sorted(members.values_list("role", flat=True)) == sorted(
            role for _stem, role in TEAM_ROLES
        )
        assert list(members.filter(is_lead=True).values_list("role", flat=True)) == [LEAD_ROLE]


def test_members_see_exactly_their_own_teams_patients(panel: Organisation) -> None:
    teams = _teams(panel)
    for team in teams:
        expected = set(Patient.objects.filter(care_team=team).values_list("pk", flat=True))
        for membership in TeamMembership.objects.filter(team=team).select_related("user"):
            seen = set(visible_patients(membership.user).values_list("pk", flat=True))
            assert seen == expected, membership.role


def test_rights_come_from_the_real_role_grants(panel: Organisation) -> None:
    team = _teams(panel)[0]
    other = _teams(panel)[1]
    for membership in TeamMembership.objects.filter(team=team).select_related("user"):
        wanted = set(ROLE_PERMISSIONS[membership.role])
        if membership.is_lead:
            wanted |= LEAD_PERMISSIONS
        rights = team_permissions_for_user(membership.user)
        assert rights == {team.pk: frozenset(wanted)}, membership.role
    pharmacist = TeamMembership.objects.get(team=team, role="pharmacist").user
    coordinator = TeamMembership.objects.get(team=team, is_lead=True).user
    own = Patient.objects.filter(care_team=team).first()
    foreign = Patient.objects.filter(care_team=other).first()
    assert own is not None
    assert foreign is not None
    assert has_patient_permission(pharmacist, own, "verify_medication_reconciliation")
    assert not has_patient_permission(coordinator, own, "verify_medication_reconciliation")
    assert not has_patient_permission(pharmacist, foreign, "view_patient_record")


def test_the_coordinator_lists_their_team_through_the_selector(panel: Organisation) -> None:
    team = _teams(panel)[2]
    coordinator = TeamMembership.objects.get(team=team, is_lead=True).user
    page = patient_page_for_user(user=coordinator, page_size=50)
    assert page.total == 5
    assert {patient.care_team.id for patient in page.patients} == {team.pk}
    names = [(p.family_name, p.given_name, p.pk) for p in page.patients]
    assert names == sorted(names)


def test_members_log_in_with_the_shared_password(panel: Organisation) -> None:
    users = User.objects.filter(organisation=panel)
    assert users.count() == 3 * len(TEAM_ROLES) + 1
    assert all(user.check_password(SCALE_PASSWORD) for user in users)


def test_the_bulk_patient_writes_are_audited_per_team(panel: Organisation) -> None:
    events = AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="patients.patient", detail__bulk="seed_scale"
    )
    assert events.count() == 3
    audited = sorted(pk for event in events for pk in event.patient_ids)
    assert audited == sorted(
        Patient.objects.filter(organisation=panel).values_list("pk", flat=True)
    )


def test_seeding_again_keeps_the_existing_panel(panel: Organisation) -> None:
    output = _seed()
    assert "already loaded (45 patients)" in output
    assert Patient.objects.filter(organisation=panel).count() == PATIENTS
    assert Organisation.objects.filter(name__startswith="Scale panel").count() == 1
