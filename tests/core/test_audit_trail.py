"""Each kind of access leaves exactly the expected audit event."""

from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent, AuditSource


def events_for(patient_id: int) -> list[tuple[str, str, int | None]]:
    return list(
        AuditEvent.objects.filter(patient_id=patient_id)
        .order_by("id")
        .values_list("action", "source", "actor_id")
    )


def test_a_chart_read_leaves_one_view_event_with_address(client_for, nurse, patient):
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    client_for(nurse).get(reverse("patients:chart", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    created = AuditEvent.objects.filter(pk__gt=last).order_by("id")
    assert [(e.action, e.source, e.actor_id, e.patient_id, e.ip_address) for e in created] == [
        (AuditAction.VIEW, AuditSource.UI, nurse.pk, patient.pk, "10.1.2.3")
    ]


def test_an_api_write_leaves_one_update_event(api_for, nurse, patient):
    before = events_for(patient.pk)
    api_for(nurse).patch(
        reverse("api-patient-detail", args=[patient.pk]), {"phone": "555-0111"}, format="json"
    )
    after = events_for(patient.pk)[len(before) :]
    assert after == [
        (AuditAction.VIEW, AuditSource.API, nurse.pk),
        (AuditAction.UPDATE, AuditSource.API, nurse.pk),
    ]


def test_an_admin_change_leaves_view_and_update_events_from_the_admin(client, org_admin, patient):
    client.force_login(org_admin)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {
            "phone": "555-0177",
            "care_team": patient.care_team_id,
            "date_of_birth": "1950-01-01",
            "sex": "unknown",
            "is_active": "on",
            "identifiers-TOTAL_FORMS": "0",
            "identifiers-INITIAL_FORMS": "0",
        }
    )
    before = events_for(patient.pk)
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    patient.refresh_from_db()
    assert patient.phone == "555-0177"
    added = events_for(patient.pk)[len(before) :]
    assert (AuditAction.UPDATE, AuditSource.ADMIN, org_admin.pk) in added
    update = AuditEvent.objects.filter(action=AuditAction.UPDATE, patient_id=patient.pk).get()
    assert update.detail == {"fields": ["phone"]}


def test_a_denied_attempt_leaves_one_denied_event_and_no_view(client_for, outsider, patient):
    before = events_for(patient.pk)
    client_for(outsider).get(reverse("patients:chart", args=[patient.pk]))
    assert events_for(patient.pk)[len(before) :] == [
        (AuditAction.DENIED, AuditSource.UI, outsider.pk)
    ]


def test_a_list_read_records_the_returned_patients(client_for, nurse, patient):
    client_for(nurse).get(reverse("patients:list"))
    event = AuditEvent.objects.filter(action=AuditAction.LIST, actor=nurse).get()
    assert event.patient_ids == [patient.pk]


def test_admins_search_the_trail_by_user_and_patient(client, org_admin, nurse, patient, client_for):
    client_for(nurse).get(reverse("patients:chart", args=[patient.pk]))
    client.force_login(org_admin)
    by_user = client.get(reverse("admin:core_auditevent_changelist"), {"q": "nurse"})
    assert by_user.status_code == 200
    assert by_user.context["cl"].result_count >= 1
    by_patient = client.get(reverse("admin:core_auditevent_changelist"), {"q": str(patient.pk)})
    assert all(
        e.patient_id == patient.pk or e.object_id == str(patient.pk)
        for e in by_patient.context["cl"].result_list
    )
    assert (
        client.post(
            reverse("admin:core_auditevent_delete", args=[AuditEvent.objects.first().pk]),
            {"post": "yes"},
        ).status_code
        == 403
    )


def test_an_export_leaves_one_export_event_with_its_rows(client_for, nurse, patient, other_patient):
    response = client_for(nurse).get(reverse("patients:export"))
    rows = response.content.decode().strip().splitlines()
    assert rows[0].startswith("mrn,")
    assert len(rows) == 2
    assert patient.mrn in rows[1]
    assert other_patient.mrn not in response.content.decode()
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=nurse).get()
    assert event.patient_ids == [patient.pk]
