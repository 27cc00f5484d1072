"""The measures page, its export and click-throughs: who sees what, audited, fixed queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import Encounter, EncounterKind, Patient
from apps.teams.models import CareTeam
from tests import factories
from tests.transitions.factories import discharged_home

pytestmark = pytest.mark.django_db

PAGE = "/measures/"
CLICK = "/measures/{code}/patients/"


def _population(team: CareTeam, size: int) -> list[Patient]:
    patients = [factories.make_patient(team) for _ in range(size)]
    today = timezone.localdate()
    Encounter.objects.bulk_create(
        Encounter(patient=p, kind=EncounterKind.ED, admit_date=today - timedelta(days=3))
        for p in patients
    )
    return patients


def test_anonymous_is_sent_to_sign_in(client) -> None:
    for url in (PAGE, f"{PAGE}export.csv", CLICK.format(code="full-team")):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_member_sees_their_teams_figures_and_not_another_teams(
    client_for, team: CareTeam, other_team: CareTeam, nurse: User, outsider: User
) -> None:
    _population(team, 2)
    _population(other_team, 3)
    response = client_for(nurse).get(PAGE)
    assert response.status_code == 200
    figures = {f.code: f for f in response.context["figures"]}
    assert figures["full-team"].denominator == 2
    assert figures["ed-visits-per-1000-patient-months"].numerator == 2
    assert client_for(outsider).get(PAGE).context["figures"][0].denominator == 3


def test_asking_for_another_teams_figures_shows_nothing_of_it(
    client_for, team: CareTeam, other_team: CareTeam, nurse: User
) -> None:
    _population(other_team, 3)
    response = client_for(nurse).get(PAGE, {"team": other_team.pk})
    assert response.status_code == 400
    assert "team" in response.context["form"].errors
    assert all(f.denominator == 0 for f in response.context["figures"])


def test_a_period_ending_before_it_starts_is_a_field_error(client_for, nurse: User) -> None:
    response = client_for(nurse).get(PAGE, {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors


def test_click_through_lists_only_the_users_teams_patients_and_is_audited(
    client_for, team: CareTeam, other_team: CareTeam, nurse: User, org_admin: User
) -> None:
    mine = _population(team, 2)
    theirs = _population(other_team, 2)
    factories.make_member(other_team, user=org_admin)  # the admin is on the other team only
    response = client_for(nurse).get(CLICK.format(code="ed-visits-per-1000-patient-months"))
    assert response.status_code == 200
    listed = {row.patient.pk for row in response.context["rows"]}
    assert listed == {p.pk for p in mine}
    for patient in theirs:
        assert patient.mrn not in response.content.decode()
    event = AuditEvent.objects.filter(action=AuditAction.LIST, actor=nurse).latest("pk")
    assert sorted(event.patient_ids) == sorted(p.pk for p in mine)
    assert event.detail["measure"] == "ed-visits-per-1000-patient-months"
    # An organisation admin sees organisation-wide figures but only their own team's patients.
    admin_page = client_for(org_admin).get(PAGE)
    assert admin_page.context["figures"][0].denominator == 4
    admin_click = client_for(org_admin).get(CLICK.format(code="full-team"))
    assert {row.patient.pk for row in admin_click.context["rows"]} == {p.pk for p in theirs}


def test_click_through_marks_who_is_in_the_numerator(
    client_for, team: CareTeam, nurse: User, pcp: User
) -> None:
    now = timezone.now()
    visited = _population(team, 1)[0]
    quiet = factories.make_patient(team)
    discharged_home(quiet, at=now - timedelta(days=40))
    response = client_for(nurse).get(CLICK.format(code="ed-visits-per-1000-patient-months"))
    rows = {row.patient.pk: row.in_numerator for row in response.context["rows"]}
    assert rows == {visited.pk: True, quiet.pk: False}


def test_unknown_measure_is_not_found(client_for, nurse: User) -> None:
    assert client_for(nurse).get(CLICK.format(code="no-such-measure")).status_code == 404


def test_measures_page_runs_a_fixed_number_of_queries_whatever_the_population(
    client_for, team: CareTeam, nurse: User, pcp: User
) -> None:
    client = client_for(nurse)
    _population(team, 2)
    client.get(PAGE)  # warm the per-process caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(PAGE).status_code == 200
    more = _population(team, 25)
    for patient in more[:5]:
        discharged_home(patient, at=timezone.now() - timedelta(days=35))
    with CaptureQueriesContext(connection) as large:
        assert client.get(PAGE).status_code == 200
    assert len(large) == len(small)
    # Session, user, team rights, the two filter choices, the look for last night's stored
    # figures (none here), one query per figure (7) and one for the three continuity figures.
    assert len(large) == 14


def test_export_is_the_figures_table_as_csv_without_patient_names(
    client_for, team: CareTeam, nurse: User
) -> None:
    patients = _population(team, 2)
    response = client_for(nurse).get(f"{PAGE}export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["group", "code", "measure", "numerator", "denominator"]
    by_code = {row[1]: row for row in rows[1:]}
    assert by_code["full-team"][3:5] == ["0", "2"]
    body = response.content.decode()
    assert all(p.family_name not in body and p.mrn not in body for p in patients)


def test_nav_links_to_the_measures_page(client_for, nurse: User) -> None:
    assert reverse("measures:page") in client_for(nurse).get(PAGE).content.decode()


def test_continuity_click_through_page_shows_the_patients_indices(
    client_for, team: CareTeam, nurse: User
) -> None:
    patient = factories.make_patient(team)
    today = timezone.localdate()
    Encounter.objects.bulk_create(
        Encounter(
            patient=patient,
            kind=EncounterKind.OUTPATIENT,
            admit_date=today - timedelta(days=days),
            attending_provider="Dr A",
        )
        for days in (3, 6, 9)
    )
    response = client_for(nurse).get(CLICK.format(code="continuity-upc"))
    assert response.status_code == 200
    body = response.content.decode()
    assert patient.mrn in body
    assert "1.00" in body


def test_a_user_on_no_team_sees_empty_figures_and_no_patients(
    client_for, organisation, team: CareTeam, nurse: User
) -> None:
    _population(team, 2)
    nobody = factories.make_user(organisation, username="nobody")
    page = client_for(nobody).get(PAGE)
    assert page.status_code == 200
    assert all(f.denominator == 0 and f.numerator == 0 for f in page.context["figures"])
    click = client_for(nobody).get(CLICK.format(code="full-team"))
    assert click.status_code == 200
    assert click.context["rows"] == []


def test_coordinator_filter_narrows_the_page_to_their_panel(
    client_for, team: CareTeam, other_team: CareTeam, nurse: User, pcp: User
) -> None:
    _population(team, 2)
    other_lead = factories.make_member(other_team, is_lead=True)
    factories.make_member(other_team, user=pcp)
    _population(other_team, 3)
    client = client_for(pcp)
    assert client.get(PAGE).context["figures"][0].denominator == 5
    narrowed = client.get(PAGE, {"coordinator": other_lead.pk})
    assert narrowed.context["figures"][0].denominator == 3
    assert other_lead.display_name in narrowed.context["scope"].label


def test_the_page_says_a_coordinators_patients_are_those_they_lead(
    client_for, team: CareTeam, nurse: User
) -> None:
    page = client_for(nurse).get(PAGE).content.decode()
    assert 'id="coordinator-definition"' in page
    assert "patients whose lead coordinator they are" in page


def test_coordinator_choices_are_oneself_and_the_leads_of_ones_teams(
    client_for, team: CareTeam, other_team: CareTeam, nurse: User, pcp: User
) -> None:
    other_lead = factories.make_member(other_team, is_lead=True)
    plain_member = factories.make_member(team, username="plain")
    choices = dict(client_for(pcp).get(PAGE).context["form"].fields["coordinator"].choices)
    assert nurse.pk in choices
    assert pcp.pk in choices
    assert other_lead.pk not in choices
    assert plain_member.pk not in choices


def test_asking_for_another_teams_coordinator_shows_nothing_of_their_patients(
    client_for, team: CareTeam, other_team: CareTeam, nurse: User
) -> None:
    other_lead = factories.make_member(other_team, is_lead=True)
    _population(other_team, 3)
    response = client_for(nurse).get(PAGE, {"coordinator": other_lead.pk})
    assert response.status_code == 400
    assert response.context["figures"][0].denominator == 0  # not the other team's 3
    click = client_for(nurse).get(CLICK.format(code="full-team"), {"coordinator": other_lead.pk})
    assert {row.patient.care_team_id for row in click.context["rows"]} <= {team.pk}
