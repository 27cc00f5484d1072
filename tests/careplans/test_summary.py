"""The patient's take-home summary: plain words, large type, printable, and a real PDF."""

import io
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse
from pypdf import PdfReader

from apps.careplans import services
from apps.careplans.models import CarePlanSettings
from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import Condition
from tests.careplans.factories import make_barrier, make_goal, make_intervention, make_plan

# Words and codes that belong to the staff's view of the plan, not the patient's.
JARGON = [
    r"\bICD\b",
    r"\bMRN\b",
    r"\bPAM\b",
    r"COM-B",
    r"\bintervention",
    r"\bbarrier",
    r"\bpathway",
    r"\bbehavioral\b",
    r"\bfunctional\b",
    r"\bcapability\b",
    r"\bE11\.9\b",
    r"\bPCP\b",
    r"\bRN\b",
]


def full_plan(patient, nurse, social_worker, organisation):
    CarePlanSettings.objects.create(
        organisation=organisation,
        patient_phone="555-0142",
        after_hours_advice="At night, call the nurse line at 555-0199.",
    )
    Condition.objects.create(patient=patient, code="E11.9", title="Type 2 diabetes")
    plan = make_plan(
        patient,
        nurse,
        what_matters="Cook Sunday lunch for my grandchildren",
        priorities="Stay out of hospital\nKeep cooking",
        pam_level=2,
    )
    services.care_plan_update(
        actor=nurse,
        plan=plan,
        advance_directive_reference="DMS-000871",
        health_literacy_limited=True,
    )
    goal = make_goal(
        plan,
        nurse,
        domain="medical",
        description="Keep my sugar in a safe range",
        target="Fewer than 2 low-sugar spells a month",
        patient_steps="Check my sugar before breakfast\nCarry glucose tablets",
        status="active",
    )
    intervention = make_intervention(goal, nurse, description="Call you every Monday")
    make_barrier(plan, nurse, intervention=intervention, description="Capability gap: numeracy")
    return plan


def test_the_html_summary_is_plain_language_with_the_four_parts(
    client_for, patient, nurse, social_worker, organisation
):
    full_plan(patient, nurse, social_worker, organisation)
    response = client_for(nurse).get(reverse("careplans:summary", args=[patient.pk]))
    body = response.content.decode()
    for heading in ("What matters to me", "What I will do", "What my team will do", "Who to call"):
        assert heading in body
    assert "Cook Sunday lunch for my grandchildren" in body
    assert "Check my sugar before breakfast" in body
    assert "Call you every Monday" in body
    assert "your nurse" in body
    assert "555-0142" in body
    assert "are on file" in body
    text = re.sub(r"<[^>]+>", " ", body)
    for pattern in JARGON:
        assert not re.search(pattern, text, re.IGNORECASE), pattern
    assert patient.mrn not in body
    assert "Capability gap" not in body


def test_the_html_summary_has_large_type_and_a_print_stylesheet(
    client_for, patient, nurse, social_worker, organisation
):
    full_plan(patient, nurse, social_worker, organisation)
    body = client_for(nurse).get(reverse("careplans:summary", args=[patient.pk])).content
    assert b'class="patient-summary extra-large"' in body
    assert b"css/app.css" in body
    stylesheet = Path(str(finders.find("css/app.css"))).read_text()
    print_rules = stylesheet[stylesheet.index("/* --- careplans --- */") :]
    assert ".patient-summary { " in print_rules
    assert "@media print" in print_rules


def test_the_pdf_is_a_real_pdf_with_the_plain_text_extractable(
    client_for, patient, nurse, social_worker, organisation
):
    full_plan(patient, nurse, social_worker, organisation)
    response = client_for(nurse).get(reverse("careplans:summary_pdf", args=[patient.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 2000
    assert patient.family_name not in response["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "My care plan" in text
    assert "What matters to me" in text
    assert "Cook Sunday lunch" in text
    assert "Who to call" in text
    for pattern in JARGON:
        assert not re.search(pattern, text, re.IGNORECASE), pattern


def test_downloading_the_pdf_is_audited_as_an_export(client_for, patient, nurse):
    make_plan(patient, nurse)
    client_for(nurse).get(reverse("careplans:summary_pdf", args=[patient.pk]))
    assert AuditEvent.objects.filter(
        actor=nurse, action=AuditAction.EXPORT, patient_id=patient.pk
    ).exists()


def test_a_patient_without_a_plan_has_no_summary(client_for, patient, nurse):
    assert client_for(nurse).get(reverse("careplans:summary", args=[patient.pk])).status_code == 404
