"""The patient list filtered and sorted by the complex-needs flag and each domain."""

from django.urls import reverse

from apps.patients import selectors
from apps.patients.services import clinical
from tests import factories
from tests.patients.factories import add_conditions, add_encounters, make_complex


def _panel(team, nurse, org_admin):
    complex_patient = factories.make_patient(team, actor=org_admin, family_name="Adams")
    make_complex(nurse, complex_patient)
    sick = factories.make_patient(team, actor=org_admin, family_name="Baker")
    add_conditions(nurse, sick, "C78.01", "I50.9")  # CCI 8, nothing else
    busy = factories.make_patient(team, actor=org_admin, family_name="Chen")
    add_encounters(nurse, busy, "ed", 3, 40, 80)
    poor = factories.make_patient(team, actor=org_admin, family_name="Diaz")
    clinical.patient_area_deprivation_set(
        actor=nurse, patient=poor, national_percentile=97, state_decile=10
    )
    empty = factories.make_patient(team, actor=org_admin, family_name="Evans")
    return complex_patient, sick, busy, poor, empty


def _names(user, **filters):
    return [p.family_name for p in selectors.patient_list_for_user(user=user, **filters)]


def test_filter_by_flag(nurse, team, org_admin, patient):
    _panel(team, nurse, org_admin)
    assert _names(nurse, flag="complex") == ["Adams"]
    assert "Adams" not in _names(nurse, flag="not_complex")
    assert "Evans" in _names(nurse, flag="not_complex")  # never computed counts as not flagged


def test_filter_by_each_domain(nurse, team, org_admin):
    _panel(team, nurse, org_admin)
    assert _names(nurse, domains=["clinical"]) == ["Adams", "Baker"]
    assert _names(nurse, domains=["utilization"]) == ["Adams", "Chen"]
    assert _names(nurse, domains=["social"]) == ["Adams", "Diaz"]
    assert _names(nurse, domains=["clinical", "social"]) == ["Adams"]


def test_sort_by_flag_and_each_domain(nurse, team, org_admin):
    _panel(team, nurse, org_admin)
    assert _names(nurse, sort="flag")[0] == "Adams"
    assert _names(nurse, sort="cci")[:2] == ["Baker", "Adams"]
    assert _names(nurse, sort="utilization")[:2] == ["Chen", "Adams"]
    assert _names(nurse, sort="adi")[:2] == ["Diaz", "Adams"]
    assert _names(nurse, sort="cci")[-1] == "Evans"  # no row: last


def test_list_page_shows_the_flag_columns_and_keeps_filters_in_the_pager(
    client_for, nurse, team, org_admin
):
    _panel(team, nurse, org_admin)
    response = client_for(nurse).get(
        reverse("patients:list"),
        {"flag": "complex", "sort": "cci", "met": ["clinical"]},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="patient-results",
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "Adams" in body
    assert "Baker" not in body
    assert '<span class="badge danger">Complex</span>' in body
    assert "1 patient" in body
    assert response.context["kept"] == "q=&flag=complex&sort=cci&met=clinical"


def test_list_filters_never_reach_another_team(client_for, outsider, team, nurse, org_admin):
    _panel(team, nurse, org_admin)
    body = client_for(outsider).get(reverse("patients:list"), {"flag": "complex"}).content.decode()
    assert "Adams" not in body
    assert "0 patients" in body
