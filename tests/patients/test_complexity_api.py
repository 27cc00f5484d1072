"""REST API for conditions, encounters, screens, ADI and complexity: role matrix, 400s, 404s."""

import pytest
from django.urls import reverse

from apps.patients.models import (
    AreaDeprivation,
    Condition,
    ConditionStatus,
    Encounter,
    SdohScreen,
)
from tests.patients.factories import NEGATIVE_SCREEN, add_conditions, days_ago, make_complex


def _counts():
    return (
        Condition.objects.count(),
        Encounter.objects.count(),
        SdohScreen.objects.count(),
        AreaDeprivation.objects.count(),
    )


def url(name, patient, *extra):
    return reverse(f"api-patient-{name}", args=[patient.pk, *extra])


def test_anonymous_gets_no_data(api_for, nurse, patient):
    make_complex(nurse, patient)
    for name in ("conditions", "encounters", "sdoh-screens", "area-deprivation", "complexity"):
        response = api_for(None).get(url(name, patient))
        assert response.status_code in (401, 403)
        assert "I50.9" not in response.content.decode()
    assert api_for(None).post(url("conditions", patient), {"code": "B20"}).status_code in (
        401,
        403,
    )
    assert not Condition.objects.filter(code="B20").exists()


def test_outsider_gets_404_on_every_endpoint_and_changes_nothing(api_for, outsider, nurse, patient):
    make_complex(nurse, patient)
    client = api_for(outsider)
    before = _counts()
    for name in ("conditions", "encounters", "sdoh-screens", "area-deprivation", "complexity"):
        response = client.get(url(name, patient))
        assert response.status_code == 404
        assert "I50.9" not in response.content.decode()
        assert "91" not in response.content.decode()
    assert client.post(url("conditions", patient), {"code": "B20"}).status_code == 404
    condition = Condition.objects.first()
    resolve = reverse("api-condition-resolve", args=[patient.pk, condition.pk])
    assert client.post(resolve, {}).status_code == 404
    assert (
        client.put(url("area-deprivation", patient), {"suppression_code": "PH"}).status_code == 404
    )
    assert _counts() == before
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.ACTIVE


@pytest.mark.parametrize(
    ("member", "endpoint", "payload", "allowed"),
    [
        ("nurse", "conditions", {"code": "I50.9"}, True),
        ("pharmacist", "conditions", {"code": "I50.9"}, False),
        ("pcp", "encounters", {"kind": "ed", "admit_date": "2026-01-02"}, True),
        ("chw", "encounters", {"kind": "ed", "admit_date": "2026-01-02"}, False),
        ("social_worker", "sdoh-screens", "screen", True),
        ("specialist", "sdoh-screens", "screen", False),
        ("nurse", "area-deprivation", {"national_percentile": 88, "state_decile": 9}, True),
        ("pcp", "area-deprivation", {"national_percentile": 88, "state_decile": 9}, False),
    ],
)
def test_write_role_matrix(request, api_for, patient, member, endpoint, payload, allowed):
    user = request.getfixturevalue(member)
    if payload == "screen":
        payload = {"screened_on": days_ago(2).isoformat(), "answers": NEGATIVE_SCREEN}
    client = api_for(user)
    before = _counts()
    if endpoint == "area-deprivation":
        response = client.put(url(endpoint, patient), payload, format="json")
    else:
        response = client.post(url(endpoint, patient), payload, format="json")
    if allowed:
        assert response.status_code in (200, 201), response.content
        assert _counts() != before
    else:
        assert response.status_code == 403
        assert _counts() == before


@pytest.mark.parametrize("member", ["pharmacist", "chw", "specialist", "pcp"])
def test_every_team_member_reads_the_evidence_and_the_flag(
    request, api_for, nurse, patient, member
):
    make_complex(nurse, patient)
    client = api_for(request.getfixturevalue(member))
    conditions = client.get(url("conditions", patient)).json()
    assert {row["code"] for row in conditions} == {"I50.9", "N18.4", "E11.22", "J44.9"}
    complexity = client.get(url("complexity", patient)).json()
    assert complexity["complexity"]["is_complex"] is True
    assert complexity["complexity"]["cci"] == 5
    assert complexity["thresholds"]["cci_min"] == 3
    assert "Charlson index 5 reaches 3" in complexity["complexity"]["summary"]


@pytest.mark.parametrize(
    ("endpoint", "payload", "field"),
    [
        ("conditions", {"code": "Z99.999"}, "code"),
        ("conditions", {"code": "hello"}, "code"),
        (
            "encounters",
            {"kind": "inpatient", "admit_date": "2026-01-05", "discharge_date": "2026-01-01"},
            "discharge_date",
        ),
        ("encounters", {"kind": "spa", "admit_date": "2026-01-05"}, "kind"),
        (
            "sdoh-screens",
            {"screened_on": "2026-01-05", "answers": NEGATIVE_SCREEN | {"food_worry": "rarely"}},
            "food_worry",
        ),
    ],
)
def test_bad_input_is_400_with_the_field_and_changes_nothing(
    api_for, nurse, patient, endpoint, payload, field
):
    before = _counts()
    response = api_for(nurse).post(url(endpoint, patient), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body.get("errors", body)
    assert _counts() == before


def test_adi_outside_1_to_100_is_400(api_for, nurse, patient):
    response = api_for(nurse).put(
        url("area-deprivation", patient),
        {"national_percentile": 101, "state_decile": 2},
        format="json",
    )
    assert response.status_code == 400
    assert not AreaDeprivation.objects.exists()


def test_resolve_through_the_api(api_for, nurse, patient):
    add_conditions(nurse, patient, "C78.01")
    condition = Condition.objects.get()
    response = api_for(nurse).post(
        reverse("api-condition-resolve", args=[patient.pk, condition.pk]), {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert api_for(nurse).get(url("complexity", patient)).json()["complexity"]["cci"] == 0


def test_patient_list_api_filters_by_flag_and_carries_the_complexity(
    api_for, nurse, patient, team, org_admin
):
    from tests import factories

    other = factories.make_patient(team, actor=org_admin, family_name="Zed")
    make_complex(nurse, patient)
    response = api_for(nurse).get(reverse("api-patient-list"), {"flag": "complex"})
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [patient.pk]
    assert rows[0]["complexity"]["is_complex"] is True
    everyone = api_for(nurse).get(reverse("api-patient-list"), {"sort": "cci"}).json()["results"]
    assert [row["id"] for row in everyone] == [patient.pk, other.pk]
    assert everyone[1]["complexity"] is None


@pytest.mark.parametrize(
    ("field", "answer"),
    [("safety_hurt", 3.9), ("safety_threaten", True), ("housing_problems", {"mold": False})],
)
def test_a_coercible_screen_answer_is_400_on_its_field_and_no_screen_is_stored(
    api_for, nurse, patient, field, answer
):
    response = api_for(nurse).post(
        url("sdoh-screens", patient),
        {"screened_on": days_ago(2).isoformat(), "answers": NEGATIVE_SCREEN | {field: answer}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert field in body.get("errors", body)
    assert not SdohScreen.objects.filter(patient=patient).exists()
