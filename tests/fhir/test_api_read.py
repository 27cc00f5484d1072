"""Reading and searching the FHIR API as a person: only their teams' patients, audited."""

import pytest
from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent, AuditSource
from apps.fhir.resources import REGISTRY
from apps.patients.services import patient_identifier_add
from tests.factories import make_patient
from tests.fhir.conftest import FHIR_JSON, validated, validated_bundle

pytestmark = pytest.mark.django_db


def test_metadata_lists_exactly_the_supported_types_and_the_token_url(client):
    response = client.get("/fhir/R4/metadata")

    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    statement = validated(response.json())
    rest = statement["rest"][0]
    assert {entry["type"] for entry in rest["resource"]} == set(REGISTRY)
    oauth = rest["security"]["extension"][0]["extension"]
    assert oauth[0]["valueUri"] == "http://testserver/fhir/R4/auth/token"


def test_everything_a_team_member_reads_validates_as_r4b(client_for, nurse, chart):
    http = client_for(nurse)

    for name in REGISTRY:
        response = http.get(f"/fhir/R4/{name}")
        assert response.status_code == 200, (name, response.content)
        bundle = validated_bundle(response.json())
        for entry in bundle["entry"]:
            read = http.get(f"/fhir/R4/{name}/{entry['resource']['id']}")
            assert read.status_code == 200
            assert read.json() == entry["resource"]


def test_everything_returns_every_resource_of_the_patient(client_for, nurse, chart):
    response = client_for(nurse).get(f"/fhir/R4/Patient/{chart.pk}/$everything")

    bundle = validated_bundle(response.json())
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {
        "Patient",
        "Condition",
        "Encounter",
        "QuestionnaireResponse",
        "Observation",
        "CarePlan",
        "Goal",
        "Task",
        "ServiceRequest",
        "Consent",
    } <= kinds
    assert bundle["total"] == len(bundle["entry"])


def test_everything_pages_by_count_and_offset_and_the_pages_add_up_to_the_whole(
    client_for, nurse, chart
):
    from tests.patients import factories as patient_factories

    patient_factories.add_encounters(nurse, chart, "outpatient", *range(1, 12))
    http = client_for(nurse)
    url = f"/fhir/R4/Patient/{chart.pk}/$everything"
    whole = http.get(url).json()
    seen, page, pages = [], http.get(url, {"_count": 7}).json(), 0
    while True:
        validated_bundle(page)
        pages += 1
        assert page["total"] == whole["total"]
        assert len(page["entry"]) <= 7
        seen += [entry["fullUrl"] for entry in page["entry"]]
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not following:
            break
        page = http.get(following[0]).json()

    assert seen == [entry["fullUrl"] for entry in whole["entry"]]
    assert pages == -(-whole["total"] // 7)
    assert http.get(url, {"_count": "0"}).status_code == 400
    assert http.get(url, {"_offset": "-1"}).json()["resourceType"] == "OperationOutcome"


def test_other_teams_patient_is_a_404_operation_outcome_and_absent_from_search(
    client_for, outsider, chart
):
    http = client_for(outsider)

    read = http.get(f"/fhir/R4/Patient/{chart.pk}")
    everything = http.get(f"/fhir/R4/Patient/{chart.pk}/$everything")
    listed = http.get("/fhir/R4/Condition", {"patient": chart.pk})

    assert read.status_code == 404
    assert read["Content-Type"] == FHIR_JSON
    assert validated(read.json())["resourceType"] == "OperationOutcome"
    assert everything.status_code == 404
    assert listed.json()["total"] == 0


def test_a_read_is_audited_with_the_patient_and_source_fhir(client_for, nurse, chart):
    client_for(nurse).get(f"/fhir/R4/Patient/{chart.pk}")

    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="patients.patient")
    assert (event.patient_id, event.source, event.actor_id) == (
        chart.pk,
        AuditSource.FHIR,
        nurse.pk,
    )


def test_a_search_is_audited_with_the_patients_it_showed(client_for, nurse, chart):
    client_for(nurse).get("/fhir/R4/Condition")

    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="patients.condition")
    assert event.patient_ids == [chart.pk]


def test_search_by_identifier_finds_the_mrn_and_another_systems_identifier(
    client_for, nurse, org_admin, chart
):
    patient_identifier_add(
        actor=org_admin, patient=chart, assigning_authority="General Hospital", value="H-77"
    )
    http = client_for(nurse)

    by_mrn = http.get("/fhir/R4/Patient", {"identifier": chart.mrn}).json()
    by_other = http.get(
        "/fhir/R4/Patient",
        {"identifier": "urn:caregraph:authority:General-Hospital|H-77"},
    ).json()
    wrong_system = http.get("/fhir/R4/Patient", {"identifier": "urn:other|H-77"}).json()

    assert [entry["resource"]["id"] for entry in by_mrn["entry"]] == [str(chart.pk)]
    assert [entry["resource"]["id"] for entry in by_other["entry"]] == [str(chart.pk)]
    assert wrong_system["total"] == 0


def test_search_pages_with_next_and_previous_links(client_for, nurse, team, org_admin):
    for _ in range(5):
        make_patient(team, actor=org_admin)
    http = client_for(nurse)

    first = http.get("/fhir/R4/Patient", {"_count": 2}).json()
    relations = {link["relation"]: link["url"] for link in first["link"]}
    second = http.get(relations["next"]).json()
    back = {link["relation"]: link["url"] for link in second["link"]}["previous"]

    assert first["total"] == 5
    assert len(first["entry"]) == 2
    assert "previous" not in relations
    assert {e["resource"]["id"] for e in second["entry"]}.isdisjoint(
        {e["resource"]["id"] for e in first["entry"]}
    )
    assert http.get(back).json()["entry"] == first["entry"]


def test_last_updated_filters_by_the_rows_change_time(client_for, nurse, chart):
    http = client_for(nurse)

    future = http.get("/fhir/R4/Condition", {"_lastUpdated": "gt2099-01-01"}).json()
    past = http.get("/fhir/R4/Condition", {"_lastUpdated": "ge2000-01-01"}).json()

    assert future["total"] == 0
    assert past["total"] == 1


def test_include_adds_the_patient_once(client_for, nurse, chart):
    bundle = client_for(nurse).get("/fhir/R4/Encounter", {"_include": "Encounter:patient"}).json()

    modes = [(e["search"]["mode"], e["resource"]["resourceType"]) for e in bundle["entry"]]
    assert modes.count(("include", "Patient")) == 1
    assert modes.count(("match", "Encounter")) == 2


@pytest.mark.parametrize(
    "query",
    [
        {"_count": "many"},
        {"_lastUpdated": "yesterday"},
        {"patient": "Group/1"},
        {"colour": "blue"},
        {"_include": "Encounter:practitioner"},
        {"_lastUpdated": "ge2020-01-01T10:00:00"},
        {"_lastUpdated": "2020-13-45T10:00:00Z"},
        {"_id": "1", "_count": "10", "_offset": "-1"},
    ],
)
def test_a_bad_search_parameter_is_a_400_operation_outcome(client_for, nurse, query):
    response = client_for(nurse).get("/fhir/R4/Encounter", query)

    assert response.status_code == 400
    assert validated(response.json())["issue"][0]["code"] == "invalid"


def test_unknown_type_and_unsupported_method_and_format_are_outcomes(client_for, nurse, chart):
    http = client_for(nurse)

    assert http.get("/fhir/R4/Spaceship").status_code == 404
    deleted = http.delete(f"/fhir/R4/Patient/{chart.pk}")
    assert deleted.status_code == 405
    assert "GET" in deleted["Allow"]
    assert (
        http.get("/fhir/R4/Patient", headers={"Accept": "application/fhir+xml"}).status_code == 406
    )
    for response in (deleted,):
        assert response.json()["resourceType"] == "OperationOutcome"


def test_anonymous_is_a_401_with_a_bearer_challenge(client, chart):
    response = client.get(f"/fhir/R4/Patient/{chart.pk}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert validated(response.json())["resourceType"] == "OperationOutcome"


def test_patient_search_page_has_a_fixed_query_count(
    client_for, nurse, team, org_admin, django_assert_max_num_queries
):
    for _ in range(3):
        make_patient(team, actor=org_admin)
    http = client_for(nurse)
    http.get("/fhir/R4/Patient")  # warm the permission cache like any later page
    with django_assert_max_num_queries(12) as few:
        http.get("/fhir/R4/Patient")
    for _ in range(20):
        make_patient(team, actor=org_admin)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get("/fhir/R4/Patient")
    assert response.json()["total"] == 23


def test_everything_has_a_fixed_query_count_however_many_resources(
    client_for, nurse, chart, django_assert_max_num_queries
):
    from tests.patients import factories as patient_factories

    http = client_for(nurse)
    url = f"/fhir/R4/Patient/{chart.pk}/$everything"
    http.get(url)
    with django_assert_max_num_queries(40) as few:
        http.get(url)
    patient_factories.add_encounters(nurse, chart, "outpatient", *range(1, 30))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(url)
    assert response.json()["total"] > 30


def test_care_team_search_by_patient_finds_the_patients_team_once(
    client_for, nurse, team, org_admin, chart
):
    second = make_patient(team, actor=org_admin)

    bundle = (
        client_for(nurse).get("/fhir/R4/CareTeam", {"patient": f"{chart.pk},{second.pk}"}).json()
    )

    assert [entry["resource"]["id"] for entry in bundle["entry"]] == [str(team.pk)]


def test_the_screen_result_is_an_observation_derived_from_the_questionnaire_response(
    client_for, nurse, chart
):
    bundle = client_for(nurse).get("/fhir/R4/Observation", {"patient": chart.pk}).json()

    observation = validated(bundle["entry"][0]["resource"])
    food = next(c for c in observation["component"] if c["code"]["coding"][0]["code"] == "food")
    assert food["valueBoolean"] is True
    assert observation["derivedFrom"][0]["reference"].startswith("QuestionnaireResponse/")


def test_an_unknown_path_under_the_base_is_a_404_operation_outcome(client_for, nurse):
    response = client_for(nurse).get("/fhir/R4/patient/1/history")

    assert response.status_code == 404
    assert validated(response.json())["issue"][0]["code"] == "not-found"


def test_a_person_may_use_their_api_token(nurse, chart):
    from django.test import Client

    from apps.accounts.models import ApiToken
    from tests.factories import make_api_token

    key = make_api_token(nurse)
    http = Client(headers={"Authorization": f"Token {key}"})

    assert http.get(f"/fhir/R4/Patient/{chart.pk}").status_code == 200
    assert (
        Client(headers={"Authorization": "Token wrong"}).get("/fhir/R4/Patient").status_code == 401
    )
    ApiToken.objects.filter(user=nurse).update(revoked_at=timezone.now())
    assert http.get(f"/fhir/R4/Patient/{chart.pk}").status_code == 401  # revoked is revoked


def test_a_person_reads_a_patient_through_their_live_break_glass_access_flagged_in_the_audit(
    outsider, chart, org_admin
):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient

    from apps.core.models import AuditEvent
    from apps.patients.models import BreakGlassAccess
    from tests.factories import make_api_token

    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {make_api_token(outsider)}")
    patient_url = f"/fhir/R4/Patient/{chart.pk}"
    assert http.get(patient_url).status_code == 404
    access = BreakGlassAccess.objects.create(
        patient=chart,
        user=outsider,
        reason="Unconscious in the emergency department",
        expires_at=timezone.now() + timedelta(minutes=30),
    )

    read = http.get(patient_url)
    everything = http.get(f"{patient_url}/$everything")
    condition_id = next(
        entry["resource"]["id"]
        for entry in everything.json()["entry"]
        if entry["resource"]["resourceType"] == "Condition"
    )
    condition = http.get(f"/fhir/R4/Condition/{condition_id}")
    listed = http.get("/fhir/R4/Patient").json()

    assert (read.status_code, everything.status_code, condition.status_code) == (200, 200, 200)
    assert everything.json()["total"] > 5
    assert str(chart.pk) not in {entry["resource"]["id"] for entry in listed.get("entry", [])}
    flagged = AuditEvent.objects.filter(actor=outsider, patient_id=chart.pk, action="view")
    assert flagged.count() == 3
    assert all(event.break_glass for event in flagged)
    access.expires_at = timezone.now() - timedelta(seconds=1)
    access.save(update_fields=["expires_at"])
    assert http.get(patient_url).status_code == 404
    assert http.get(f"/fhir/R4/Condition/{condition_id}").status_code == 404
