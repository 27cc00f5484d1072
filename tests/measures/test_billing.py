"""Time logging, CCM consent and the monthly billing report: services, pages and who sees what."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Organisation, User
from apps.core.exceptions import ApplicationError, ConflictError
from apps.core.models import AuditAction, AuditEvent
from apps.measures import billing_services as services
from apps.measures.billing_rules import Claim
from apps.measures.billing_selectors import billing_report
from apps.measures.models import BillingRow, CcmConsent, TimeEntry
from apps.patients.models import Condition, Patient
from apps.teams.models import CareTeam
from apps.transitions.models import FollowUp
from tests import factories
from tests.transitions.factories import discharged_home, record_contact

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
BILLING = "/measures/billing/"


def _at(*parts: int, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def _conditions(patient: Patient, *codes: str) -> None:
    Condition.objects.bulk_create(Condition(patient=patient, code=code) for code in codes)


def _consent(nurse: User, patient: Patient, given_on: date = date(2026, 1, 5)) -> CcmConsent:
    return services.consent_record(
        actor=nurse, patient=patient, method="verbal", given_on=given_on, given_by="patient"
    )


def _log(nurse: User, patient: Patient, minutes: int, at: datetime, **values: object) -> TimeEntry:
    return services.time_entry_create(
        actor=nurse,
        patient=patient,
        started_at=at,
        minutes=minutes,
        activity=str(values.pop("activity", "coordination")),
        **values,  # type: ignore[arg-type]
    )


def _report(organisation: Organisation, month: date) -> dict[int, object]:
    return {
        row.patient_id: row
        for row in billing_report(organisation=organisation, month=month, team_ids=None)
    }


# --- time logging -------------------------------------------------------------------------


def test_timer_stop_logs_the_whole_minutes_it_ran(nurse: User, patient: Patient) -> None:
    start = _at(2026, 3, 10, 9, 0)
    entry = services.time_timer_start(
        actor=nurse, patient=patient, activity="medications", now=start
    )
    stopped = services.time_timer_stop(
        actor=nurse, entry=entry, now=start + timedelta(minutes=20, seconds=59)
    )
    assert stopped is not None
    stopped.refresh_from_db()
    assert (stopped.minutes, stopped.month) == (20, date(2026, 3, 1))


def test_a_second_running_timer_is_refused(nurse: User, patient: Patient, team: CareTeam) -> None:
    services.time_timer_start(actor=nurse, patient=patient, activity="coordination")
    other = factories.make_patient(team)
    with pytest.raises(ConflictError, match="already have a timer running"):
        services.time_timer_start(actor=nurse, patient=other, activity="coordination")
    assert TimeEntry.objects.filter(user=nurse).count() == 1


def test_running_timer_survives_a_page_reload(client_for, nurse: User, patient: Patient) -> None:
    client = client_for(nurse)
    response = client.post(
        f"/measures/time/patients/{patient.pk}/timer/",
        {"timer-activity": "communication", "timer-clinical_staff_time": "on"},
    )
    assert response.status_code == 302
    reloaded = client.get(f"/measures/time/patients/{patient.pk}/")
    assert "Your timer is running since" in reloaded.content.decode()
    entry = TimeEntry.objects.running().get(user=nurse)
    assert f"/measures/time/{entry.pk}/stop/" in reloaded.content.decode()


def test_time_counts_in_the_organisations_month_by_its_time_zone(
    organisation: Organisation, nurse: User, patient: Patient
) -> None:
    organisation.time_zone = "America/Los_Angeles"
    organisation.save(update_fields=["time_zone"])
    patient.organisation.refresh_from_db()
    # 07:30 UTC on 1 March is 23:30 on 28 February in Los Angeles (and 02:30 in New York).
    entry = _log(nurse, patient, 20, datetime(2026, 3, 1, 7, 30, tzinfo=ZoneInfo("UTC")))
    assert entry.month == date(2026, 2, 1)
    _conditions(patient, "E11.9", "I10")
    _consent(nurse, patient)
    assert _report(organisation, date(2026, 2, 1))[patient.pk].claims == [Claim("99490")]
    assert _report(organisation, date(2026, 3, 1))[patient.pk].staff_minutes == 0


def test_time_entry_change_is_audited_with_the_fields_changed(
    nurse: User, patient: Patient
) -> None:
    entry = _log(nurse, patient, 15, _at(2026, 3, 10, 9))
    services.time_entry_change(actor=nurse, entry=entry, values={"minutes": 25, "note": "calls"})
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(entry.pk)).get()
    assert event.patient_id == patient.pk
    assert event.detail["fields"] == ["minutes", "note"]


def test_moving_an_entry_to_another_month_moves_its_billing_month(
    nurse: User, patient: Patient
) -> None:
    entry = _log(nurse, patient, 15, _at(2026, 3, 10, 9))
    services.time_entry_change(actor=nurse, entry=entry, values={"started_at": _at(2026, 2, 27, 9)})
    entry.refresh_from_db()
    assert entry.month == date(2026, 2, 1)


def test_future_time_is_refused(nurse: User, patient: Patient) -> None:
    with pytest.raises(ApplicationError):
        _log(nurse, patient, 15, timezone.now() + timedelta(hours=2))
    assert not TimeEntry.objects.exists()


def test_someone_elses_entry_cannot_be_changed(nurse: User, pcp: User, patient: Patient) -> None:
    entry = _log(nurse, patient, 15, _at(2026, 3, 10, 9))
    with pytest.raises(Exception, match="only your own"):
        services.time_entry_change(actor=pcp, entry=entry, values={"minutes": 50})
    entry.refresh_from_db()
    assert entry.minutes == 15


def test_time_entries_of_a_closed_month_are_locked(
    organisation: Organisation, nurse: User, org_admin: User, patient: Patient
) -> None:
    entry = _log(nurse, patient, 15, _at(2026, 3, 10, 9))
    services.billing_month_close(actor=org_admin, organisation=organisation, month=date(2026, 3, 1))
    with pytest.raises(ConflictError, match="closed"):
        services.time_entry_change(actor=nurse, entry=entry, values={"minutes": 40})
    with pytest.raises(ConflictError, match="closed"):
        _log(nurse, patient, 10, _at(2026, 3, 11, 9))
    with pytest.raises(ConflictError, match="closed"):
        services.time_entry_change(
            actor=nurse,
            entry=_log(nurse, patient, 10, _at(2026, 4, 2, 9)),
            values={"started_at": _at(2026, 3, 31, 9)},
        )
    entry.refresh_from_db()
    assert entry.minutes == 15
    assert TimeEntry.objects.filter(month=date(2026, 3, 1)).count() == 1


def test_outsider_cannot_log_time_on_another_teams_patient(
    client_for, outsider: User, patient: Patient
) -> None:
    response = client_for(outsider).post(
        f"/measures/time/patients/{patient.pk}/add/",
        {"started_at": "2026-03-10T09:00", "minutes": 30, "activity": "coordination"},
    )
    assert response.status_code == 404
    assert not TimeEntry.objects.exists()


def test_manual_entry_from_the_chart_is_read_in_the_practices_time_zone(
    client_for, organisation: Organisation, nurse: User, patient: Patient
) -> None:
    organisation.time_zone = "America/Los_Angeles"
    organisation.save(update_fields=["time_zone"])
    response = client_for(nurse).post(
        f"/measures/time/patients/{patient.pk}/add/",
        {"started_at": "2026-02-28T23:30", "minutes": 30, "activity": "coordination"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    entry = TimeEntry.objects.get()
    assert entry.started_at == datetime(2026, 3, 1, 7, 30, tzinfo=ZoneInfo("UTC"))
    assert entry.month == date(2026, 2, 1)


def test_bad_minutes_are_refused_with_the_field_named(
    client_for, nurse: User, patient: Patient
) -> None:
    response = client_for(nurse).post(
        f"/measures/time/patients/{patient.pk}/add/",
        {"started_at": "2026-03-10T09:00", "minutes": 600, "activity": "coordination"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "Minutes" in response.content.decode()
    assert not TimeEntry.objects.exists()


# --- consent ------------------------------------------------------------------------------


def test_consent_is_recorded_revoked_audited_and_shown_on_the_chart(
    client_for, nurse: User, patient: Patient
) -> None:
    client = client_for(nurse)
    response = client.post(
        f"/measures/consent/patients/{patient.pk}/",
        {"method": "written", "given_on": "2026-02-03", "given_by": "patient"},
        HTTP_HX_REQUEST="true",
    )
    assert "In effect: written, given on 2026-02-03" in response.content.decode()
    consent = CcmConsent.objects.get()
    assert consent.recorded_by == nurse
    response = client.post(
        f"/measures/consent/{consent.pk}/revoke/",
        {"revoked_on": "2026-04-10", "reason": "moved away"},
        HTTP_HX_REQUEST="true",
    )
    assert "No CCM consent in effect." in response.content.decode()
    consent.refresh_from_db()
    assert (consent.revoked_on, consent.revoked_by) == (date(2026, 4, 10), nurse)
    actions = set(
        AuditEvent.objects.filter(
            patient_id=patient.pk, object_type="measures.ccmconsent"
        ).values_list("action", flat=True)
    )
    assert actions == {AuditAction.CREATE, AuditAction.UPDATE}


def test_revoked_consent_still_covers_its_month_but_not_the_next(
    organisation: Organisation, nurse: User, patient: Patient
) -> None:
    _conditions(patient, "E11.9", "I50.9")
    consent = _consent(nurse, patient)
    services.consent_revoke(
        actor=nurse, consent=consent, revoked_on=date(2026, 3, 10), reason="declined"
    )
    _log(nurse, patient, 25, _at(2026, 3, 20, 9))
    _log(nurse, patient, 25, _at(2026, 4, 2, 9))
    assert _report(organisation, date(2026, 3, 1))[patient.pk].claims == [Claim("99490")]
    april = _report(organisation, date(2026, 4, 1))[patient.pk]
    assert april.claims == []
    assert "no CCM consent" in april.reasons[0]


def test_a_second_consent_in_effect_is_refused(nurse: User, patient: Patient) -> None:
    _consent(nurse, patient)
    with pytest.raises(ConflictError):
        _consent(nurse, patient)


# --- the report ---------------------------------------------------------------------------


def test_chronic_conditions_count_once_per_icd10_category(
    organisation: Organisation, nurse: User, patient: Patient
) -> None:
    _conditions(patient, "E11.9", "E11.22")
    _consent(nurse, patient)
    _log(nurse, patient, 30, _at(2026, 3, 10, 9))
    row = _report(organisation, date(2026, 3, 1))[patient.pk]
    assert row.chronic_conditions == 1
    assert row.claims == [Claim("99426")]
    assert row.reasons == ["CCM: fewer than 2 chronic conditions (1 active)."]


def test_minutes_of_several_people_add_up_and_physician_time_is_not_clinical_staff_time(
    organisation: Organisation, nurse: User, pcp: User, patient: Patient
) -> None:
    _conditions(patient, "E11.9", "I10")
    _consent(nurse, patient)
    _log(nurse, patient, 12, _at(2026, 3, 2, 9))
    _log(nurse, patient, 8, _at(2026, 3, 3, 9))
    _log(pcp, patient, 30, _at(2026, 3, 4, 9), clinical_staff_time=False)
    row = _report(organisation, date(2026, 3, 1))[patient.pk]
    assert (row.staff_minutes, row.practitioner_minutes) == (20, 30)
    assert row.claims == [Claim("99490")]


def _discharge_and_follow(
    nurse: User, patient: Patient, discharged: datetime, contact: datetime, visit: datetime
) -> None:
    handoff = discharged_home(patient, at=discharged)
    follow_up = FollowUp.objects.get(handoff=handoff)
    record_contact(nurse, follow_up, at=contact)
    record_contact(nurse, follow_up, kind="visit", at=visit)


def test_tcm_contact_due_date_skips_the_thanksgiving_holiday(
    organisation: Organisation, nurse: User, team: CareTeam
) -> None:
    # Discharged Wednesday 25 November 2026; Thursday is Thanksgiving: the 2nd business
    # day is Monday 30 November.
    in_time, late = factories.make_patient(team), factories.make_patient(team)
    discharged = _at(2026, 11, 25, 15)
    _discharge_and_follow(nurse, in_time, discharged, _at(2026, 11, 30, 16), _at(2026, 12, 2, 10))
    _discharge_and_follow(nurse, late, discharged, _at(2026, 12, 1, 9), _at(2026, 12, 2, 10))
    report = _report(organisation, date(2026, 12, 1))
    assert report[in_time.pk].claims == [Claim("99496")]
    assert report[late.pk].claims == []
    assert "due by 2026-11-30" in report[late.pk].reasons[0]


def test_tcm_visit_on_day_8_of_a_high_complexity_discharge_supports_99495(
    organisation: Organisation, nurse: User, patient: Patient
) -> None:
    _discharge_and_follow(
        nurse, patient, _at(2026, 11, 2, 10), _at(2026, 11, 3, 10), _at(2026, 11, 10, 10)
    )
    row = _report(organisation, date(2026, 11, 1))[patient.pk]
    assert row.claims == [Claim("99495")]


# --- closing a month ----------------------------------------------------------------------


def test_closing_a_month_freezes_its_report(
    client_for, organisation: Organisation, nurse: User, org_admin: User, patient: Patient
) -> None:
    _conditions(patient, "E11.9", "I10")
    _consent(nurse, patient)
    _log(nurse, patient, 20, _at(2026, 3, 10, 9))
    response = client_for(org_admin).post(BILLING + "close/", {"month": "2026-03"})
    assert response.status_code == 302
    assert BillingRow.objects.get().codes == [{"code": "99490", "units": 1}]
    # Later changes to the records do not shift the closed month.
    Condition.objects.filter(patient=patient).delete()
    page = client_for(org_admin).get(BILLING, {"month": "2026-03"})
    rows = page.context["report"].rows
    assert [str(claim) for claim in rows[0].claims] == ["99490"]
    assert "Closed" in page.content.decode()


def test_only_an_organisation_admin_closes_a_month(
    client_for, nurse: User, patient: Patient
) -> None:
    response = client_for(nurse).post(BILLING + "close/", {"month": "2026-03"})
    assert response.status_code == 403
    assert not BillingRow.objects.exists()


def test_a_month_not_over_cannot_be_closed(organisation: Organisation, org_admin: User) -> None:
    this_month = timezone.localdate().replace(day=1)
    with pytest.raises(ApplicationError, match="is over"):
        services.billing_month_close(actor=org_admin, organisation=organisation, month=this_month)


# --- who sees the report ------------------------------------------------------------------


def _logged_population(nurse: User, outsider: User, patient: Patient, other: Patient) -> None:
    _log(nurse, patient, 20, _at(2026, 3, 10, 9))
    _log(outsider, other, 20, _at(2026, 3, 10, 9))


def test_anonymous_is_sent_to_sign_in_from_the_billing_pages(client) -> None:
    for url in (BILLING, BILLING + "export.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_a_coordinator_sees_only_their_teams_patients_on_the_report(
    client_for,
    nurse: User,
    outsider: User,
    org_admin: User,
    patient: Patient,
    other_patient: Patient,
    other_team: CareTeam,
) -> None:
    _logged_population(nurse, outsider, patient, other_patient)
    seen = client_for(nurse).get(BILLING, {"month": "2026-03"})
    assert [row.patient_id for row in seen.context["report"].rows] == [patient.pk]
    assert "Walter" not in seen.content.decode()
    assert client_for(nurse).get(
        BILLING, {"month": "2026-03", "team": other_team.pk}
    ).status_code in (
        400,
        404,
    )
    everyone = client_for(org_admin).get(BILLING, {"month": "2026-03"})
    assert {row.patient_id for row in everyone.context["report"].rows} == {
        patient.pk,
        other_patient.pk,
    }
    event = AuditEvent.objects.filter(action=AuditAction.LIST, actor=nurse).latest("pk")
    assert event.patient_ids == [patient.pk]


def test_billing_csv_escapes_formulas_and_is_audited_as_an_export(
    client_for, org_admin: User, nurse: User, team: CareTeam
) -> None:
    sneaky = factories.make_patient(team, family_name="=HYPERLINK(1)", actor=org_admin)
    _log(nurse, sneaky, 20, _at(2026, 3, 10, 9))
    response = client_for(nurse).get(BILLING + "export.csv", {"month": "2026-03"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][2] == "'=HYPERLINK(1)"
    assert "CCM: no CCM consent recorded for this month." in rows[1][10]
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=nurse).exists()


def test_a_bad_month_is_a_400_naming_the_field(client_for, nurse: User) -> None:
    response = client_for(nurse).get(BILLING, {"month": "March"})
    assert response.status_code == 400


def test_a_timer_stopped_within_a_minute_logs_nothing(nurse: User, patient: Patient) -> None:
    start = _at(2026, 3, 10, 9, 0)
    entry = services.time_timer_start(actor=nurse, patient=patient, activity="other", now=start)
    assert (
        services.time_timer_stop(actor=nurse, entry=entry, now=start + timedelta(seconds=50))
        is None
    )
    assert not TimeEntry.objects.exists()


def test_a_timer_left_running_for_hours_is_not_logged_unasked(
    nurse: User, patient: Patient
) -> None:
    start = _at(2026, 3, 10, 9, 0)
    entry = services.time_timer_start(actor=nurse, patient=patient, activity="other", now=start)
    with pytest.raises(ApplicationError, match="enter the time you actually worked"):
        services.time_timer_stop(actor=nurse, entry=entry, now=start + timedelta(hours=9))
    entry.refresh_from_db()
    assert entry.minutes is None


def test_a_month_with_a_running_timer_cannot_close(
    organisation: Organisation, nurse: User, org_admin: User, patient: Patient
) -> None:
    services.time_timer_start(
        actor=nurse, patient=patient, activity="other", now=_at(2026, 3, 31, 23, 50)
    )
    with pytest.raises(ConflictError, match="still running"):
        services.billing_month_close(
            actor=org_admin, organisation=organisation, month=date(2026, 3, 1)
        )


def test_billing_page_queries_do_not_grow_with_the_number_of_patients(
    client_for, nurse: User, team: CareTeam, django_assert_max_num_queries
) -> None:
    def population(size: int) -> None:
        for _ in range(size):
            patient = factories.make_patient(team)
            _conditions(patient, "E11.9", "I10")
            _consent(nurse, patient)
            _log(nurse, patient, 25, _at(2026, 3, 10, 9))

    client = client_for(nurse)
    population(2)
    client.get(BILLING, {"month": "2026-03"})
    with CaptureQueriesContext(connection) as small:
        client.get(BILLING, {"month": "2026-03"})
    population(6)
    with django_assert_max_num_queries(len(small)):
        response = client.get(BILLING, {"month": "2026-03"})
    assert len(response.context["report"].rows) == 8


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", BILLING),
        ("get", BILLING + "export.csv"),
        ("post", BILLING + "close/"),
        ("get", "/measures/trends/"),
        ("get", "/measures/trends/export.csv"),
        ("post", "/measures/trends/refresh/"),
        ("get", "/measures/full-team/patients.csv"),
    ],
)
def test_anonymous_visitors_of_billing_and_trends_are_sent_to_sign_in_and_change_nothing(
    client, method: str, url: str
) -> None:
    response = getattr(client, method)(url, {"month": "2026-03"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not BillingRow.objects.exists()


def test_an_outsider_cannot_stop_discard_or_edit_a_nurses_timer(
    client_for, nurse: User, outsider: User, patient: Patient
) -> None:
    entry = services.time_timer_start(actor=nurse, patient=patient, activity="other")
    client = client_for(outsider)
    for url in (f"/measures/time/{entry.pk}/stop/", f"/measures/time/{entry.pk}/discard/"):
        assert client.post(url).status_code == 404
    assert client.get(f"/measures/time/{entry.pk}/edit/").status_code == 404
    assert TimeEntry.objects.running().filter(pk=entry.pk).exists()


def test_a_teammate_cannot_stop_a_nurses_timer(
    client_for, nurse: User, pcp: User, patient: Patient
) -> None:
    entry = services.time_timer_start(actor=nurse, patient=patient, activity="other")
    response = client_for(pcp).post(f"/measures/time/{entry.pk}/stop/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert TimeEntry.objects.running().filter(pk=entry.pk).exists()


def test_an_entry_logged_by_mistake_is_removed_and_the_audit_keeps_its_minutes(
    client_for, nurse: User, patient: Patient
) -> None:
    entry = _log(nurse, patient, 35, _at(2026, 3, 10, 9))
    response = client_for(nurse).post(f"/measures/time/{entry.pk}/delete/")
    assert response.status_code == 302
    assert not TimeEntry.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.DELETE, object_id=str(entry.pk))
    assert (event.patient_id, event.detail["minutes"]) == (patient.pk, 35)


def test_an_entry_of_a_closed_month_cannot_be_removed(
    organisation: Organisation, nurse: User, org_admin: User, patient: Patient
) -> None:
    entry = _log(nurse, patient, 35, _at(2026, 3, 10, 9))
    services.billing_month_close(actor=org_admin, organisation=organisation, month=date(2026, 3, 1))
    with pytest.raises(ConflictError, match="closed"):
        services.time_entry_delete(actor=nurse, entry=entry)
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


def test_tcm_counts_in_the_month_of_the_visit_when_discharge_and_visit_straddle_a_month(
    organisation: Organisation, nurse: User, patient: Patient
) -> None:
    _discharge_and_follow(
        nurse, patient, _at(2026, 10, 29, 10), _at(2026, 10, 30, 10), _at(2026, 11, 3, 10)
    )
    assert patient.pk not in _report(organisation, date(2026, 10, 1))
    assert _report(organisation, date(2026, 11, 1))[patient.pk].claims == [Claim("99496")]


def test_a_visit_weeks_after_discharge_leaves_the_discharge_in_its_month_as_too_late(
    organisation: Organisation, nurse: User, patient: Patient
) -> None:
    _discharge_and_follow(
        nurse, patient, _at(2026, 9, 20, 10), _at(2026, 9, 21, 10), _at(2026, 11, 2, 10)
    )
    row = _report(organisation, date(2026, 9, 1))[patient.pk]
    assert row.claims == []
    assert "visit too late" in row.reasons[0]
    assert patient.pk not in _report(organisation, date(2026, 11, 1))
