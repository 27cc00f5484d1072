"""Nightly monthly snapshots and the trends page built from them."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.accounts.models import Organisation, User
from apps.core.models import JobRun
from apps.measures.models import MeasureSnapshot, PeriodSnapshot
from apps.measures.snapshots import HISTORY_MONTHS, snapshot_organisation
from apps.measures.workers import measure_snapshots_nightly_task
from apps.patients.models import Encounter, EncounterKind, Patient
from apps.teams.models import CareTeam
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 4, 0, tzinfo=ZoneInfo("America/New_York"))
TRENDS = "/measures/trends/"


def _ed_visit(patient: Patient, on: date) -> None:
    Encounter.objects.create(patient=patient, kind=EncounterKind.ED, admit_date=on)


def _snapshot(organisation: Organisation, team: CareTeam | None, month: date, code: str):
    return MeasureSnapshot.objects.get(
        organisation=organisation, team=team, coordinator=None, month=month, code=code
    )


def test_the_nightly_snapshot_stores_a_year_of_months_for_the_organisation_and_each_team(
    organisation: Organisation, team: CareTeam, other_team: CareTeam, patient: Patient
) -> None:
    _ed_visit(patient, date(2026, 2, 10))
    result = snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    assert result.months == HISTORY_MONTHS * 3  # organisation + two teams
    february = _snapshot(organisation, team, date(2026, 2, 1), "ed-visits-per-1000-patient-months")
    assert february.numerator == 1
    assert _snapshot(organisation, None, date(2026, 2, 1), "full-team").denominator == 1
    assert _snapshot(organisation, other_team, date(2026, 2, 1), "full-team").denominator == 0


def test_a_settled_month_does_not_shift_when_records_change_later(
    organisation: Organisation, team: CareTeam, patient: Patient
) -> None:
    code = "ed-visits-per-1000-patient-months"
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    # A late-entered visit in a settled month (January) and in the month under way (March).
    _ed_visit(patient, date(2026, 1, 20))
    _ed_visit(patient, date(2026, 3, 2))
    later = NOW + timedelta(days=1)
    rerun = snapshot_organisation(organisation_id=organisation.pk, now=later)
    assert _snapshot(organisation, team, date(2026, 1, 1), code).numerator == 0
    assert _snapshot(organisation, team, date(2026, 3, 1), code).numerator == 1
    # Only March, under way, is recomputed (for the organisation and the team).
    assert rerun.months == 2


def test_the_nightly_task_is_recorded_as_a_job_run(
    organisation: Organisation, team: CareTeam
) -> None:
    assert measure_snapshots_nightly_task() >= 1
    run = JobRun.objects.get(name="apps.measures.workers.measure_snapshots_nightly_task")
    assert run.last_success_at is not None


def test_trends_page_draws_an_svg_chart_per_figure_with_month_labels(
    client_for, organisation: Organisation, team: CareTeam, nurse: User, patient: Patient
) -> None:
    _ed_visit(patient, date(2026, 2, 10))
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    response = client_for(nurse).get(TRENDS)
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count("<svg") == len(response.context["charts"])
    assert "Feb 26" in text
    assert "<script" not in text.split("<main", 1)[-1].split("</main>")[0]


def test_trends_of_another_team_are_not_found(
    client_for, organisation: Organisation, other_team: CareTeam, nurse: User
) -> None:
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    assert client_for(nurse).get(TRENDS, {"team": other_team.pk}).status_code == 404
    assert client_for(nurse).get(TRENDS + "export.csv", {"team": other_team.pk}).status_code == 404


def test_organisation_trends_are_for_its_admin_and_a_member_gets_their_team(
    client_for, organisation: Organisation, team: CareTeam, nurse: User, org_admin: User
) -> None:
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    assert client_for(org_admin).get(TRENDS).context["scope"].team is None
    assert client_for(nurse).get(TRENDS).context["scope"].team == team


def test_trends_csv_has_every_stored_month_of_every_figure(
    client_for, organisation: Organisation, team: CareTeam, nurse: User
) -> None:
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    response = client_for(nurse).get(TRENDS + "export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    stored = MeasureSnapshot.objects.filter(team=team).count()
    assert len(rows) - 1 == stored
    assert rows[0][:2] == ["scope", "month"]


def test_anonymous_is_sent_to_sign_in_from_trends(client) -> None:
    for url in (TRENDS, TRENDS + "export.csv"):
        response = client.get(url)
        assert response.status_code == 302


def test_only_an_admin_refreshes_trends(client_for, nurse: User) -> None:
    assert client_for(nurse).post(TRENDS + "refresh/").status_code == 403


def test_snapshot_now_defaults_to_the_present(organisation: Organisation, team: CareTeam) -> None:
    result = snapshot_organisation(organisation_id=organisation.pk)
    this_month = timezone.localdate().replace(day=1)
    assert MeasureSnapshot.objects.filter(month=this_month, team=team).exists()
    assert result.rows > 0


def _assert_stored_as_computed(stored_rows, teams, period, now) -> None:
    """Each team's stored figures, and the organisation's, are the page's computed ones."""
    from apps.measures.selectors import Scope, measure_figures

    scopes = {team.pk: Scope(label="", team_ids=(team.pk,)) for team in teams}
    scopes[None] = Scope(
        label="", team_ids=tuple(team.pk for team in teams), organisation_wide=True
    )
    for team_id, scope in scopes.items():
        computed = {
            figure.code: (figure.numerator, figure.denominator, figure.rate)
            for figure in measure_figures(scope=scope, period=period, now=now)
        }
        stored = {
            row.code: (row.numerator, row.denominator, row.rate)
            for row in stored_rows.filter(team_id=team_id, coordinator=None)
        }
        assert stored == computed, team_id


def test_a_snapshot_holds_the_same_figures_as_the_measures_page_for_each_team_and_the_whole(
    organisation: Organisation, team: CareTeam, other_team: CareTeam, nurse: User
) -> None:
    from apps.measures.selectors import Period

    for owner_team, visits in ((team, 2), (other_team, 1)):
        for _ in range(visits):
            patient = factories.make_patient(owner_team)
            _ed_visit(patient, date(2026, 2, 10))
            for day in (3, 9, 17):
                Encounter.objects.create(
                    patient=patient,
                    kind=EncounterKind.OUTPATIENT,
                    admit_date=date(2026, 2, day),
                    attending_provider="Dr. A" if day != 9 else "Dr. B",
                )
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    period = Period(start=date(2026, 2, 1), end=date(2026, 2, 28))
    _assert_stored_as_computed(
        MeasureSnapshot.objects.filter(month=date(2026, 2, 1)), (team, other_team), period, NOW
    )


def test_the_measures_page_shows_a_whole_ended_month_from_its_snapshot(
    client_for, organisation: Organisation, team: CareTeam, nurse: User, patient: Patient
) -> None:
    _ed_visit(patient, date(2026, 2, 10))
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    _ed_visit(patient, date(2026, 2, 11))  # entered after February settled: not in its history
    february = {"start": "2026-02-01", "end": "2026-02-28"}
    response = client_for(nurse).get("/measures/", february)
    figures = {figure.code: figure for figure in response.context["figures"]}
    assert response.context["stored_at"] is not None
    assert figures["ed-visits-per-1000-patient-months"].numerator == 1
    assert "stored by the nightly job" in response.content.decode()
    # Any other period is computed live.
    live = client_for(nurse).get("/measures/", {"start": "2026-02-01", "end": "2026-02-27"})
    assert live.context["stored_at"] is None
    live_figures = {figure.code: figure for figure in live.context["figures"]}
    assert live_figures["ed-visits-per-1000-patient-months"].numerator == 2


def test_all_my_teams_adds_up_each_teams_stored_month(
    client_for, organisation: Organisation, team: CareTeam, other_team: CareTeam
) -> None:
    both = factories.make_member(team, username="both")
    factories.make_member(other_team, user=both)
    for owner_team in (team, other_team):
        _ed_visit(factories.make_patient(owner_team), date(2026, 2, 10))
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    response = client_for(both).get("/measures/", {"start": "2026-02-01", "end": "2026-02-28"})
    figures = {figure.code: figure for figure in response.context["figures"]}
    assert response.context["stored_at"] is not None
    assert figures["ed-visits-per-1000-patient-months"].numerator == 2
    assert figures["full-team"].denominator == 2


def test_the_patients_behind_a_figure_export_to_csv_for_own_teams_only_and_audited(
    client_for,
    team: CareTeam,
    other_team: CareTeam,
    nurse: User,
    patient: Patient,
    other_patient: Patient,
) -> None:
    from apps.core.models import AuditAction, AuditEvent

    response = client_for(nurse).get("/measures/full-team/patients.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [row[0] for row in rows[1:]] == [patient.mrn]
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=nurse).get()
    assert event.patient_ids == [patient.pk]


def test_the_nightly_snapshot_stores_each_lead_coordinators_month_as_their_teams_figures(
    organisation: Organisation, team: CareTeam, other_team: CareTeam, nurse: User
) -> None:
    from apps.measures.selectors import Period, Scope, measure_figures

    # The nurse leads both teams; the other team's lead is someone else until today.
    factories.make_member(other_team, user=nurse)
    other_team.memberships.filter(user=nurse).update(is_lead=True)
    for owner_team, visits in ((team, 2), (other_team, 1)):
        for _ in range(visits):
            _ed_visit(factories.make_patient(owner_team), date(2026, 2, 10))
    quiet_lead = factories.make_member(factories.make_team(organisation, "Quiet"), is_lead=True)
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    period = Period(start=date(2026, 2, 1), end=date(2026, 2, 28))
    led = Scope(label="", team_ids=(team.pk, other_team.pk), coordinator_id=nurse.pk)
    page = {
        figure.code: (figure.numerator, figure.denominator, figure.rate)
        for figure in measure_figures(scope=led, period=period, now=NOW)
    }
    stored = {
        row.code: (row.numerator, row.denominator, row.rate)
        for row in MeasureSnapshot.objects.filter(coordinator=nurse, month=date(2026, 2, 1))
    }
    assert stored == page
    assert stored["ed-visits-per-1000-patient-months"][0] == 3
    quiet = MeasureSnapshot.objects.get(
        coordinator=quiet_lead, month=date(2026, 2, 1), code="ed-visits-per-1000-patient-months"
    )
    assert quiet.numerator == 0


def test_a_coordinators_whole_ended_month_is_read_from_their_stored_row(
    client_for, organisation: Organisation, team: CareTeam, nurse: User, pcp: User
) -> None:
    _ed_visit(factories.make_patient(team), date(2026, 2, 10))
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    asked = {"start": "2026-02-01", "end": "2026-02-28", "coordinator": nurse.pk}
    response = client_for(pcp).get("/measures/", asked)
    figures = {figure.code: figure for figure in response.context["figures"]}
    assert response.context["stored_at"] is not None
    assert figures["ed-visits-per-1000-patient-months"].numerator == 1


def test_organisation_trends_leave_out_the_coordinators_rows(
    client_for, organisation: Organisation, team: CareTeam, nurse: User, org_admin: User
) -> None:
    _ed_visit(factories.make_patient(team), date(2026, 2, 10))
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    assert MeasureSnapshot.objects.filter(coordinator=nurse).exists()
    response = client_for(org_admin).get(TRENDS)
    assert response.status_code == 200
    ed = next(c for c in response.context["charts"] if c.code.startswith("ed-"))
    months = [point.month for point in ed.points]
    assert len(months) == len(set(months))


def test_a_lead_coordinators_trends_are_their_stored_months(
    client_for, organisation: Organisation, team: CareTeam, nurse: User, pcp: User
) -> None:
    _ed_visit(factories.make_patient(team), date(2026, 2, 10))
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    response = client_for(pcp).get(TRENDS, {"coordinator": nurse.pk})
    assert response.status_code == 200
    assert response.context["scope"].coordinator == nurse
    ed = next(c for c in response.context["charts"] if c.code.startswith("ed-"))
    february = next(point for point in ed.points if point.month == date(2026, 2, 1))
    assert february.numerator == 1


def test_trends_of_a_coordinator_who_also_leads_a_team_one_does_not_see_are_not_found(
    client_for, organisation: Organisation, team: CareTeam, other_team: CareTeam, nurse: User,
    pcp: User,
) -> None:  # fmt: skip
    factories.make_member(other_team, user=nurse, is_lead=True)
    snapshot_organisation(organisation_id=organisation.pk, now=NOW)
    assert client_for(pcp).get(TRENDS, {"coordinator": nurse.pk}).status_code == 404
    assert client_for(nurse).get(TRENDS, {"coordinator": nurse.pk}).status_code == 200


# --- the default period, stored each night ------------------------------------------------


def _figures_of(response) -> dict[str, object]:
    return {figure.code: figure for figure in response.context["figures"]}


def test_the_default_page_is_read_from_last_nights_stored_period_and_computed_now_on_request(
    client_for, organisation: Organisation, team: CareTeam, nurse: User, patient: Patient
) -> None:
    code = "ed-visits-per-1000-patient-months"
    yesterday = timezone.localdate() - timedelta(days=1)
    _ed_visit(patient, yesterday)
    snapshot_organisation(organisation_id=organisation.pk, now=timezone.now())
    _ed_visit(patient, yesterday)  # documented after the night's run
    page = client_for(nurse).get("/measures/")
    assert page.context["stored_at"] is not None
    assert _figures_of(page)[code].numerator == 1
    assert 'id="compute-now"' in page.content.decode()
    live = client_for(nurse).get("/measures/", {"live": "1"})
    assert live.context["stored_at"] is None
    assert _figures_of(live)[code].numerator == 2
    # The CSV of the page gives the figures the page shows.
    export = client_for(nurse).get("/measures/export.csv").content.decode()
    rows = list(csv.reader(io.StringIO(export)))
    assert [row[3] for row in rows[1:] if row[1] == code] == ["1"]


def test_the_stored_default_period_equals_the_live_figures_for_every_scope(
    client_for, organisation: Organisation, team: CareTeam, other_team: CareTeam, nurse: User
) -> None:
    from apps.measures.selectors import default_period

    for owner_team, visits in ((team, 2), (other_team, 1)):
        for _ in range(visits):
            _ed_visit(factories.make_patient(owner_team), timezone.localdate() - timedelta(days=3))
    now = timezone.now()
    snapshot_organisation(organisation_id=organisation.pk, now=now)
    period = default_period()
    stored = PeriodSnapshot.objects.filter(start=period.start, end=period.end)
    _assert_stored_as_computed(stored, (team, other_team), period, now)


def test_each_night_replaces_the_stored_default_period_and_a_stale_one_is_never_shown(
    client_for, organisation: Organisation, team: CareTeam, nurse: User, patient: Patient
) -> None:
    code = "ed-visits-per-1000-patient-months"
    _ed_visit(patient, timezone.localdate() - timedelta(days=1))
    # Only the night before last ran: its stored period ends two days ago, not yesterday.
    snapshot_organisation(organisation_id=organisation.pk, now=timezone.now() - timedelta(days=1))
    page = client_for(nurse).get("/measures/")
    assert page.context["stored_at"] is None  # computed live
    assert _figures_of(page)[code].numerator == 1
    snapshot_organisation(organisation_id=organisation.pk, now=timezone.now())
    assert set(PeriodSnapshot.objects.values_list("end", flat=True)) == {
        timezone.localdate() - timedelta(days=1)
    }
    assert client_for(nurse).get("/measures/").context["stored_at"] is not None


def test_the_stored_default_period_of_a_team_one_does_not_see_is_not_shown(
    client_for, organisation: Organisation, team: CareTeam, other_team: CareTeam, nurse: User
) -> None:
    code = "ed-visits-per-1000-patient-months"
    _ed_visit(factories.make_patient(other_team), timezone.localdate() - timedelta(days=2))
    snapshot_organisation(organisation_id=organisation.pk, now=timezone.now())
    page = client_for(nurse).get("/measures/")
    assert page.context["stored_at"] is not None
    assert _figures_of(page)[code].numerator == 0
    refused = client_for(nurse).get("/measures/", {"team": other_team.pk})
    assert refused.status_code == 400
    assert _figures_of(refused)[code].numerator == 0
