"""The list's read model: rows carry what the list shows, in the API's shape."""

import json

from rest_framework.renderers import JSONRenderer

from apps.patients import selectors
from apps.patients.api import PatientListItemSerializer, PatientRowSerializer
from tests import factories
from tests.patients.factories import make_complex


def as_json(data: object) -> object:
    return json.loads(JSONRenderer().render(data))


def test_a_row_renders_exactly_as_the_declared_serializer_would(nurse, team, patient):
    make_complex(nurse, patient)
    factories.make_patient(team, given_name="Ada", family_name="Byrne")  # no complexity row

    page = selectors.patient_page_for_user(user=nurse, page_size=10)

    assert {row.complexity is None for row in page.patients} == {True, False}
    for row in page.patients:
        fast = as_json(PatientRowSerializer(row).data)
        declared = as_json(PatientListItemSerializer(row).data)
        assert fast == declared
    rosa = next(row for row in page.patients if row.pk == patient.pk)
    assert as_json(PatientRowSerializer(rosa).data)["complexity"]["is_complex"] is True


def test_a_row_holds_the_patient_team_and_stored_complexity(nurse, team, patient):
    make_complex(nurse, patient)

    (row,) = selectors.patient_rows(selectors.patient_list_for_user(user=nurse))

    complexity = patient.complexity
    assert (row.pk, row.mrn, row.family_name, row.date_of_birth) == (
        patient.pk,
        patient.mrn,
        patient.family_name,
        patient.date_of_birth,
    )
    assert (row.care_team.id, row.care_team.name) == (team.pk, team.name)
    assert row.complexity is not None
    assert (row.complexity.cci, row.complexity.is_complex, row.complexity.summary) == (
        complexity.cci,
        True,
        complexity.summary,
    )
