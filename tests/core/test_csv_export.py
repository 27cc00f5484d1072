"""CSV exports never hand a spreadsheet a formula to run."""

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from apps.core.csv_export import spreadsheet_safe
from apps.patients.models import Patient

APPS = Path(__file__).resolve().parents[2] / "apps"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1-555-0100", "'+1-555-0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Garcia", "Garcia"),
        ("O'Neil-Smith", "O'Neil-Smith"),
        (3, 3),
    ],
)
def test_values_a_spreadsheet_would_run_are_escaped(value, written):
    assert spreadsheet_safe(value) == written


def test_the_patient_export_escapes_a_formula_in_a_name(client_for, nurse, patient):
    Patient.objects.filter(pk=patient.pk).update(
        family_name='=HYPERLINK("http://evil.example","Garcia")', given_name="@Rosa"
    )
    response = client_for(nurse).get(reverse("patients:export"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    row = next(r for r in rows if r[0] == patient.mrn)
    assert row[1] == '\'=HYPERLINK("http://evil.example","Garcia")'
    assert row[2] == "'@Rosa"


def test_every_csv_export_goes_through_the_one_safe_writer():
    writers = [
        str(path.relative_to(APPS))
        for path in APPS.rglob("*.py")
        if "csv.writer(" in path.read_text() or "csv.DictWriter(" in path.read_text()
    ]
    assert writers == ["core/csv_export.py"]
