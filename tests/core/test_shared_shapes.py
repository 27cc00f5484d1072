"""Shapes several apps share have one home; these tests fail when an app grows a twin."""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.urls import reverse

import apps
from apps.core.exceptions import ApplicationError
from apps.core.widgets import LocalDateTimeInput
from apps.patients.complexity import thresholds_for
from apps.patients.services.complexity import complexity_thresholds_update

TWIN_REFERENCES = {
    "UserRef",
    "Person",
    "ReferralPerson",
    "ReferralPatient",
    "HuddlePatientRef",
    "HuddleTeamRef",
    "CareTeamRef",
}


def test_every_api_names_a_person_a_team_and_a_patient_with_one_shape_each(api_for, nurse):
    schema = api_for(nurse).get(reverse("api-schema"), {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert {"PersonRef", "TeamRef", "PatientRef"} <= set(components)
    assert not TWIN_REFERENCES & set(components)
    assert set(components["PersonRef"]["properties"]) == {"id", "name"}
    assert set(components["PatientRef"]["properties"]) == {
        "id",
        "mrn",
        "given_name",
        "family_name",
    }


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for module_info in pkgutil.iter_modules(apps.__path__):
        try:
            module = importlib.import_module(f"apps.{module_info.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_date_and_time_field_on_a_page_uses_the_one_local_picker():
    pickers = {
        f"{form.__module__}.{form.__name__}.{name}": type(field.widget).__name__
        for form in _form_classes()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateTimeField)
    }
    assert pickers, "no date and time fields found: the scan is broken"
    assert {
        where: widget for where, widget in pickers.items() if widget != LocalDateTimeInput.__name__
    } == {}


def test_a_settings_change_naming_a_field_the_service_does_not_change_is_refused_whole(
    org_admin, organisation
):
    thresholds = thresholds_for(organisation)
    before = thresholds.cci_min
    with pytest.raises(ApplicationError) as refused:
        complexity_thresholds_update(
            actor=org_admin, thresholds=thresholds, cci_min=before + 1, colour=1
        )
    assert str(refused.value) == "Unknown threshold fields: colour."
    thresholds.refresh_from_db()
    assert thresholds.cci_min == before
