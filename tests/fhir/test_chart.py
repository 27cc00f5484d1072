"""The chart shows imported records with their source, and one filterable timeline."""

import pytest
from django.urls import reverse

from apps.core.models import AuditEvent
from apps.fhir import systems
from apps.patients.models import Condition
from tests.fhir import generate
from tests.fhir.conftest import write_ndjson
from tests.transitions.factories import discharged_home


@pytest.fixture
def imported(tmp_path, organisation, patient, run_import):
    resources = generate.patient_resources(1, patient.mrn, organisation.pk)
    run_import(write_ndjson(tmp_path / "p.ndjson", resources), source="General EHR")
    return patient


@pytest.mark.django_db
def test_the_record_shows_medications_allergies_appointments_and_documents_with_their_source(
    imported, nurse, client_for
):
    response = client_for(nurse).get(reverse("patients:record", args=[imported.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "metformin 500 MG oral tablet" in html
    assert "Penicillin" in html
    assert "high risk" in html
    assert "Follow-up visit" in html
    assert "discharge summary" in html
    assert "from General EHR, received" in html


@pytest.mark.django_db
def test_a_condition_in_another_code_system_is_shown_not_scored(imported, nurse, client_for):
    html = client_for(nurse).get(reverse("patients:clinical", args=[imported.pk])).content.decode()

    snomed = Condition.objects.get(patient=imported, code_system=systems.SNOMED)
    assert snomed.title in html
    assert "not scored" in html


@pytest.mark.django_db
def test_the_timeline_is_chronological_and_filters_by_kind(imported, nurse, client_for):
    discharged_home(imported, schedule=False)
    client = client_for(nurse)
    url = reverse("patients:record", args=[imported.pk])

    everything = client.get(url).context["section"].timeline
    encounters_only = client.get(url, {"kind": "encounter"}).context["section"].timeline

    kinds = {event.kind for event in everything}
    assert {"encounter", "screening", "transition"} <= kinds
    assert [e.at for e in everything] == sorted((e.at for e in everything), reverse=True)
    assert {event.kind for event in encounters_only} == {"encounter"}
    assert len(encounters_only) == 2


@pytest.mark.django_db
def test_an_unknown_timeline_kind_is_refused_with_a_message(imported, nurse, client_for):
    response = client_for(nurse).get(
        reverse("patients:record", args=[imported.pk]), {"kind": "gossip"}
    )

    assert response.status_code == 400
    assert "gossip" in response.content.decode()


@pytest.mark.django_db
def test_another_teams_nurse_gets_not_found_and_the_attempt_is_audited(
    imported, outsider, client_for
):
    response = client_for(outsider).get(reverse("patients:record", args=[imported.pk]))

    assert response.status_code == 404
    assert "metformin" not in response.content.decode()
    assert AuditEvent.objects.filter(
        actor=outsider, action="denied", patient_id=imported.pk
    ).exists()


@pytest.mark.django_db
def test_reading_the_record_is_audited(imported, nurse, client_for):
    client_for(nurse).get(reverse("patients:record", args=[imported.pk]))

    assert AuditEvent.objects.filter(actor=nurse, action="view", patient_id=imported.pk).exists()


@pytest.mark.django_db
def test_the_timeline_holds_tasks_referrals_and_plan_versions_too(
    imported, organisation, nurse, social_worker, org_admin, client_for
):
    from apps.referrals.models import ServiceType
    from tests.careplans.factories import make_plan
    from tests.referrals import factories as referral_factories
    from tests.tasks.factories import make_task

    make_task(imported, nurse, title="Call about the new inhaler")
    partner = referral_factories.make_partner(organisation, actor=org_admin, name="Food Bank")
    service = referral_factories.make_service(
        organisation,
        actor=org_admin,
        partner=partner,
        name="Food boxes",
        service_type=ServiceType.FOOD,
    )
    referral_factories.make_referral(imported, actor=nurse, service=service, owner=social_worker)
    make_plan(imported, nurse)
    url = reverse("patients:record", args=[imported.pk])

    timeline = client_for(nurse).get(url).context["section"].timeline
    only_work = client_for(nurse).get(url, {"kind": ["task", "referral"]}).context["section"]

    titles = {event.kind: event.title for event in timeline}
    assert titles["task"] == "Call about the new inhaler"
    assert titles["referral"] == "Referral to Food boxes"
    assert titles["plan"].startswith("Care plan version")
    assert {event.kind for event in only_work.timeline} == {"task", "referral"}


@pytest.mark.django_db
def test_the_record_page_asks_a_fixed_number_of_queries(
    imported, nurse, client_for, django_assert_max_num_queries
):
    client = client_for(nurse)
    url = reverse("patients:record", args=[imported.pk])
    client.get(url)

    with django_assert_max_num_queries(16):
        client.get(url)


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(imported, client):
    response = client.get(reverse("patients:record", args=[imported.pk]))

    assert response.status_code == 302
    assert "login" in response["Location"]
