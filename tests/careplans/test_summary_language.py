"""The patient's own copy of the plan speaks the patient's preferred language."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from apps.careplans import selectors, services
from apps.core.models import AuditAction, AuditEvent
from tests.careplans.factories import make_goal, make_intervention, make_plan


def prefers(patient, language: str) -> None:
    patient.preferred_language = language
    patient.save(update_fields=["preferred_language"])


def plan_with_a_goal(patient, nurse):
    plan = make_plan(patient, nurse, what_matters="Cook Sunday lunch for my grandchildren")
    goal = make_goal(
        plan,
        nurse,
        domain="medical",
        description="Keep my sugar in a safe range",
        target="Fewer than 2 low-sugar spells a month",
        patient_steps="Check my sugar before breakfast",
        status="active",
    )
    make_intervention(goal, nurse, description="Call you every Monday")
    return plan


def sign(pcp, plan) -> None:
    plan.refresh_from_db()
    review = selectors.care_plan_review(user=pcp, plan=plan)
    services.care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)


def summary_page(client, patient) -> str:
    return client.get(reverse("careplans:summary", args=[patient.pk])).content.decode()


def summary_pdf_text(client, patient) -> str:
    response = client.get(reverse("careplans:summary_pdf", args=[patient.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def test_a_spanish_speaking_patient_gets_the_summary_page_in_spanish(client_for, patient, nurse):
    prefers(patient, "Spanish")
    plan_with_a_goal(patient, nurse)
    body = summary_page(client_for(nurse), patient)
    assert '<html lang="es">' in body
    for words in (
        "Mi plan de cuidado",
        "Lo que es importante para mí",
        "Lo que yo voy a hacer",
        "Lo que mi equipo va a hacer",
        "A quién llamar",
        "Mi salud",
        "su enfermero/a",
    ):
        assert words in body, words
    assert "What matters to me" not in body
    assert "Who to call" not in body


def test_goals_and_steps_typed_by_staff_stay_as_typed_in_the_spanish_summary(
    client_for, patient, nurse
):
    prefers(patient, "español")
    plan_with_a_goal(patient, nurse)
    body = summary_page(client_for(nurse), patient)
    assert "Keep my sugar in a safe range" in body
    assert "Check my sugar before breakfast" in body
    assert "Call you every Monday" in body
    assert "Cook Sunday lunch for my grandchildren" in body


def test_a_spanish_speaking_patient_gets_the_pdf_in_spanish(client_for, patient, nurse):
    prefers(patient, "es-MX")
    plan_with_a_goal(patient, nurse)
    text = summary_pdf_text(client_for(nurse), patient)
    assert "Mi plan de cuidado" in text
    assert "Lo que es importante para mí" in text
    assert "A quién llamar" in text
    assert "Su médico/a todavía no ha firmado este plan." in text
    assert "Keep my sugar in a safe range" in text
    assert "What matters to me" not in text


def test_the_spanish_summary_writes_dates_the_spanish_way(client_for, patient, nurse):
    prefers(patient, "Spanish")
    plan_with_a_goal(patient, nurse)
    body = summary_page(client_for(nurse), patient)
    months = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto")
    months += ("septiembre", "octubre", "noviembre", "diciembre")
    assert any(f" de {month} de " in body for month in months)


@pytest.mark.parametrize("language", ["English", "", "Portuguese", "eng"])
def test_a_patient_who_does_not_prefer_spanish_gets_the_summary_in_english(
    client_for, patient, nurse, language
):
    prefers(patient, language)
    plan_with_a_goal(patient, nurse)
    client = client_for(nurse)
    body = summary_page(client, patient)
    assert '<html lang="en">' in body
    assert "What matters to me" in body
    assert "your nurse" in body
    assert "Mi plan de cuidado" not in body
    assert "My care plan" in summary_pdf_text(client, patient)


def test_the_staff_links_around_a_spanish_summary_stay_in_the_staff_users_language(
    client_for, patient, nurse
):
    prefers(patient, "Spanish")
    plan_with_a_goal(patient, nurse)
    client = client_for(nurse)
    body = summary_page(client, patient)
    assert "Back to the care plan" in body
    assert "Written in Spanish" in body
    # The override ended with the summary: the nurse's next page is in English.
    assert translation.get_language() in ("en-us", "en")
    plan_page = client.get(reverse("careplans:plan", args=[patient.pk])).content.decode()
    assert 'lang="es"' not in plan_page


def test_a_plan_never_signed_says_so_on_the_patients_copy_in_both_languages(
    client_for, patient, nurse
):
    plan_with_a_goal(patient, nurse)
    client = client_for(nurse)
    assert "Your doctor has not signed this plan yet." in summary_page(client, patient)
    assert "Your doctor has not signed this plan yet." in summary_pdf_text(client, patient)
    prefers(patient, "Spanish")
    assert "Su médico/a todavía no ha firmado este plan." in summary_page(client, patient)


def test_a_signed_plan_changed_since_says_the_changes_are_not_signed_yet(
    client_for, patient, nurse, pcp
):
    plan = plan_with_a_goal(patient, nurse)
    sign(pcp, plan)
    services.care_plan_update(actor=nurse, plan=plan, what_matters="Walk to church")
    client = client_for(nurse)
    body = summary_page(client, patient)
    assert "changed after your doctor signed it on" in body
    assert "Your doctor has not signed the changes yet." in body
    prefers(patient, "Spanish")
    body = summary_page(client, patient)
    assert "Algunas partes de este plan cambiaron después de que su médico/a lo firmó" in body
    assert "Su médico/a todavía no ha firmado los cambios." in body


def test_a_signed_plan_without_changes_has_no_unsigned_changes_line(
    client_for, patient, nurse, pcp
):
    plan = plan_with_a_goal(patient, nurse)
    sign(pcp, plan)
    client = client_for(nurse)
    body = summary_page(client, patient)
    assert "unsigned-changes" not in body
    assert "not signed" not in body
    assert "not signed" not in summary_pdf_text(client, patient)
    prefers(patient, "Spanish")
    assert "no ha firmado" not in summary_page(client, patient)


def test_the_spanish_summary_keeps_access_and_audit_unchanged(client_for, patient, nurse, outsider):
    prefers(patient, "Spanish")
    plan_with_a_goal(patient, nurse)
    hidden = client_for(outsider).get(reverse("careplans:summary", args=[patient.pk]))
    assert hidden.status_code == 404
    assert "Mi plan de cuidado" not in hidden.content.decode()
    assert patient.family_name not in hidden.content.decode()
    client = client_for(nurse)
    client.get(reverse("careplans:summary", args=[patient.pk]))
    client.get(reverse("careplans:summary_pdf", args=[patient.pk]))
    actions = set(
        AuditEvent.objects.filter(actor=nurse, patient_id=patient.pk).values_list(
            "action", flat=True
        )
    )
    assert {AuditAction.VIEW, AuditAction.EXPORT} <= actions


def test_the_api_pdf_of_a_spanish_speaking_patient_is_in_spanish(api_for, patient, nurse):
    prefers(patient, "Spanish")
    plan = plan_with_a_goal(patient, nurse)
    response = api_for(nurse).get(reverse("api-careplan-summary-pdf", args=[plan.pk]))
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Mi plan de cuidado" in " ".join(text.split())


def test_names_inside_translated_sentences_are_still_escaped(client_for, patient, nurse):
    prefers(patient, "Spanish")
    plan_with_a_goal(patient, nurse)
    nurse.first_name = "<b>Ana</b>"
    nurse.save(update_fields=["first_name"])
    body = summary_page(client_for(nurse), patient)
    assert "Llame primero a" in body
    assert "<b>Ana</b>" not in body
    assert "&lt;b&gt;Ana&lt;/b&gt;" in body


def test_the_plan_page_tells_staff_the_patients_copy_is_in_spanish(client_for, patient, nurse):
    plan_with_a_goal(patient, nurse)
    client = client_for(nurse)
    plan_page = reverse("careplans:plan", args=[patient.pk])
    assert "Patient summary (Spanish)" not in client.get(plan_page).content.decode()
    prefers(patient, "Spanish")
    body = client.get(plan_page).content.decode()
    assert "Patient summary (Spanish)" in body
    assert "Summary PDF (Spanish)" in body


@pytest.mark.django_db
def test_the_default_after_hours_sentence_is_translated_and_an_organisations_own_is_not(
    client_for, patient, nurse, organisation
):
    from apps.careplans.models import CarePlanSettings

    prefers(patient, "Spanish")
    plan_with_a_goal(patient, nurse)
    assert "Si es una emergencia, llame al 911." in summary_page(client_for(nurse), patient)
    CarePlanSettings.objects.update_or_create(
        organisation=organisation,
        defaults={"after_hours_advice": "After 6 pm, call the nurse line at 555-0199."},
    )
    own = summary_page(client_for(nurse), patient)
    assert "After 6 pm, call the nurse line at 555-0199." in own
    assert "llame al 911" not in own
