import pytest

from apps.core.actors import JobActor
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction, AuditEvent
from apps.patients import selectors
from apps.patients.complexity import RECOMPUTE_ALL_JOB
from apps.patients.models import Condition
from apps.patients.services import clinical
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories

NIGHTLY = JobActor(job=RECOMPUTE_ALL_JOB)


def test_patient_list_shows_only_the_users_teams(nurse, patient, other_patient):
    visible = list(selectors.patient_list_for_user(user=nurse))
    assert visible == [patient]


def test_a_member_of_two_teams_sees_both_panels(nurse, other_team, patient, other_patient):
    factories.make_member(other_team, user=nurse)
    assert set(selectors.patient_list_for_user(user=nurse)) == {patient, other_patient}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("garcia", True),
        ("Rosa Garcia", True),
        ("gar", True),
        ("MRN0001", True),
        ("mrn0001", True),
        ("1950-01-01", True),
        ("01/01/1950", True),
        ("smith", False),
        ("1950-01-02", False),
    ],
)
def test_search_matches_name_mrn_and_date_of_birth(nurse, patient, query, expected):
    found = list(selectors.patient_list_for_user(user=nurse, query=query))
    assert (patient in found) is expected


def test_search_never_reaches_another_teams_patient(nurse, patient, other_patient):
    assert list(selectors.patient_list_for_user(user=nurse, query="Kowalski")) == []
    assert list(selectors.patient_list_for_user(user=nurse, query="MRN0002")) == []


def test_page_audits_exactly_the_patients_it_returned(nurse, team, org_admin):
    patients = [
        factories.make_patient(team, actor=org_admin, family_name=f"Zed{i:02d}") for i in range(5)
    ]
    before = AuditEvent.objects.count()
    page = selectors.patient_page_for_user(user=nurse, query="zed", page=2, page_size=2)
    assert [p.pk for p in page.patients] == [patients[2].pk, patients[3].pk]
    assert (page.total, page.num_pages, page.number) == (5, 3, 2)
    event = AuditEvent.objects.get(pk__gt=0, action=AuditAction.LIST, actor=nurse)
    assert event.patient_ids == [patients[2].pk, patients[3].pk]
    assert AuditEvent.objects.count() == before + 1


def test_get_another_teams_patient_is_not_found_and_audited_as_denied(nurse, other_patient):
    with pytest.raises(NotFoundError):
        selectors.patient_get_for_user(user=nurse, patient_id=other_patient.pk)
    event = AuditEvent.objects.filter(actor=nurse).latest("id")
    assert event.action == AuditAction.DENIED
    assert event.patient_id == other_patient.pk


def test_get_missing_patient_is_not_found_like_a_hidden_one(nurse):
    with pytest.raises(NotFoundError) as missing:
        selectors.patient_get_for_user(user=nurse, patient_id=999_999)
    assert missing.value.message == "No such patient."


def test_leaving_the_team_hides_its_patients_at_once(nurse, team, patient, org_admin):
    assert selectors.patient_get_for_user(user=nurse, patient_id=patient.pk) == patient
    membership = TeamMembership.objects.get(team=team, user=nurse, ended_at__isnull=True)
    team_member_remove(actor=org_admin, membership=membership)
    with pytest.raises(NotFoundError):
        selectors.patient_get_for_user(user=nurse, patient_id=patient.pk)
    assert list(selectors.patient_list_for_user(user=nurse)) == []


def test_patient_list_query_count_does_not_grow_with_page_size(
    nurse, team, org_admin, django_assert_num_queries
):
    from apps.patients.complexity import complexity_recompute
    from apps.patients.models import Condition

    patients = [
        factories.make_patient(team, actor=org_admin, family_name=f"Q{i:03d}") for i in range(60)
    ]
    Condition.objects.bulk_create(Condition(patient=p, code="I50.9") for p in patients[::2])
    complexity_recompute(organisation_id=team.organisation_id, actor=NIGHTLY)

    def queries_for(page_size: int, **filters: object) -> int:
        nurse.__dict__.pop("_caregraph_team_perms", None)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            page = selectors.patient_page_for_user(user=nurse, page_size=page_size, **filters)
            # The complexity columns come with the page, not one query per row.
            [patient.complexity.cci for patient in page.patients]
        return len(captured)

    for filters in (
        {},
        {"sort": "cci"},
        {"flag": "not_complex", "domains": ["clinical"], "sort": "social"},
        {"query": "q0", "sort": "utilization"},
    ):
        small, large = queries_for(1, **filters), queries_for(50, **filters)
        assert small == large, filters
        assert large <= 6, filters


def test_a_row_of_another_teams_patient_reads_as_not_found_and_the_attempt_is_audited(
    nurse, outsider, patient, org_admin
):
    condition = clinical.condition_add(actor=org_admin, patient=patient, code="E11.9")

    read = selectors.patient_record_read(
        user=nurse, model=Condition, object_id=condition.pk, found=condition, of=patient
    )
    assert read == condition
    with pytest.raises(NotFoundError, match="No such condition"):
        selectors.patient_record_read(
            user=outsider, model=Condition, object_id=condition.pk, found=condition, of=patient
        )
    events = AuditEvent.objects.filter(object_type="patients.condition", object_id=condition.pk)
    assert set(events.values_list("actor__username", "action")) >= {
        (nurse.username, AuditAction.VIEW),
        (outsider.username, AuditAction.DENIED),
    }
